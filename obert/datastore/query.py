"""Pages of rows from one table version, filtered, searched and sorted."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

from obert.datastore.engine import quote_ident, translated
from obert.datastore.filters import FilterValue, check_column, where_clause
from obert.datastore.schema import Field, TableSchema
from obert.datastore.tables import open_table
from obert.errors import FieldError, Invalid

MAX_LIMIT = 1000
JSONScalar = str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class RowsPage:
    fields: list[Field]
    rows: list[dict[str, JSONScalar]]
    total: int | None
    truncated: bool = False  # run_sql only: more rows existed than the cap


def query_rows(
    path: Path,
    *,
    filters: dict[str, FilterValue] | None = None,
    q: str | None = None,
    fields: list[str] | None = None,
    sort: list[tuple[str, bool]] | None = None,
    limit: int = 100,
    offset: int = 0,
    include_total: bool = True,
    max_limit: int = MAX_LIMIT,
) -> RowsPage:
    """One page of rows. `sort` is (column, descending) pairs; ties keep file order.

    Unknown columns, values of the wrong type and limits out of range raise ``Invalid``.
    """
    table = open_table(path)
    schema = table.schema
    if not 0 <= limit <= max_limit:
        raise Invalid(
            "limit out of range", errors=[FieldError("limit", f"must be between 0 and {max_limit}")]
        )
    if offset < 0:
        raise Invalid("offset out of range", errors=[FieldError("offset", "must be 0 or more")])
    chosen = select_fields(schema, fields)
    where, params = where_clause(schema, filters or {}, q)
    order = order_by(schema, sort or [])
    cols = ", ".join(quote_ident(f.name) for f in chosen) or "NULL AS _"
    cur = table.cursor()
    with translated():
        raw = cur.execute(
            f"SELECT {cols} FROM t {where} {order} LIMIT ? OFFSET ?", [*params, limit, offset]
        ).fetchall()
        total = None
        if include_total:
            row = cur.execute(f"SELECT count(*) FROM t {where}", params).fetchone()
            total = int(row[0]) if row else 0
    names = [f.name for f in chosen]
    rows = [{n: json_value(v) for n, v in zip(names, r, strict=False)} for r in raw]
    return RowsPage(fields=chosen, rows=rows, total=total)


def select_fields(schema: TableSchema, fields: list[str] | None) -> list[Field]:
    if fields is None:
        return list(schema.fields)
    by_name = {f.name: f for f in schema.fields}
    for name in fields:
        check_column(schema, name, field="fields")
    return [by_name[n] for n in fields]


def order_by(schema: TableSchema, sort: list[tuple[str, bool]]) -> str:
    if not sort:
        return ""  # a Parquet scan already returns rows in file order; sorting 1M rows costs ~20 ms
    keys = []
    for name, descending in sort:
        check_column(schema, name, field="sort")
        keys.append(f"{quote_ident(name)} {'DESC' if descending else 'ASC'} NULLS LAST")
    # file_row_number keeps pages stable: without it equal keys may come back in any order.
    keys.append("file_row_number")
    return "ORDER BY " + ", ".join(keys)


def json_value(value: object) -> JSONScalar:
    """A DuckDB value as JSON: dates in ISO 8601, NaN as null."""
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return str(value)
