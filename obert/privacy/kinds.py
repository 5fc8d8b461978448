"""What a scan finds: the kinds of personal data, their severity, and the report shapes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, TypeAlias

from obert.types import JSONDict, JSONValue

Kind: TypeAlias = Literal[
    "dni",
    "nie",
    "cif",
    "iban",
    "email",
    "phone",
    "card",
    "person_name",
    "address",
    "birth_date",
    "free_text",
]
Severity: TypeAlias = Literal["high", "medium", "low"]
# "header": the column's name itself is the identifier (a header such as ``12345678Z``).
Reason: TypeAlias = Literal["content", "column_name", "both", "header"]

# A company's CIF identifies a legal person, which data protection law does not cover; it is reported so a
# publisher sees it, but it never blocks publication.
SEVERITY: dict[Kind, Severity] = {
    "dni": "high",
    "nie": "high",
    "cif": "low",
    "iban": "high",
    "email": "high",
    "phone": "high",
    "card": "high",
    "person_name": "high",
    "address": "high",
    "birth_date": "high",
    "free_text": "high",
}


@dataclass(frozen=True, slots=True)
class Finding:
    """Personal data of one kind found in one column. `examples` are masked; a report never holds a raw
    value. `matched` and `scanned` count cells (rows for flat columns, list items for nested ones)."""

    column: str
    kind: Kind
    severity: Severity
    matched: int
    scanned: int
    reason: Reason
    examples: tuple[str, ...] = ()
    detail: str = ""
    # The column's top-level name holds an identifier, so `column` shows it masked and no transform
    # can name the column: the source must be fixed (or the finding overridden, by its masked name).
    name_masked: bool = False

    def to_json(self) -> JSONDict:
        examples: list[JSONValue] = list(self.examples)
        return {
            "column": self.column,
            "kind": self.kind,
            "severity": self.severity,
            "matched": self.matched,
            "scanned": self.scanned,
            "reason": self.reason,
            "examples": examples,
            "detail": self.detail,
            "name_masked": self.name_masked,
        }


@dataclass(frozen=True, slots=True)
class ScanReport:
    """The result of scanning one table. `sampled` is true when only `rows_scanned` of `rows_total` rows
    were read (an evenly spread, deterministic sample)."""

    rows_total: int
    rows_scanned: int
    columns: tuple[str, ...]  # as shown in reports: identifiers in a name are masked
    findings: tuple[Finding, ...] = field(default=())

    @property
    def sampled(self) -> bool:
        return self.rows_scanned < self.rows_total

    @property
    def blocking(self) -> tuple[Finding, ...]:
        """Findings that hold publication back unless transformed away or overridden."""
        return tuple(f for f in self.findings if f.severity == "high")

    @property
    def clean(self) -> bool:
        return not self.blocking

    def for_column(self, column: str) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.column == column)

    def to_json(self) -> JSONDict:
        columns: list[JSONValue] = list(self.columns)
        findings: list[JSONValue] = [f.to_json() for f in self.findings]
        return {
            "rows_total": self.rows_total,
            "rows_scanned": self.rows_scanned,
            "sampled": self.sampled,
            "clean": self.clean,
            "columns": columns,
            "findings": findings,
        }
