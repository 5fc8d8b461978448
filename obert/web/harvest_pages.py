"""The publisher's harvest pages: the sources one may manage, adding one, a source's runs and a run's
per-item report, running it now (queued as a job) or dry (nothing written), disabling and deleting it.

Each handler calls the same harvest service as /api/v1/harvest, so the pages and the API cannot disagree.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from obert.auth import Actor
from obert.catalog import organizations
from obert.catalog.common import validated
from obert.catalog.models import Organization
from obert.deps import ActorDep, CsrfDep, FormDep, PortalDep
from obert.errors import Conflict, Forbidden, Invalid, Unauthorized
from obert.harvest import jobs, runs, sources
from obert.harvest.mapping import masked
from obert.harvest.models import RunReport, Source, SourceInput, SourceType
from obert.harvest.runner import run_harvest
from obert.portal import Portal
from obert.web.face import PAGES
from obert.web.forms import errors_by_field, form_values, page, redirect

router = PAGES.router(include_in_schema=False)
COUNTED = ("created", "updated", "unchanged", "linked", "withdrawn", "failed")


def _staff(actor: Actor) -> None:
    if not actor.authenticated:
        raise Unauthorized("sign in to manage harvest sources")


def _editable_organizations(portal: Portal, actor: Actor) -> list[Organization]:
    every = organizations.list_organizations(store=portal.store, limit=1000).items
    return [o for o in every if actor.can_edit_in(o.id)]


def _types(actor: Actor) -> list[str]:
    """Only site administrators may read the server itself (a folder, an SQL database)."""
    allowed = list(SourceType) if actor.sysadmin else [*sources.WEB_TYPES, SourceType.URLS]
    return [t.value for t in allowed]


def _last_run(portal: Portal, source: Source) -> RunReport | None:
    found = runs.list_runs(portal.store, source_id=source.id, limit=1)
    return found[0] if found else None


def _list_page(
    request: Request,
    portal: Portal,
    actor: Actor,
    *,
    values: dict[str, Any],
    errors: dict[str, list[str]],
    status: int = 200,
) -> Response:
    listed = sources.list_sources(store=portal.store, actor=actor)
    return page(
        request,
        "publish/harvest_list.html",
        actor=actor,
        status=status,
        rows=[(s, masked(s.url), _last_run(portal, s)) for s in listed],
        values=values,
        errors=errors,
        types=_types(actor),
        organizations=_editable_organizations(portal, actor),
        counted=COUNTED,
    )


def _source_from_form(form: FormData) -> dict[str, Any]:
    def text(name: str) -> str:
        value = form.get(name)
        return value.strip() if isinstance(value, str) else ""

    return {
        "name": text("name"),
        "title": text("title") or None,
        "type": text("type"),
        "url": text("url"),
        "organization": text("organization") or None,
        "every": text("every") or None,
        "auto_ingest": form.get("auto_ingest") == "yes",
    }


@router.get("/publish/harvest", response_class=HTMLResponse)
def source_list(request: Request, portal: PortalDep, actor: ActorDep) -> Response:
    _staff(actor)
    return _list_page(request, portal, actor, values={}, errors={})


@router.post("/publish/harvest", dependencies=[CsrfDep])
def create_source(request: Request, portal: PortalDep, actor: ActorDep, form: FormDep) -> Response:
    _staff(actor)
    try:
        data = validated(SourceInput, _source_from_form(form))
        created = sources.create_source(store=portal.store, actor=actor, data=data)
    except (Invalid, Forbidden, Conflict) as exc:
        errors = errors_by_field(exc.errors)
        errors.setdefault("_form", []).append(exc.message)
        return _list_page(request, portal, actor, values=form_values(form), errors=errors, status=exc.status)
    return redirect(request, f"/publish/harvest/{created.name}")


def _source_page(
    request: Request, portal: Portal, actor: Actor, source: Source, *, dry: RunReport | None = None
) -> Response:
    return page(
        request,
        "publish/harvest_source.html",
        actor=actor,
        source=source,
        url=masked(source.url),
        runs=runs.list_runs(portal.store, source_id=source.id, limit=50),
        dry=dry,
        counted=COUNTED,
        queued=request.query_params.get("queued") == "1",
    )


@router.get("/publish/harvest/{ref}", response_class=HTMLResponse)
def source_detail(request: Request, portal: PortalDep, actor: ActorDep, ref: str) -> Response:
    _staff(actor)
    source = sources.get_source(store=portal.store, actor=actor, ref=ref)
    return _source_page(request, portal, actor, source)


@router.post("/publish/harvest/{ref}/run", dependencies=[CsrfDep])
def run_now(request: Request, portal: PortalDep, actor: ActorDep, ref: str) -> Response:
    """Queue a run as the API does; the job runner is woken so it starts at once when one is running."""
    _staff(actor)
    source, _job_id = jobs.request_run(store=portal.store, actor=actor, ref=ref)
    runner = getattr(request.app.state, "job_runner", None)
    if runner is not None:
        runner.wake()
    return redirect(request, f"/publish/harvest/{source.name}?queued=1")


@router.post("/publish/harvest/{ref}/dry-run", dependencies=[CsrfDep])
def dry_run(request: Request, portal: PortalDep, actor: ActorDep, ref: str) -> Response:
    """Harvest now without writing anything and show what a real run would change."""
    _staff(actor)
    source = sources.get_source(store=portal.store, actor=actor, ref=ref)
    report = run_harvest(ctx=portal.harvest_context(), source=source, dry_run=True)
    return _source_page(request, portal, actor, source, dry=report)


@router.post("/publish/harvest/{ref}/enabled", dependencies=[CsrfDep])
def set_enabled(
    request: Request,
    portal: PortalDep,
    actor: ActorDep,
    ref: str,
    enabled: Annotated[str, Form(max_length=5)],
) -> Response:
    _staff(actor)
    patched = sources.patch_source(
        store=portal.store, actor=actor, ref=ref, patch={"enabled": enabled == "yes"}
    )
    return redirect(request, f"/publish/harvest/{patched.name}")


@router.post("/publish/harvest/{ref}/delete", dependencies=[CsrfDep])
def delete_source(request: Request, portal: PortalDep, actor: ActorDep, ref: str) -> Response:
    _staff(actor)
    sources.delete_source(store=portal.store, actor=actor, ref=ref)
    return redirect(request, "/publish/harvest")


@router.get("/publish/harvest/{ref}/runs/{run_id}", response_class=HTMLResponse)
def run_detail(request: Request, portal: PortalDep, actor: ActorDep, ref: str, run_id: str) -> Response:
    _staff(actor)
    source = sources.get_source(store=portal.store, actor=actor, ref=ref)
    report = runs.get_run(portal.store, source_id=source.id, run_id=run_id)
    return page(request, "publish/harvest_run.html", actor=actor, source=source, run=report, counted=COUNTED)
