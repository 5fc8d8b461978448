"""The personal-data gate: find personal data in a table, take it out, decide whether it may be published.

Pure code: no database, no HTTP, no settings. Everything takes and returns values (pyarrow Tables,
dataclasses); thresholds are keyword arguments. Storing overrides and plans, and asking the gate before
a version goes public, belong to the caller (ingest, catalogue) and come with the wiring.

Entry points
------------
``scan_table(columns, *, sample_rows=10_000, min_share=0.5, max_examples=3, today=None, batches=None)``
    -> ``ScanReport``. `columns` is a ``pyarrow.Table`` or a mapping of column name to values. Nested
    struct/list/map columns (JSON) are scanned leaf by leaf as ``parent.child``, and JSON text in a
    cell is read as text. Each ``Finding`` gives the column, `kind` (dni, nie, cif, iban, email, phone,
    card, person_name, address, birth_date, free_text), `severity` (high blocks; a company's CIF is
    low), `matched` of `scanned` cells, the `reason` (content, column_name, both, or header when the
    column's name is itself an identifier) and masked examples: a report never holds a raw value, and
    column names holding an identifier are shown masked too (``name_masked``). Tables longer than
    `sample_rows` are sampled evenly and deterministically (``report.sampled``); with `batches` (the
    whole table in pieces) identifiers are searched in every row and only names, addresses, birth
    dates and prose are judged on the sample.

``apply_transforms(table, plan, *, salt=None) -> pyarrow.Table``
    Runs a plan of ``DropColumn``, ``MaskColumn``, ``HashColumn`` (HMAC-SHA256 under `salt`, which a
    plan never stores), ``GeneraliseDate``, ``GeneraliseCoordinates`` and ``SuppressText``.
    ``plan_to_json`` / ``plan_from_json`` store and read a plan; ``suggest_plan(report)`` proposes one.

``gate(report, overrides=(), *, min_justification=40) -> GateDecision``
    Publication is allowed when every high-severity finding of the table *as it will be published* is
    covered by an ``Override`` (column, kind, actor, aware datetime, justification). An incomplete
    override raises ``obert.errors.Invalid``.

``check_publication(table, *, plan=(), overrides=(), salt=None, sample_rows=None) -> PublicationCheck``
    Transform, re-scan (every row by default) and gate in one call; returns the new table, its report
    and the decision.

``suppress_small_counts(table, *, count_columns, threshold=5, marker=None, suppress_zero=False)``,
``min_group_size(table, *, count_column=None, group_columns=()) -> int | None``
    Small-count protection for statistics about people.

Precision rules (open data is full of codes that look like identifiers)
-----------------------------------------------------------------------
- Text is normalised first (`normalise`): full-width digits, invisible characters (U+200B...),
  typographic dashes and spaces and JSON escapes do not hide an identifier, and the usual separators
  between digit groups ("12 345 678 Z", "(+34) 612.345.678") are accepted.
- DNI, NIE, CIF, IBAN and card numbers count only with a correct check digit, and a column is reported
  only when at least `min_share` of its look-alikes validate (random codes pass a DNI letter 1 in 23),
  whether they are whole values or sit inside text; a valid one right after a word naming its kind
  ("DNI 12345678Z", "tel. 612 345 678") counts on its own.
- A bare nine-digit number is a phone only in a column named like one (tel, telèfon, mòbil, phone...)
  or right after such a word; written numbers ("+34 612 345 678", "93 412 00 00") count anywhere.
- Names need an unambiguous column name (cognoms, surname...) or values that read as a common given
  name plus surnames; "nom"/"name" columns of streets, districts or stations are recognised by their
  name (Nom_carrer) or their values.
- Addresses need a floor and door ("3r 2a") or an address column name; birth dates need a birth column
  name and dates within a human lifetime. Floats and integers under 10^8 are never identifiers.
"""

from obert.privacy.counts import min_group_size, suppress_small_counts
from obert.privacy.gate import (
    GateDecision,
    Override,
    PublicationCheck,
    check_publication,
    gate,
    validate_overrides,
)
from obert.privacy.kinds import SEVERITY, Finding, Kind, Reason, ScanReport, Severity
from obert.privacy.masking import mask
from obert.privacy.plans import plan_from_json, plan_to_json, suggest_plan
from obert.privacy.scanner import scan_table
from obert.privacy.transforms import (
    DropColumn,
    GeneraliseCoordinates,
    GeneraliseDate,
    HashColumn,
    MaskColumn,
    SuppressText,
    Transform,
    apply_transforms,
)

__all__ = [
    "SEVERITY",
    "DropColumn",
    "Finding",
    "GateDecision",
    "GeneraliseCoordinates",
    "GeneraliseDate",
    "HashColumn",
    "Kind",
    "MaskColumn",
    "Override",
    "PublicationCheck",
    "Reason",
    "ScanReport",
    "Severity",
    "SuppressText",
    "Transform",
    "apply_transforms",
    "check_publication",
    "gate",
    "mask",
    "min_group_size",
    "plan_from_json",
    "plan_to_json",
    "scan_table",
    "suggest_plan",
    "suppress_small_counts",
    "validate_overrides",
]
