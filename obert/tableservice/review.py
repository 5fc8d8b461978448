"""What a publisher does with a version the personal-data gate held back: see the findings, publish a
transformed copy (a new version, scanned again), or publish it as it is under a justified override.
Both actions are written to the activity log with who did it and why."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from obert.auth import Actor, audit
from obert.catalog.access import load_dataset, require_editor
from obert.catalog.resources import get_resource
from obert.errors import Conflict, FieldError, Invalid, NotFound, msg
from obert.privacy import Override, apply_transforms, plan_from_json
from obert.privacy.plans import plan_to_json
from obert.tableservice.gate import PERSONAL_DATA
from obert.tableservice.personal_data import PersonalDataGate, findings_json, read_version, salt_for
from obert.tableservice.service import Ingester, IngestOutcome
from obert.tableservice.versions import HELD, Version, list_versions, pending_holds, publish_held


@dataclass(frozen=True, slots=True)
class HeldVersion:
    resource_id: str
    version: Version
    findings: dict[str, Any]


def held_version(*, ingester: Ingester, actor: Actor, ref: str, number: int) -> HeldVersion:
    """A version of resource `ref` with its personal-data findings; editors of its dataset only."""
    resource = get_resource(store=ingester.store, actor=actor, ref=ref)
    with ingester.store.read() as conn:
        require_editor(actor, load_dataset(conn, actor, resource.dataset_id))
        found = [v for v in list_versions(conn, resource.id) if v.number == number]
    if not found:
        raise NotFound(msg("resource '{name}' has no version {number}", name=resource.name, number=number))
    version = found[0]
    return HeldVersion(resource.id, version, dict(version.report.get("privacy") or {}))


def publish_with_plan(
    *, ingester: Ingester, actor: Actor, ref: str, number: int, plan: object
) -> IngestOutcome:
    """Apply `plan` (drop, mask, hash, generalise…) to held version `number` and ingest the result as a
    new version: it is scanned again and published only if nothing blocking is left."""
    held = _held(ingester=ingester, actor=actor, ref=ref, number=number)
    steps = plan_from_json(plan)
    salt = salt_for(ingester.settings.secret_key.get_secret_value(), held.resource_id)
    table = apply_transforms(read_version(ingester.tables.file(held.version.path)), steps, salt=salt)
    folder = ingester.tables.folder(held.resource_id)
    with tempfile.TemporaryDirectory(prefix=".transform-", dir=folder) as work:
        source = Path(work) / f"{Path(held.version.source_name or 'table').stem}.parquet"
        pq.write_table(table, source)
        outcome = ingester.ingest_prepared(
            resource_id=held.resource_id,
            path=source,
            name=source.name,
            created_by=actor.user_id,
            derived_from=held.version.id,
        )
    _audit(
        ingester,
        actor,
        held,
        action="privacy.transform",
        after={
            "plan": plan_to_json(steps),
            "new_version": outcome.version.number,
            "published": outcome.held is None,
        },
    )
    return outcome


def publish_with_overrides(
    *, ingester: Ingester, actor: Actor, ref: str, number: int, overrides: list[dict[str, Any]]
) -> Version:
    """Publish held version `number` as it is: every blocking finding needs an override (column, kind and
    a justification) from an editor, recorded with who and when."""
    held = _held(ingester=ingester, actor=actor, ref=ref, number=number)
    now = datetime.now(UTC)
    given = tuple(_override(item, index, actor, now) for index, item in enumerate(overrides))
    gate = ingester.gate_of(PersonalDataGate)
    if gate is None:
        raise Conflict(msg("no personal-data gate is configured"))
    report, decision = gate.decide(read_version(ingester.tables.file(held.version.path)), given)
    if not decision.allowed:
        raise Invalid(
            msg("every blocking finding needs an override"),
            errors=[
                FieldError(f"overrides.{f.column}", msg("{kind} is not covered", kind=f.kind))
                for f in decision.blocking
            ],
        )
    version = publish_held(
        ingester.store,
        version_id=held.version.id,
        privacy=findings_json(report, decision),
        actor_id=actor.user_id,
    )
    _audit(
        ingester,
        actor,
        held,
        action="privacy.override",
        after={"overrides": [o.to_json() for o in given], "published": version.state != HELD},
    )
    return version


def _held(*, ingester: Ingester, actor: Actor, ref: str, number: int) -> HeldVersion:
    held = held_version(ingester=ingester, actor=actor, ref=ref, number=number)
    if held.version.state != HELD:
        raise Conflict(
            msg("version {number} is not held back (it is {state})", number=number, state=held.version.state)
        )
    if PERSONAL_DATA not in pending_holds(held.version):
        raise Conflict(msg("version {number} is not held back for personal data", number=number))
    return held


def _override(item: dict[str, Any], index: int, actor: Actor, now: datetime) -> Override:
    if not isinstance(item, dict) or not {"column", "kind", "justification"} <= set(item):
        raise Invalid(
            msg("an override names a column, a kind and a justification"),
            errors=[FieldError(f"overrides[{index}]", msg("needs column, kind and justification"))],
        )
    return Override(
        column=str(item["column"]),
        kind=item["kind"],
        actor=actor.name,
        at=now,
        justification=str(item["justification"]),
    )


def _audit(
    ingester: Ingester, actor: Actor, held: HeldVersion, *, action: str, after: dict[str, Any]
) -> None:
    with ingester.store.begin() as conn:
        audit.append(
            conn,
            actor_id=actor.user_id,
            action=action,
            object_type="resource",
            object_id=held.resource_id,
            before={"version": held.version.number, "findings": held.findings.get("decision")},
            after=after,
        )
