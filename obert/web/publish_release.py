"""Releasing a held table version from the dataset's publisher page.

A version the personal-data gate held has two forms: transform columns (a new version, scanned again) or
publish it as it is under a justified override. A version held for changed columns has one: accept the
changes, with an optional note. All call the services behind the JSON API (`obert.tableservice.review`,
`obert.tableservice.schema_review`), which check that the actor edits the dataset's organisation and write the
activity log; a refused release shows the dataset page again with the reason inside the form that was sent.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import Response

from obert.auth import Actor
from obert.catalog import datasets
from obert.catalog.models import Dataset
from obert.deps import ActorDep, CsrfDep, FormDep, PortalDep
from obert.errors import Conflict, FieldError, Forbidden, Invalid, NotFound, ObertError, Unauthorized, msg
from obert.i18n import translations
from obert.portal import Portal
from obert.quality.linkcheck import stored_statuses
from obert.tableservice import review, schema_review
from obert.web.face import PAGES
from obert.web.findings import Findings, HeldView, SchemaHeldView, dataset_findings, plan_from_choices
from obert.web.forms import dataset_to_form, redirect
from obert.web.publish import ReleaseProblem, dataset_page

router = PAGES.router(include_in_schema=False)
BASE = "/publish/dataset/{ref}/versions/{resource}/{number}"


def staff(actor: Actor) -> None:
    if not actor.authenticated:
        raise Unauthorized(msg("sign in to publish"))


def _(message: str) -> str:
    """Marks `message` for translation; the template that shows it translates it."""
    return message


# Messages of the services that this page translates (they are the most common refusals).
SERVICE_MESSAGES = (_("explain why in at least 40 characters"),)


@router.post(BASE + "/transform", dependencies=[CsrfDep])
def transform(
    request: Request, portal: PortalDep, actor: ActorDep, ref: str, resource: str, number: int, form: FormDep
) -> Response:
    """Apply the chosen change to each column and ingest the result as a new version."""
    staff(actor)
    dataset, held = _held(portal, actor, ref, resource, number)
    columns = [str(v) for v in form.getlist("column")]
    ops = [str(v) for v in form.getlist("op")]
    kinds: dict[str, set[str]] = {}
    for finding in held.findings:
        kinds.setdefault(finding.column, set()).add(finding.kind)
    plan, problems = plan_from_choices(columns, ops, kinds)
    values = dict(zip(columns, ops, strict=False))
    try:
        if problems:
            raise Invalid(
                msg("the changes chosen cannot be applied"), errors=[FieldError(f, m) for f, m in problems]
            )
        outcome = review.publish_with_plan(
            ingester=portal.ingester, actor=actor, ref=held.resource_id, number=number, plan=plan
        )
    except (Invalid, Conflict) as exc:
        return _refused(request, portal, actor, dataset, held, "transform", values, exc)
    done = "held" if outcome.held else "published"
    return _back(request, dataset, done, outcome.version.number)


@router.post(BASE + "/override", dependencies=[CsrfDep])
def override(
    request: Request,
    portal: PortalDep,
    actor: ActorDep,
    ref: str,
    resource: str,
    number: int,
    justification: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    """Publish the held version unchanged: one justification covers every finding that blocks it."""
    staff(actor)
    dataset, held = _held(portal, actor, ref, resource, number)
    values = {"justification": justification}
    blocking = {(f.column, f.kind) for f in held.findings if f.severity == "high"}
    try:
        if not justification.strip():
            raise Invalid(
                msg("a justification is required"),
                errors=[FieldError("justification", _("Say why these data may be published as they are."))],
            )
        overrides = [
            {"column": column, "kind": kind, "justification": justification.strip()}
            for column, kind in sorted(blocking)
        ]
        version = review.publish_with_overrides(
            ingester=portal.ingester, actor=actor, ref=held.resource_id, number=number, overrides=overrides
        )
    except (Invalid, Conflict) as exc:
        return _refused(request, portal, actor, dataset, held, "override", values, exc)
    return _back(request, dataset, "overridden", version.number)


@router.post(BASE + "/accept-columns", dependencies=[CsrfDep])
def accept_columns(
    request: Request,
    portal: PortalDep,
    actor: ActorDep,
    ref: str,
    resource: str,
    number: int,
    comment: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    """Accept the dropped, renamed or retyped columns of a held version; it is published unless the
    personal-data gate still holds it."""
    staff(actor)
    dataset, findings = _findings(portal, actor, ref, resource, number)
    held = next(
        (
            h
            for h in findings.schema_held
            if h.number == number and resource in (h.resource_id, h.resource_name)
        ),
        None,
    )
    if held is None:
        raise NotFound(
            msg(
                "dataset '{name}' has no version {number} of '{resource}' held for its columns",
                name=dataset.name,
                number=number,
                resource=resource,
            )
        )
    try:
        accepted = schema_review.accept_schema_change(
            ingester=portal.ingester,
            actor=actor,
            ref=held.resource_id,
            number=number,
            comment=comment.strip() or None,
        )
    except (Invalid, Conflict) as exc:
        return _refused(request, portal, actor, dataset, held, "columns", {"comment": comment}, exc)
    done = "columns_held" if accepted.pending else "columns"
    return _back(request, dataset, done, number, anchor="columns")


def _findings(portal: Portal, actor: Actor, ref: str, resource: str, number: int) -> tuple[Dataset, Findings]:
    """The dataset and its findings, for an actor who may release its held versions."""
    dataset = datasets.get_dataset(store=portal.store, actor=actor, ref=ref)
    findings = dataset_findings(
        portal=portal, actor=actor, dataset=dataset, links=stored_statuses(store=portal.store)
    )
    if not findings.can_see_held:
        # Someone outside the organisation: the service refuses them the same way the API does.
        review.held_version(ingester=portal.ingester, actor=actor, ref=resource, number=number)
    elif not findings.can_release:
        # Checked before the form is read, so a member learns they may not act, not that a field is wrong.
        raise Forbidden(
            msg("only editors and administrators of this dataset's organisation release versions")
        )
    return dataset, findings


def _held(portal: Portal, actor: Actor, ref: str, resource: str, number: int) -> tuple[Dataset, HeldView]:
    """The dataset and its version held for personal data; NotFound when either is not there for them."""
    dataset, findings = _findings(portal, actor, ref, resource, number)
    for held in findings.held:
        if held.number == number and resource in (held.resource_id, held.resource_name):
            return dataset, held
    raise NotFound(
        msg(
            "dataset '{name}' has no held version {number} of resource '{resource}'",
            name=dataset.name,
            number=number,
            resource=resource,
        )
    )


def _refused(
    request: Request,
    portal: Portal,
    actor: Actor,
    dataset: Dataset,
    held: HeldView | SchemaHeldView,
    form: str,
    values: dict[str, str],
    exc: ObertError,
) -> Response:
    # Translated here, not in the template: a message may quote a column name from the data, which
    # must be escaped like any other text (the template's `_` would mark it safe).
    gettext = translations(request.state.lang).gettext
    errors: dict[str, list[str]] = {}
    placed = True
    for error in exc.errors if isinstance(exc, Invalid) else []:
        key = _field(error.field)
        if error.field.startswith("plan["):
            placed = False  # the service's own message names the step and the column
        elif gettext(error.message) not in errors.setdefault(key, []):
            errors[key].append(gettext(error.message))
    if not errors or not placed:
        errors.setdefault("_form", []).append(exc.message)
    problem = ReleaseProblem(held.resource_id, held.number, form, errors, values)
    return dataset_page(
        request, portal, actor, dataset, dataset_to_form(dataset), {}, status=exc.status, release=problem
    )


def _field(key: str) -> str:
    # The services name fields in their own terms (overrides[0].justification, plan[2].column); the
    # page has one justification box and one choice per column.
    if key.startswith("overrides"):
        return "justification"
    if key == "plan":
        return "_form"
    return key


def _back(request: Request, dataset: Dataset, done: str, number: int, *, anchor: str = "privacy") -> Response:
    return redirect(request, f"/publish/dataset/{dataset.name}?done={done}&version={number}#{anchor}")
