"""The publication decision: a table with personal data does not go out unless it was transformed until a
re-scan is clean, or a named person recorded why it may (an override with a justification)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import pyarrow as pa

from obert.errors import FieldError, Invalid
from obert.privacy.kinds import Finding, Kind, ScanReport
from obert.privacy.scanner import TableLike, as_table, scan_table
from obert.privacy.transforms import Transform, apply_transforms
from obert.types import JSONDict, JSONValue

MIN_JUSTIFICATION = 40


@dataclass(frozen=True, slots=True)
class Override:
    """Someone accepted publishing `kind` in `column` as it is, and said why. Storing it (and who may
    give one) belongs to the caller; the gate only checks it is complete."""

    column: str
    kind: Kind
    actor: str
    at: datetime
    justification: str

    def to_json(self) -> JSONDict:
        return {
            "column": self.column,
            "kind": self.kind,
            "actor": self.actor,
            "at": self.at.isoformat(),
            "justification": self.justification,
        }


@dataclass(frozen=True, slots=True)
class GateDecision:
    allowed: bool
    blocking: tuple[Finding, ...] = ()
    overridden: tuple[tuple[Finding, Override], ...] = ()
    notes: tuple[Finding, ...] = ()  # findings that never block (a company's CIF)
    unused: tuple[Override, ...] = field(default=())  # overrides matching no finding
    # The decision rests on a sample: sparse personal data (one DNI in a million rows) can hide from it.
    sampled: bool = False

    @property
    def message(self) -> str:
        if self.allowed:
            return "no personal data blocks publication"
        parts = [
            f"{f.kind} in column {f.column!r} ({f.matched} of {f.scanned} values)" for f in self.blocking
        ]
        return "publication is held back: " + "; ".join(parts)

    def to_json(self) -> JSONDict:
        blocking: list[JSONValue] = [f.to_json() for f in self.blocking]
        overridden: list[JSONValue] = [
            {"finding": f.to_json(), "override": o.to_json()} for f, o in self.overridden
        ]
        notes: list[JSONValue] = [f.to_json() for f in self.notes]
        unused: list[JSONValue] = [o.to_json() for o in self.unused]
        return {
            "allowed": self.allowed,
            "message": self.message,
            "blocking": blocking,
            "overridden": overridden,
            "notes": notes,
            "unused_overrides": unused,
            "sampled": self.sampled,
        }


def validate_overrides(overrides: Sequence[Override], *, min_justification: int = MIN_JUSTIFICATION) -> None:
    """Raise Invalid naming each incomplete override: no actor, a time without a zone, or a justification
    shorter than `min_justification` characters."""
    errors: list[FieldError] = []
    for index, override in enumerate(overrides):
        where = f"overrides[{index}]"
        if not override.actor.strip():
            errors.append(FieldError(field=f"{where}.actor", message="who accepts the risk must be named"))
        if override.at.tzinfo is None or override.at.utcoffset() is None:
            errors.append(FieldError(field=f"{where}.at", message="the time needs a time zone"))
        if len(override.justification.strip()) < min_justification:
            errors.append(
                FieldError(
                    field=f"{where}.justification",
                    message=f"explain why in at least {min_justification} characters",
                )
            )
    if errors:
        raise Invalid("an override is incomplete", errors=errors)


def gate(
    report: ScanReport, overrides: Sequence[Override] = (), *, min_justification: int = MIN_JUSTIFICATION
) -> GateDecision:
    """Decide whether the scanned table may be published. `report` must be the scan of the table as it
    will be published, i.e. after its transforms; each high-severity finding needs an override for the
    same column and kind."""
    validate_overrides(overrides, min_justification=min_justification)
    by_key = {(o.column, o.kind): o for o in overrides}
    blocking: list[Finding] = []
    overridden: list[tuple[Finding, Override]] = []
    used: set[tuple[str, str]] = set()
    for finding in report.blocking:
        key = (finding.column, finding.kind)
        if key in by_key:
            overridden.append((finding, by_key[key]))
            used.add(key)
        else:
            blocking.append(finding)
    return GateDecision(
        allowed=not blocking,
        blocking=tuple(blocking),
        overridden=tuple(overridden),
        notes=tuple(f for f in report.findings if f.severity != "high"),
        unused=tuple(o for o in overrides if (o.column, o.kind) not in used),
        sampled=report.sampled,
    )


@dataclass(frozen=True, slots=True)
class PublicationCheck:
    """What `check_publication` produces: the table to publish, its scan and the decision on it."""

    table: pa.Table
    report: ScanReport
    decision: GateDecision


def check_publication(
    table: TableLike,
    *,
    plan: Sequence[Transform] = (),
    overrides: Sequence[Override] = (),
    salt: bytes | None = None,
    sample_rows: int | None = None,
    min_justification: int = MIN_JUSTIFICATION,
) -> PublicationCheck:
    """Apply `plan`, scan the result and gate it: the one call an ingest needs before publishing. It
    reads every row by default, since a sample can miss a single identifier in a large table."""
    transformed = apply_transforms(as_table(table), plan, salt=salt)
    report = scan_table(transformed, sample_rows=sample_rows)
    decision = gate(report, overrides, min_justification=min_justification)
    return PublicationCheck(table=transformed, report=report, decision=decision)
