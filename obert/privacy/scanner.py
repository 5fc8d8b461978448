"""scan_table: run every detector over every column of a table and gather the findings."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date
from itertools import pairwise
from typing import TypeAlias

import pyarrow as pa
import pyarrow.compute as pc

from obert.errors import FieldError, Invalid
from obert.privacy.column import Column, Options
from obert.privacy.freetext import embedded_tallies, free_text_tally
from obert.privacy.identifiers import ANY_ASCII_SHAPE, IDENTIFIER_DETECTORS, identifier_shaped
from obert.privacy.kinds import SEVERITY, Finding, ScanReport
from obert.privacy.masking import mask
from obert.privacy.people import detect_address, detect_birth_date, detect_person_name
from obert.privacy.spans import PREFILTER, display_name, header_spans
from obert.privacy.tally import ColumnTally

Detector = Callable[[Column, Options], "Finding | None"]
ONE = {
    "dni": "a DNI number",
    "nie": "an NIE number",
    "iban": "an IBAN",
    "email": "an e-mail address",
    "phone": "a phone number",
    "card": "a payment card number",
}
TableLike: TypeAlias = Mapping[str, Sequence[object]] | pa.Table

# What the pass over every cell reads of a column (see add_identifiers): values with an identifier's shape
# whole, and values that may hold one inside (the span prefilters); the rest of a piece is only counted.
_WORTH_READING = f"{ANY_ASCII_SHAPE}|{PREFILTER}"

# Judgement-based detectors, which need every value (identifier detectors only see candidates).
DETECTORS: tuple[Detector, ...] = (
    detect_person_name,
    detect_address,
    detect_birth_date,
)


def as_table(columns: TableLike) -> pa.Table:
    """A pyarrow Table from a Table or a mapping of column name to values (values of mixed types are
    kept as their text, so any Python sequence can be scanned)."""
    if isinstance(columns, pa.Table):
        return columns
    arrays: dict[str, pa.Array] = {}
    for name, values in columns.items():
        try:
            arrays[name] = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            arrays[name] = pa.array([None if v is None else str(v) for v in values], pa.string())
    lengths = {len(a) for a in arrays.values()}
    if len(lengths) > 1:
        raise Invalid(
            "all columns must have the same number of values",
            errors=[FieldError(field=name, message=f"{len(a)} values") for name, a in arrays.items()],
        )
    return pa.table(arrays)


def sample_positions(total: int, rows: int | None) -> list[int] | None:
    """The positions of the rows :func:`sample` keeps out of `total` (None: all of them)."""
    if rows is None or total <= rows:
        return None
    # One row drawn at random from each of `rows` equal stretches of the table: spread over all of it like
    # a simple random sample, and drawn in one pass (``random.sample`` of 200,000 positions out of a
    # million, then sorting them, took a tenth of the whole personal-data scan).
    rng = random.Random(total)
    bounds = [i * total // rows for i in range(rows + 1)]
    return [lo + int(rng.random() * (hi - lo)) for lo, hi in pairwise(bounds)]


def sample(table: pa.Table, rows: int | None) -> pa.Table:
    """At most `rows` rows, spread over the whole table and the same on every run."""
    chosen = sample_positions(table.num_rows, rows)
    if chosen is None:
        return table
    return table.take(pa.array(chosen, pa.int64()))


def leaves(name: str, array: pa.Array | pa.ChunkedArray) -> Iterator[tuple[str, pa.Array]]:
    """Every scalar column inside `array`: struct fields become ``parent.child`` and list items are
    scanned as one column of items, so nested JSON is scanned like a flat table."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks() if array.num_chunks != 1 else array.chunk(0)
    kind = array.type
    if pa.types.is_struct(kind):
        flat = array.flatten()
        for index in range(kind.num_fields):
            yield from leaves(f"{name}.{kind.field(index).name}", flat[index])
    elif pa.types.is_map(kind):
        yield from leaves(f"{name}.key", array.keys)
        yield from leaves(f"{name}.value", array.items)
    elif pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind):
        yield from leaves(name, pc.list_flatten(array))
    else:
        yield name, array


