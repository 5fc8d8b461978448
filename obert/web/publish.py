"""The publisher's pages: dashboard, the dataset metadata form, resources, workflow, members, audit.

Server-rendered and usable without JavaScript. Every form posts a CSRF token checked by one dependency,
and every handler calls the same catalogue service as the JSON API, so the two cannot disagree.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from obert.auth import Actor, Role, audit, members
from obert.catalog import datasets, organizations, resources, workflow
from obert.catalog.common import validated
from obert.catalog.models import Dataset, DatasetInput, Organization, ResourceInput
from obert.deps import ActorDep, CsrfDep, FormDep, PortalDep
from obert.errors import (
    Conflict,
    FieldError,
    Forbidden,
    Invalid,
    NotFound,
    ObertError,
    TooLarge,
    Unauthorized,
    msg,
)
from obert.faces import rules
from obert.interchange.package_import import import_package
from obert.jobs import JobState
from obert.portal import Portal
from obert.quality.linkcheck import stored_statuses
from obert.tableservice.published import latest_ingests
from obert.web import choices
from obert.web.face import PAGES
from obert.web.findings import Findings, dataset_findings
from obert.web.forms import dataset_from_form, dataset_to_form, errors_by_field, form_values, page, redirect

router = PAGES.router(include_in_schema=False)
Text = Annotated[str, Form(max_length=5000)]
OptionalText = Annotated[str | None, Form(max_length=5000)]


def _staff(actor: Actor) -> None:
    if not actor.authenticated:
        raise Unauthorized(msg("sign in to publish"))


def _my_organizations(portal: Portal, actor: Actor) -> list[Organization]:
    every = organizations.list_organizations(store=portal.store, limit=1000).items
    return every if actor.sysadmin else [o for o in every if o.id in actor.roles]


@router.get("/publish", response_class=HTMLResponse)
def dashboard(request: Request, portal: PortalDep, actor: ActorDep) -> Response:
    _staff(actor)
    sections = []
    links = stored_statuses(store=portal.store)
    for org in _my_organizations(portal, actor):
        listed = datasets.list_datasets(store=portal.store, actor=actor, organization=org.id, limit=1000)
        rows = [
            (d, dataset_findings(portal=portal, actor=actor, dataset=d, links=links)) for d in listed.items
        ]
        held = [(d, h) for d, f in rows for h in f.held]
        sections.append((org, rows, actor.roles.get(org.id), held))
    return page(request, "publish/dashboard.html", actor=actor, sections=sections)


@router.get("/publish/new", response_class=HTMLResponse)
def new_dataset_form(
    request: Request, portal: PortalDep, actor: ActorDep, organization: str = ""
) -> Response:
    _staff(actor)
    values = dataset_to_form(None) | {"organization": organization, "state": "draft"}
    return dataset_page(request, portal, actor, None, values, {})


@router.post("/publish/new", dependencies=[CsrfDep])
def create_dataset(request: Request, portal: PortalDep, actor: ActorDep, form: FormDep) -> Response:
    _staff(actor)
    try:
        data = validated(DatasetInput, dataset_from_form(form, base={}))
        created = datasets.create_dataset(store=portal.store, actor=actor, data=data, policy=portal.workflow)
    except (Invalid, Forbidden) as exc:
        return _refused_form(request, portal, actor, None, form_values(form), exc)
    return redirect(request, f"/publish/dataset/{created.name}")


@router.get("/publish/package", response_class=HTMLResponse)
def package_form(request: Request, portal: PortalDep, actor: ActorDep) -> Response:
    _staff(actor)
    return _package_page(request, portal, actor, {}, None)


@router.post("/publish/package/upload", dependencies=[CsrfDep])
@rules(body="upload")
def package_upload(
    request: Request,
    portal: PortalDep,
    actor: ActorDep,
    organization: OptionalText = None,
    name: OptionalText = None,
    url: OptionalText = None,
    dataset: OptionalText = None,
    file: UploadFile | None = None,
) -> Response:
    """A new dataset from a data package (a zip, or a datapackage.json's URL), or new versions of an
    existing dataset's tables, as the API's twin does."""
    _staff(actor)
    into = (dataset or "").strip() or None
    values = {"organization": organization or "", "name": name or "", "url": url or "", "dataset": into or ""}
    try:
        with tempfile.TemporaryDirectory(prefix=".upload-", dir=_work_dir(portal)) as work:
            zip_path = None
            if file is not None and file.filename:
                zip_path = Path(work) / "package.zip"
                with zip_path.open("wb") as out:
                    shutil.copyfileobj(file.file, out)
            done = import_package(
                ingester=portal.ingester,
                actor=actor,
                zip_path=zip_path,
                url=(url or "").strip() or None,
                organization=organization or None,
                name=(name or "").strip() or None,
                into=into,
                lang=request.state.lang,
            )
    except (Invalid, Forbidden, Conflict, TooLarge, NotFound) as exc:
        return _package_page(request, portal, actor, values, exc)
    return redirect(request, f"/publish/dataset/{done.dataset.name}")


def _work_dir(portal: Portal) -> Path:
    portal.tables.tables_dir.mkdir(parents=True, exist_ok=True)
    return portal.tables.tables_dir


def _package_page(
    request: Request, portal: Portal, actor: Actor, values: dict[str, str], exc: ObertError | None
) -> Response:
    errors = {"_form": [exc.message]} if exc else {}
    return page(
        request,
        "publish/package_form.html",
        actor=actor,
        status=exc.status if exc else 200,
        organizations=_my_organizations(portal, actor),
        values=values,
        errors=errors,
        problems=exc.errors if exc else [],
    )


@router.get("/publish/dataset/{ref}", response_class=HTMLResponse)
def edit_dataset_form(
    request: Request,
    portal: PortalDep,
    actor: ActorDep,
    ref: str,
    done: Annotated[str | None, Query(max_length=20)] = None,
    version: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    """The dataset's form, its quality and personal-data findings; `done` and `version` say what the last
    release did (see obert.web.publish_release)."""
    _staff(actor)
    dataset = datasets.get_dataset(store=portal.store, actor=actor, ref=ref)
    notice = (done, version) if done in RELEASE_NOTICES and version else None
    return dataset_page(request, portal, actor, dataset, dataset_to_form(dataset), {}, notice=notice)


@router.post("/publish/dataset/{ref}", dependencies=[CsrfDep])
def update_dataset(request: Request, portal: PortalDep, actor: ActorDep, ref: str, form: FormDep) -> Response:
    _staff(actor)
    current = datasets.get_dataset(store=portal.store, actor=actor, ref=ref)
    try:
        data = validated(DatasetInput, dataset_from_form(form, base=current.as_input()))
        updated = datasets.replace_dataset(
            store=portal.store, actor=actor, ref=current.id, data=data, policy=portal.workflow
        )
    except (Invalid, Forbidden) as exc:
        return _refused_form(request, portal, actor, current, form_values(form), exc)
    return redirect(request, f"/publish/dataset/{updated.name}")


@router.post("/publish/dataset/{ref}/transition", dependencies=[CsrfDep])
def transition(
    request: Request,
    portal: PortalDep,
    actor: ActorDep,
    ref: str,
    action: Annotated[workflow.Action, Form()],
    comment: OptionalText = None,
) -> Response:
    _staff(actor)
    try:
        moved = workflow.transition(
            store=portal.store, actor=actor, ref=ref, action=action, comment=comment, policy=portal.workflow
        )
    except Invalid as exc:
        dataset = datasets.get_dataset(store=portal.store, actor=actor, ref=ref)
        return _refused_form(request, portal, actor, dataset, dataset_to_form(dataset), exc)
    return redirect(request, f"/publish/dataset/{moved.name}")


@router.post("/publish/dataset/{ref}/upload", dependencies=[CsrfDep])
@rules(body="upload")
def add_resource(
    request: Request,
    portal: PortalDep,
    actor: ActorDep,
    ref: str,
    title: OptionalText = None,
    url: OptionalText = None,
    format: Annotated[str | None, Form(max_length=50)] = None,
    file: UploadFile | None = None,
) -> Response:
    """Add a resource from an uploaded file or a URL (obert stores the URL; it does not fetch it here)."""
    _staff(actor)
    dataset = datasets.get_dataset(store=portal.store, actor=actor, ref=ref)
    has_file = file is not None and bool(file.filename)
    try:
        if not has_file and not (url or "").strip():
            raise Invalid(
                msg("nothing to add"), errors=[FieldError("url", msg("choose a file or give a URL"))]
            )
        fields = {
            "title": {request.state.lang: title.strip()} if title and title.strip() else {},
            "format": format or None,
            "download_url": None if has_file else (url or "").strip(),
        }
        data = validated(ResourceInput, fields)
        created = resources.create_resource(
            store=portal.store, actor=actor, dataset_ref=dataset.id, data=data
        )
        if has_file and file is not None:
            resources.attach_upload(
                store=portal.store,
                files=portal.files,
                actor=actor,
                ref=created.id,
                filename=file.filename or "",
                stream=file.file,
                max_bytes=portal.settings.max_upload_bytes,
            )
    except Invalid as exc:
        errors = {"resource_" + k: v for k, v in errors_by_field(exc.errors).items()}
        return dataset_page(request, portal, actor, dataset, dataset_to_form(dataset), errors, status=422)
    return redirect(request, f"/publish/dataset/{dataset.name}")


@router.get("/publish/organization/{ref}/members", response_class=HTMLResponse)
def member_list(request: Request, portal: PortalDep, actor: ActorDep, ref: str) -> Response:
    _staff(actor)
    org = organizations.get_organization(store=portal.store, ref=ref)
    people = members.list_members(store=portal.store, actor=actor, organization_id=org.id)
    rule = workflow.organization_review_rule(
        store=portal.store, organization_id=org.id, policy=portal.workflow
    )
    return page(
        request,
        "publish/members.html",
        actor=actor,
        organization=org,
        members=people,
        roles=list(Role),
        rule=rule,
        errors={},
    )


@router.post("/publish/organization/{ref}/members", dependencies=[CsrfDep])
def member_set(
    request: Request,
    portal: PortalDep,
    actor: ActorDep,
    ref: str,
    user: Annotated[str, Form(max_length=100)],
    role: Annotated[str, Form(max_length=20)],
) -> Response:
    _staff(actor)
    org = organizations.get_organization(store=portal.store, ref=ref)
    if role == "remove":
        members.remove_member(store=portal.store, actor=actor, organization_id=org.id, user_ref=user)
    else:
        try:
            chosen = Role(role)
        except ValueError:
            raise Invalid(
                msg("unknown role"), errors=[FieldError("role", msg("admin, editor or member"))]
            ) from None
        try:
            members.set_member(
                store=portal.store, actor=actor, organization_id=org.id, user_ref=user, role=chosen
            )
        except NotFound as exc:
            people = members.list_members(store=portal.store, actor=actor, organization_id=org.id)
            rule = workflow.organization_review_rule(
                store=portal.store, organization_id=org.id, policy=portal.workflow
            )
            return page(
                request,
                "publish/members.html",
                actor=actor,
                organization=org,
                members=people,
                roles=list(Role),
                rule=rule,
                errors={"user": [exc.message]},
                status=404,
            )
    return redirect(request, f"/publish/organization/{org.name}/members")


@router.post("/publish/organization/{ref}/policy", dependencies=[CsrfDep])
def policy_set(
    request: Request,
    portal: PortalDep,
    actor: ActorDep,
    ref: str,
    review_required: Annotated[str, Form(max_length=10)],
) -> Response:
    _staff(actor)
    org = organizations.get_organization(store=portal.store, ref=ref)
    value = {"yes": True, "no": False}.get(review_required)
    workflow.set_review_required(store=portal.store, actor=actor, organization_id=org.id, value=value)
    return redirect(request, f"/publish/organization/{org.name}/members")


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    portal: PortalDep,
    actor: ActorDep,
    actor_id: str | None = None,
    object_id: str | None = None,
    action: str | None = None,
    cursor: str | None = None,
) -> Response:
    _staff(actor)
    filters = audit.AuditFilter(actor_id=actor_id or None, object_id=object_id or None, action=action or None)
    entries, more = audit.list_audit(
        store=portal.store, actor=actor, filters=filters, limit=100, cursor=cursor
    )
    return page(
        request,
        "publish/audit.html",
        actor=actor,
        entries=entries,
        next_cursor=more,
        filters={"actor_id": actor_id or "", "object_id": object_id or "", "action": action or ""},
    )


def dataset_page(
    request: Request,
    portal: Portal,
    actor: Actor,
    dataset: Dataset | None,
    values: dict[str, object],
    errors: dict[str, list[str]],
    *,
    status: int = 200,
    notice: tuple[str, int] | None = None,
    release: ReleaseProblem | None = None,
) -> Response:
    steps = workflow.history(store=portal.store, actor=actor, ref=dataset.id) if dataset else []
    findings: Findings | None = None
    if dataset is not None:
        findings = dataset_findings(
            portal=portal, actor=actor, dataset=dataset, links=stored_statuses(store=portal.store)
        )
    org_id = dataset.organization.id if dataset and dataset.organization else None
    ingests = latest_ingests(store=portal.store, actor=actor, dataset=dataset) if dataset else {}
    return page(
        request,
        "publish/dataset_form.html",
        actor=actor,
        status=status,
        dataset=dataset,
        values=values,
        errors=errors,
        organizations=_my_organizations(portal, actor),
        history=steps,
        can_review=actor.can_manage(org_id) if dataset else False,
        actions=_actions(dataset),
        licence_groups=choices.licence_groups(request.state.lang),
        frequency_groups=choices.frequency_groups(request.state.lang),
        access_options=choices.options("access-right", request.state.lang),
        place_groups=choices.place_groups(request.state.lang),
        findings=findings,
        notice=notice,
        release=release,
        ingests=ingests,
        failed_ingests=[rid for rid, job in ingests.items() if job.state is JobState.FAILED],
    )


# What a release from the page did, as the query of the page it redirects to.
# personal data: published, held, overridden; changed columns: columns (published), columns_held
RELEASE_NOTICES = ("published", "held", "overridden", "columns", "columns_held")


@dataclass(frozen=True, slots=True)
class ReleaseProblem:
    """A refused release, shown inside the form that sent it: which version, which form, what is wrong
    (messages keyed by field), and what the publisher typed, so nothing is lost."""

    resource_id: str
    number: int
    form: str
    errors: dict[str, list[str]]
    values: dict[str, str]


def _actions(dataset: Dataset | None) -> list[str]:
    if dataset is None:
        return []
    state = dataset.state.value
    return [a.value for a, (sources, _) in workflow.MOVES.items() if state in {s.value for s in sources}]


def _refused_form(
    request: Request,
    portal: Portal,
    actor: Actor,
    dataset: Dataset | None,
    values: dict[str, object],
    exc: Invalid | Forbidden,
) -> Response:
    errors = errors_by_field(exc.errors)
    errors.setdefault("_form", []).append(exc.message)
    return dataset_page(request, portal, actor, dataset, values, errors, status=exc.status)
