"""What an editor does with a version held back because its columns changed: see the changes, and accept
them. Accepting is written to the activity log with who did it; the version is published at once unless
the personal-data gate still holds it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from obert.auth import Actor, audit
from obert.errors import Conflict, FieldError, Invalid, msg
from obert.tableservice.gate import SCHEMA_CHANGE
from obert.tableservice.review import HeldVersion, held_version
from obert.tableservice.service import Ingester
from obert.tableservice.versions import HELD, Version, clear_hold, pending_holds, report_key

MAX_COMMENT = 2000


@dataclass(frozen=True, slots=True)
class SchemaReview:
    version: Version
    pending: tuple[str, ...]  # the reasons the version still waits for
    findings: dict[str, Any]  # {"compared_with": n, "changes": [...], "accepted": {...} | None}


def schema_findings(*, ingester: Ingester, actor: Actor, ref: str, number: int) -> SchemaReview:
    """The column changes found in version `number` of `ref`; editors of its dataset only."""
    held = held_version(ingester=ingester, actor=actor, ref=ref, number=number)
    return _review(held.version)


def accept_schema_change(
    *, ingester: Ingester, actor: Actor, ref: str, number: int, comment: str | None = None
) -> SchemaReview:
    """Accept the dropped, renamed or retyped columns of held version `number`: it is published, unless
    it still waits for the personal-data gate (both must be cleared)."""
    held = held_version(ingester=ingester, actor=actor, ref=ref, number=number)
    if held.version.state != HELD or SCHEMA_CHANGE not in pending_holds(held.version):
        raise Conflict(msg("version {number} is not held back for a change of its columns", number=number))
    if comment is not None and len(comment) > MAX_COMMENT:
        raise Invalid(
            msg("the comment is too long"),
            errors=[FieldError("comment", msg("at most {max_comment} characters", max_comment=MAX_COMMENT))],
        )
    now = datetime.now(UTC)
    findings = dict(held.version.report.get(report_key(SCHEMA_CHANGE)) or {})
    accepted = {"actor": actor.name, "at": now.isoformat(), "comment": comment or None}
    version = clear_hold(
        ingester.store,
        version_id=held.version.id,
        reason=SCHEMA_CHANGE,
        findings={**findings, "accepted": accepted},
        actor_id=actor.user_id,
    )
    _audit(ingester, actor, held, findings=findings, comment=comment, published=version.state != HELD)
    return _review(version)


def _review(version: Version) -> SchemaReview:
    findings = dict(version.report.get(report_key(SCHEMA_CHANGE)) or {})
    return SchemaReview(version, pending_holds(version), findings)


def _audit(
    ingester: Ingester,
    actor: Actor,
    held: HeldVersion,
    *,
    findings: dict[str, Any],
    comment: str | None,
    published: bool,
) -> None:
    with ingester.store.begin() as conn:
        audit.append(
            conn,
            actor_id=actor.user_id,
            action="schema.accept",
            object_type="resource",
            object_id=held.resource_id,
            before={"version": held.version.number, "changes": findings.get("changes", [])},
            after={"comment": comment, "published": published},
        )