def scan_table(
    columns: TableLike,
    *,
    sample_rows: int | None = 10_000,
    min_share: float = 0.5,
    max_examples: int = 3,
    today: date | None = None,
    batches: Iterable[pa.Table | pa.RecordBatch] | None = None,
) -> ScanReport:
    """Scan a table for personal data.

    `sample_rows` caps the rows read (None reads them all); `min_share` is the part of a column's
    candidate values that must validate before the column is reported; `today` anchors the "plausible
    human age" test for birth dates. Examples in the report are masked, and so are identifiers used as
    column names (``columns`` and each finding's ``column``).

    `batches`, when given, is the whole table in pieces (a large file's row groups; their columns as in
    `columns`): identifiers (DNI, NIE, IBAN, e-mail, phone, card, in whole values or inside text) are
    then searched in every cell of it, and only the judgements that need all of a column's values at
    once (names, addresses, birth dates, whether a column is prose) rest on the sample.
    """
    if sample_rows is not None and sample_rows < 1:
        raise Invalid(
            "sample_rows must be at least 1, or None to scan every row",
            errors=[FieldError(field="sample_rows", message=str(sample_rows))],
        )
    table = as_table(columns)
    options = Options(min_share=min_share, max_examples=max_examples, today=today or date.today())
    scanned = sample(table, sample_rows)
    tallies: dict[str, ColumnTally] = {}
    judged: dict[str, list[Finding]] = {}
    masked: dict[str, bool] = {}  # label -> whether the top-level name holds an identifier
    for top in scanned.column_names:
        top_masked = display_name(top) != top
        for name, array in leaves(top, scanned.column(top)):
            tally = tallies[name] = ColumnTally(label=display_name(name))
            masked[tally.label] = top_masked
            column = Column.from_array(name, array)
            if column is None or not column.filled:
                continue
            tally.prose = column.prose
            judged[name] = [f for detect in DETECTORS if (f := detect(column, options)) is not None]
            if batches is None:
                add_identifiers(tally, column, options)
    for batch in batches or ():
        for top in batch.column_names:
            for name, array in leaves(top, batch.column(top)):
                tally = tallies.setdefault(name, ColumnTally(label=display_name(name)))
                column = Column.from_array(name, array, prose=tally.prose, only=_WORTH_READING)
                if column is not None and column.filled:
                    add_identifiers(tally, column, options)
    findings = header_findings(list(tallies), options)
    for name, tally in tallies.items():
        found = tally.findings(options)
        if not any(f.kind == "free_text" for f in found):
            found += judged.get(name, [])
        findings.extend(found)
    return ScanReport(
        rows_total=table.num_rows,
        rows_scanned=scanned.num_rows,
        columns=tuple(t.label for t in tallies.values()),
        findings=tuple(
            dataclasses.replace(f, name_masked=True) if masked.get(f.column) else f for f in findings
        ),
    )


def add_identifiers(tally: ColumnTally, column: Column, options: Options) -> None:
    """Add what the identifier detectors see in `column` (one piece of it) to `tally`."""
    tally.scanned += column.scanned
    settled = tally.skipping()
    tally.free.merge(free_text_tally(column, options, skip=settled), options)
    shaped = identifier_shaped(column)
    if len(shaped.distinct):
        for detect in IDENTIFIER_DETECTORS:
            if (found := detect(shaped, options)) is not None:
                tally.add(found, options)
    for found in embedded_tallies(column, options, skip=settled):
        tally.add(found, options)
    tally.settle(options)


def header_findings(names: list[str], options: Options) -> list[Finding]:
    """An identifier used as a column name (a header, or a key inside nested JSON) is published with
    the table's schema even when no cell holds it."""
    findings: list[Finding] = []
    seen: set[tuple[str, str]] = set()
    for name in names:
        for span in header_spans(name):
            example = mask(span.text, span.kind)
            if (span.kind, example) in seen:
                continue
            seen.add((span.kind, example))
            findings.append(
                Finding(
                    column=display_name(name),
                    kind=span.kind,
                    severity=SEVERITY[span.kind],
                    matched=1,
                    scanned=1,
                    reason="header",
                    examples=(example,),
                    detail=f"the column's name holds {ONE[span.kind]}: rename the column at the source",
                )
            )
    return findings
