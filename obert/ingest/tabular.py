"""Tables that arrive as Python values (spreadsheets, JSON, GeoJSON) → typed Parquet.

These formats must be parsed in Python anyway, so their cells are turned into text and handed to
DuckDB as one Arrow table; from there on they follow the same exact inference as a small CSV.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa

from obert.errors import FieldError, Invalid, msg
from obert.ingest.infer import Conversion, Inferred, convert_expr, infer, units
from obert.ingest.names import clean_names
from obert.ingest.numbers import reading
from obert.ingest.stage import Staged, copy_select


def as_text(value: object) -> str | None:
    """One cell as the text a CSV would have held: ``12.0`` → ``12``, dates in ISO, lists as JSON."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def stage_rows(
    con: duckdb.DuckDBPyConnection,
    header: list[str],
    rows: list[list[str | None]],
    *,
    tmp: Path,
    max_columns: int,
    forced: Mapping[str, Conversion] | None = None,
    warnings: list[str] | None = None,
    sheet: str | None = None,
) -> Staged:
    """Infer and write a table given as text cells; `forced` fixes the conversion of some columns."""
    if len(header) > max_columns:
        raise Invalid(
            msg(
                "the table has {count} columns, more than the {limit} allowed",
                count=len(header),
                limit=max_columns,
            ),
            errors=[FieldError("header", f"{len(header)} columns > {max_columns}")],
        )
    names = clean_names(header)
    width = len(names)
    columns = [pa.array([r[i] if i < len(r) else None for r in rows], pa.string()) for i in range(width)]
    table = pa.Table.from_arrays(columns, names=names)
    con.register("obert_raw", table)
    try:
        _, inferred = infer(con, "obert_raw", names, grouped=True)
        forced = forced or {}
        inferred = [
            Inferred(forced[n], inf.padded, inf.placeholders) if n in forced else inf
            for n, inf in zip(names, inferred, strict=True)
        ]
        select = ", ".join(
            convert_expr(n, inf.conversion, number=inf.number) for n, inf in zip(names, inferred, strict=True)
        )
        stats = copy_select(
            con,
            f"SELECT {select} FROM obert_raw",
            tmp=tmp,
            names=names,
            types=[i.type for i in inferred],
            units=units(names, inferred),
        )
    finally:
        con.unregister("obert_raw")
    return Staged(
        row_count=len(rows),
        names=names,
        original_names=header,
        types=[i.type for i in inferred],
        placeholders=[i.placeholders for i in inferred],
        warnings=list(warnings or []),
        sheet=sheet,
        stats=stats,
        readings=[reading(i.number) for i in inferred],
        units=units(names, inferred),
    )


def flatten(record: Mapping[str, object], prefix: str = "") -> dict[str, object]:
    """Nested objects become dotted names (``address.zip``); lists stay whole, as JSON text."""
    out: dict[str, object] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, f"{name}."))
        else:
            out[name] = value
    return out


def records_to_rows(records: list[dict[str, object]]) -> tuple[list[str], list[list[str | None]]]:
    """Column names in first-seen order across all records, and each record's cells as text."""
    header: dict[str, None] = {}
    for rec in records:
        header.update(dict.fromkeys(rec))
    names = list(header)
    return names, [[as_text(rec.get(n)) for n in names] for rec in records]
