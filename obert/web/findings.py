"""What the publisher pages show about a dataset's problems: the personal data or changed columns that held
a table version back, and the metadata quality score with what to fix first and which links fail.

Data first, render second: these functions call the same domain services as the JSON API
(`obert.tableservice.held`, `obert.quality.service`, `obert.watch.links`) and shape their answers for
templates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from obert.auth import Actor
from obert.catalog.models import Dataset, Resource
from obert.portal import Portal
from obert.quality.links import LinkStatus
from obert.quality.metrics import MAX_POINTS
from obert.quality.score import score_dataset
from obert.tableservice.gate import PERSONAL_DATA
from obert.tableservice.held import held_versions
from obert.tableservice.review import HeldVersion
from obert.tableservice.versions import pending_holds
from obert.watch.links import dataset_links


def _(message: str) -> str:
    """Marks `message` for translation; the template that shows it translates it."""
    return message


# What the publisher may do to a column from the page, and the plan step each choice stands for.
OPS = ("keep", "drop", "mask", "hash", "month", "year", "degrees", "metres", "redact", "blank")


@dataclass(frozen=True, slots=True)
class FindingView:
    column: str
    kind: str
    severity: str
    matched: int
    scanned: int
    examples: list[str]


@dataclass(frozen=True, slots=True)
class ColumnChoice:
    """One column of a held table in the transform form, with the change obert suggests for it."""

    name: str
    suggested: str
    flagged: bool


@dataclass(frozen=True, slots=True)
class HeldView:
    resource_id: str
    resource_name: str
    resource_title: dict[str, str]
    number: int
    row_count: int
    message: str
    sampled: bool
    findings: list[FindingView]
    columns: list[ColumnChoice]

    @property
    def anchor(self) -> str:
        return f"held-{self.resource_name}-{self.number}"


@dataclass(frozen=True, slots=True)
class SchemaHeldView:
    """A version held back because columns of the table served now were dropped, renamed or retyped."""

    resource_id: str
    resource_name: str
    resource_title: dict[str, str]
    number: int
    row_count: int
    compared_with: int | None
    changes: list[dict[str, Any]]  # as obert.tableservice.schema_diff.changes_json, additions included
    personal_data_too: bool  # the personal-data review must release it as well

    @property
    def anchor(self) -> str:
        return f"columns-{self.resource_name}-{self.number}"


@dataclass(frozen=True, slots=True)
class Advice:
    metric: str
    gain: int
    message: str  # a gettext message id; the template translates it


@dataclass(frozen=True, slots=True)
class BrokenLink:
    url: str
    status: int | None
    error: str | None


@dataclass(frozen=True, slots=True)
class QualityView:
    points: int
    max_points: int
    rating: str
    advice: list[Advice]
    broken_links: list[BrokenLink]


@dataclass(frozen=True, slots=True)
class Findings:
    quality: QualityView
    held: list[HeldView] = field(default_factory=list)
    can_see_held: bool = False
    can_release: bool = False
    schema_held: list[SchemaHeldView] = field(default_factory=list)


def dataset_findings(*, portal: Portal, actor: Actor, dataset: Dataset, links: LinkStatus) -> Findings:
    """Quality for anyone who may see the dataset; held versions for its organisation's people only."""
    quality = _quality(portal, actor, dataset, links)
    org_id = dataset.organization.id if dataset.organization else None
    if not actor.can_see_private_of(org_id):
        return Findings(quality)
    held = held_versions(store=portal.store, actor=actor, dataset=dataset)
    by_id = {r.id: r for r in dataset.resources}
    views = [_held_view(h, by_id[h.resource_id]) for h in held.versions if h.resource_id in by_id]
    schema = [_schema_view(h, by_id[h.resource_id]) for h in held.schema_changes if h.resource_id in by_id]
    return Findings(quality, views, True, held.can_release, schema)


def _quality(portal: Portal, actor: Actor, dataset: Dataset, links: LinkStatus) -> QualityView:
    base_url = portal.settings.base_url
    score = score_dataset(dataset, base_url=base_url, links=links)
    missed = sorted((r for r in score.metrics if not r.passed), key=lambda r: (-r.max_points, r.key))
    advice = [Advice(r.key, r.max_points, r.advice or "") for r in missed]
    broken = [
        BrokenLink(url, status.status, status.error)
        for url, status in dataset_links(store=portal.store, actor=actor, ref=dataset.id, base_url=base_url)
        if status is not None and not status.ok
    ]
    return QualityView(score.points, MAX_POINTS, score.rating.value, advice, broken)


