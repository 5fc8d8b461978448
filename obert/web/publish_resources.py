"""A dataset's resources on the publisher's pages: edit every field (titles and descriptions in ca/es/en),
upload a new version of the file in place (the same resource, a new table version, the gates applied),
replace the address, delete after confirming, and follow the ingest while it runs.

Without JavaScript the page refreshes itself (a meta refresh inside <noscript>) while its ingest is queued
or running; with it, publish-progress.js asks for the same page and swaps in its status box."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request, UploadFile
from fastapi.responses import Response

from obert.auth import Actor
from obert.catalog import datasets, resources
from obert.catalog.access import require_editor
from obert.catalog.models import Dataset, Resource
from obert.deps import ActorDep, CsrfDep, FormDep, PortalDep
from obert.errors import Invalid, NotFound, Unauthorized, msg
from obert.faces import rules
from obert.jobs import JobState
from obert.portal import Portal
from obert.tableservice.map_positions import set_position_choice
from obert.tableservice.published import TableStatus, table_status
from obert.tableservice.versions import kept_parts, report_warnings
from obert.types import LANGS
from obert.web.face import PAGES
from obert.web.forms import errors_by_field, page, redirect
from obert.web.publish_positions import position_form, read_choice

router = PAGES.router(include_in_schema=False)
BASE = "/publish/dataset/{ref}/resource/{res}"
ACTIVE = (JobState.QUEUED, JobState.RUNNING)
REFRESH_SECONDS = 3


def _staff(actor: Actor) -> None:
    if not actor.authenticated:
        raise Unauthorized(msg("sign in to publish"))


def _load(portal: Portal, actor: Actor, ref: str, res: str) -> tuple[Dataset, Resource]:
    dataset = datasets.get_dataset(store=portal.store, actor=actor, ref=ref)
    require_editor(actor, dataset)
    resource = next((r for r in dataset.resources if res in (r.id, r.name)), None)
    if resource is None:
        raise NotFound(msg("no resource '{ref}'", ref=res))
    return dataset, resource


def _values(resource: Resource) -> dict[str, str]:
    values = {"format": resource.format or "", "download_url": str(resource.download_url or "")}
    for lang in LANGS:
        values[f"title_{lang}"] = resource.title.get(lang, "")
        values[f"description_{lang}"] = resource.description.get(lang, "")
    return values


def _status(portal: Portal, actor: Actor, resource: Resource) -> TableStatus | None:
    if not (resource.upload or resource.download_url):
        return None
    return table_status(store=portal.store, actor=actor, ref=resource.id)


def _page(
    request: Request,
    portal: Portal,
    actor: Actor,
    dataset: Dataset,
    resource: Resource,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
    template: str = "publish/resource_form.html",
    position_values: dict[str, str] | None = None,
) -> Response:
    table = _status(portal, actor, resource)
    running = bool(table and table.job and table.job.state in ACTIVE)
    return page(
        request,
        template,
        actor=actor,
        status=status,
        dataset=dataset,
        resource=resource,
        values=values if values is not None else _values(resource),
        errors=errors or {},
        table=table,
        notes=report_warnings(table.state.current.report) if table and table.state.current else [],
        kept=kept_parts(table.state.current.report) if table and table.state.current else [],
        running=running,
        refresh_seconds=REFRESH_SECONDS,
        done=request.query_params.get("done"),
        positions=position_form(
            portal=portal, actor=actor, resource_id=resource.id, table=table, values=position_values
        ),
    )


@router.get(BASE)
def resource_form(request: Request, portal: PortalDep, actor: ActorDep, ref: str, res: str) -> Response:
    _staff(actor)
    dataset, resource = _load(portal, actor, ref, res)
    return _page(request, portal, actor, dataset, resource)


@router.post(BASE, dependencies=[CsrfDep])
def update_resource(
    request: Request, portal: PortalDep, actor: ActorDep, ref: str, res: str, form: FormDep
) -> Response:
    _staff(actor)
    dataset, resource = _load(portal, actor, ref, res)
    values = {key: str(form.get(key) or "").strip() for key in _values(resource)}
    # A JSON merge patch: a text emptied in the form is removed (null), not kept.
    patch = {
        "title": {lang: values[f"title_{lang}"] or None for lang in LANGS},
        "description": {lang: values[f"description_{lang}"] or None for lang in LANGS},
        "format": values["format"] or None,
        # An upload's address is obert's own: only a linked resource has one to change.
        **({} if resource.upload else {"download_url": values["download_url"] or None}),
    }
    try:
        resources.patch_resource(store=portal.store, actor=actor, ref=resource.id, patch=patch)
    except Invalid as exc:
        errors = errors_by_field(exc.errors)
        errors.setdefault("_form", []).append(exc.message)
        return _page(request, portal, actor, dataset, resource, values=values, errors=errors, status=422)
    return redirect(request, BASE.format(ref=dataset.name, res=resource.id) + "?done=saved")


@router.post(BASE + "/positions", dependencies=[CsrfDep])
def choose_positions(
    request: Request, portal: PortalDep, actor: ActorDep, ref: str, res: str, form: FormDep
) -> Response:
    """Which columns place the rows on the map, and in which system (or: found by names and values)."""
    _staff(actor)
    dataset, resource = _load(portal, actor, ref, res)
    keys = ("position_kind", "position_first", "position_second", "position_epsg")
    values = {key: str(form.get(key) or "").strip() for key in keys}
    try:
        set_position_choice(store=portal.store, actor=actor, ref=resource.id, choice=read_choice(values))
    except Invalid as exc:
        errors = {f"position_{k}": v for k, v in errors_by_field(exc.errors).items()}
        errors.setdefault("_positions", []).append(exc.message)
        return _page(
            request, portal, actor, dataset, resource, errors=errors, status=422, position_values=values
        )
    return redirect(request, BASE.format(ref=dataset.name, res=resource.id) + "?done=positions")


@router.post(BASE + "/upload", dependencies=[CsrfDep])
@rules(body="upload")
def upload_version(
    request: Request, portal: PortalDep, actor: ActorDep, ref: str, res: str, file: UploadFile | None = None
) -> Response:
    """A new version of the resource's file, in place: same resource, a new table version through the
    same gates as every upload."""
    _staff(actor)
    dataset, resource = _load(portal, actor, ref, res)
    if file is None or not file.filename:
        errors: dict[str, list[str]] = {"file": [msg("choose a file")]}
        return _page(request, portal, actor, dataset, resource, errors=errors, status=422)
    try:
        resources.attach_upload(
            store=portal.store,
            files=portal.files,
            actor=actor,
            ref=resource.id,
            filename=file.filename,
            stream=file.file,
            max_bytes=portal.settings.max_upload_bytes,
        )
    except Invalid as exc:
        errors = errors_by_field(exc.errors) or {"file": [exc.message]}
        return _page(request, portal, actor, dataset, resource, errors=errors, status=422)
    return redirect(request, BASE.format(ref=dataset.name, res=resource.id) + "?done=uploaded")


@router.get(BASE + "/delete")
def delete_form(request: Request, portal: PortalDep, actor: ActorDep, ref: str, res: str) -> Response:
    _staff(actor)
    dataset, resource = _load(portal, actor, ref, res)
    return _page(request, portal, actor, dataset, resource, template="publish/resource_delete.html")


@router.post(BASE + "/delete", dependencies=[CsrfDep])
def delete_resource(
    request: Request,
    portal: PortalDep,
    actor: ActorDep,
    ref: str,
    res: str,
    confirm: Annotated[str | None, Form(max_length=10)] = None,
) -> Response:
    _staff(actor)
    dataset, resource = _load(portal, actor, ref, res)
    if confirm != "yes":
        errors: dict[str, list[str]] = {"confirm": [msg("tick the box to confirm that the resource goes")]}
        return _page(
            request,
            portal,
            actor,
            dataset,
            resource,
            errors=errors,
            status=422,
            template="publish/resource_delete.html",
        )
    resources.delete_resource(store=portal.store, actor=actor, ref=resource.id)
    return redirect(request, f"/publish/dataset/{dataset.name}?done=deleted")
