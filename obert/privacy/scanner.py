"""scan_table: run every detector over every column of a table and gather the findings."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date
from typing import TypeAlias

import pyarrow as pa
import pyarrow.compute as pc

from obert.errors import FieldError, Invalid
from obert.privacy.column import Column, Options
from obert.privacy.freetext import detect_free_text
from obert.privacy.identifiers import ANY_IDENTIFIER, IDENTIFIER_DETECTORS
from obert.privacy.kinds import Finding, ScanReport
from obert.privacy.people import detect_address, detect_birth_date, detect_person_name

Detector = Callable[[Column, Options], "Finding | None"]
TableLike: TypeAlias = Mapping[str, Sequence[object]] | pa.Table

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
    return sorted(random.Random(total).sample(range(total), rows))


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
) -> ScanReport:
    """Scan a table for personal data.

    `sample_rows` caps the rows read (None reads them all); `min_share` is the part of a column's
    candidate values that must validate before the column is reported; `today` anchors the "plausible
    human age" test for birth dates. Examples in the report are masked.
    """
    if sample_rows is not None and sample_rows < 1:
        raise Invalid(
            "sample_rows must be at least 1, or None to scan every row",
            errors=[FieldError(field="sample_rows", message=str(sample_rows))],
        )
    table = as_table(columns)
    options = Options(min_share=min_share, max_examples=max_examples, today=today or date.today())
    scanned = sample(table, sample_rows)
    findings: list[Finding] = []
    names: list[str] = []
    for top in scanned.column_names:
        for name, array in leaves(top, scanned.column(top)):
            names.append(name)
            column = Column.from_array(name, array)
            if column is not None:
                findings.extend(scan_column(column, options))
    return ScanReport(
        rows_total=table.num_rows,
        rows_scanned=scanned.num_rows,
        columns=tuple(names),
        findings=tuple(findings),
    )


def scan_column(column: Column, options: Options) -> list[Finding]:
    """Findings for one column: free text when it reads as prose, else one per kind that matches."""
    if not column.filled:
        return []
    text = detect_free_text(column, options)
    if text is not None:
        return [text]
    found: list[Finding] = []
    shaped = column.narrowed(ANY_IDENTIFIER)
    if len(shaped.distinct):
        found.extend(f for detect in IDENTIFIER_DETECTORS if (f := detect(shaped, options)) is not None)
    found.extend(f for detect in DETECTORS if (f := detect(column, options)) is not None)
    return found