def _held_view(held: HeldVersion, resource: Resource) -> HeldView:
    privacy = held.findings
    decision = privacy.get("decision") or {}
    scan = privacy.get("scan") or {}
    findings = [
        FindingView(
            column=str(f.get("column", "")),
            kind=str(f.get("kind", "")),
            severity=str(f.get("severity", "")),
            matched=int(f.get("matched") or 0),
            scanned=int(f.get("scanned") or 0),
            examples=[str(e) for e in f.get("examples") or []],
        )
        for f in scan.get("findings") or decision.get("blocking") or []
    ]
    flagged = {f.column.split(".")[0] for f in findings if f.severity == "high"}
    suggested = _suggested_ops(privacy.get("suggested_plan") or [])
    names: list[str] = []
    for column in list(scan.get("columns") or []) + [f.column for f in findings]:
        top = str(column).split(".")[0]
        if top not in names:
            names.append(top)
    return HeldView(
        resource_id=held.resource_id,
        resource_name=resource.name,
        resource_title=dict(resource.title),
        number=held.version.number,
        row_count=held.version.row_count,
        message=str(decision.get("message") or ""),
        sampled=bool(scan.get("sampled")),
        findings=findings,
        columns=[ColumnChoice(n, suggested.get(n, "keep"), n in flagged) for n in names],
    )


def _schema_view(held: HeldVersion, resource: Resource) -> SchemaHeldView:
    compared_with = held.findings.get("compared_with")
    return SchemaHeldView(
        resource_id=held.resource_id,
        resource_name=resource.name,
        resource_title=dict(resource.title),
        number=held.version.number,
        row_count=held.version.row_count,
        compared_with=int(compared_with) if compared_with is not None else None,
        changes=[dict(c) for c in held.findings.get("changes") or []],
        personal_data_too=PERSONAL_DATA in pending_holds(held.version),
    )


def _suggested_ops(plan: list[Any]) -> dict[str, str]:
    """The page's choice for each step of the suggested plan (a JSON plan, see obert.privacy.plans)."""
    out: dict[str, str] = {}
    for step in plan:
        if not isinstance(step, dict):
            continue
        op, column = step.get("op"), step.get("column")
        if not isinstance(column, str):
            continue
        if op == "generalise_date":
            out[column] = "year" if step.get("to") == "year" else "month"
        elif op == "suppress_text":
            out[column] = "redact" if step.get("redact_only") else "blank"
        elif op in ("drop", "mask", "hash"):
            out[column] = str(op)
    return out


def plan_from_choices(
    columns: list[str], ops: list[str], kinds: dict[str, set[str]]
) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """The JSON plan for the form's per-column choices, and (field, problem) pairs for bad choices.

    `kinds` gives the kinds found in each column: a column of one kind is masked the way that kind is
    usually shown (``4567****Z``), any other column is masked whole."""
    problems: list[tuple[str, str]] = []
    if len(columns) != len(ops):
        return [], [("plan", _("Each column needs exactly one choice."))]
    plan: list[dict[str, Any]] = []
    coordinates: dict[str, list[str]] = {"degrees": [], "metres": []}
    for column, op in zip(columns, ops, strict=True):
        if op not in OPS:
            problems.append((column, _("This change is not one of the choices offered.")))
        elif op == "keep":
            continue
        elif op in ("drop", "hash"):
            plan.append({"op": op, "column": column})
        elif op == "mask":
            found = kinds.get(column, set())
            step: dict[str, Any] = {"op": "mask", "column": column}
            plan.append(step | ({"kind": next(iter(found))} if len(found) == 1 else {"keep_last": 0}))
        elif op in ("month", "year"):
            plan.append({"op": "generalise_date", "column": column, "to": op})
        elif op in ("redact", "blank"):
            plan.append({"op": "suppress_text", "column": column, "redact_only": op == "redact"})
        else:
            coordinates[op].append(column)
    if coordinates["degrees"]:
        # Three decimals of a degree is about 100 m on the ground at Barcelona's latitude.
        plan.append({"op": "generalise_coordinates", "columns": coordinates["degrees"], "decimals": 3})
    if coordinates["metres"]:
        plan.append({"op": "generalise_coordinates", "columns": coordinates["metres"], "grid": 100})
    if not plan and not problems:
        problems.append(("plan", _("Choose a change for at least one column.")))
    return plan, problems
