"""Pages of rows from one table version, filtered, searched and sorted."""

from __future__ import annotations

import json
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

from obert.datastore.engine import quote_ident, translated
from obert.datastore.filters import FilterValue, check_column, where_clause
from obert.datastore.masking import Masked, column_expr, refuse_masked
from obert.datastore.schema import Field, TableSchema
from obert.datastore.tables import OpenTable, cached_table, open_table
from obert.errors import FieldError, Invalid, msg

MAX_LIMIT = 1000
_FIRST = '"__obert_first_row"'  # where a distinct row first appears, to keep pages in file order
JSONScalar = str | int | float | bool | None


class _Memo:
    """A small thread-safe LRU of results computed from one version.

    A version never changes, so what a query returns can be kept under the file's identity (path,
    mtime, size) and never go stale. On a big table, counting the rows a filter matches and decoding a
    row group for the first page are most of a request's cost; popular pages come back from here.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[tuple[object, ...], object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[object, ...]) -> object | None:
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
            return hit

    def put(self, key: tuple[object, ...], value: object) -> None:
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)


_COUNTS = _Memo(4096)
_PAGES = _Memo(256)


def dumps(value: object) -> bytes:
    """JSON as the API sends it (the same bytes as Starlette's JSONResponse)."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


class PageRows:
    """The rows of one cached page and, made on first use, their JSON.

    Encoding a page of 100 wide rows costs about as much as the rest of a cached request; a version never
    changes, so its popular pages are encoded once.
    """

    __slots__ = ("_json", "rows")

    def __init__(self, rows: list[dict[str, JSONScalar]]) -> None:
        self.rows = rows
        self._json: bytes | None = None

    def json(self) -> bytes:
        if self._json is None:
            self._json = dumps(self.rows)  # two threads may both encode: the same bytes, no harm
        return self._json


@dataclass(frozen=True, slots=True)
class RowsPage:
    fields: list[Field]
    rows: list[dict[str, JSONScalar]]
    total: int | None
    truncated: bool = False  # run_sql only: more rows existed than the cap
    cached: PageRows | None = None

    def rows_json(self) -> bytes:
        """`rows` as JSON; cached pages keep theirs."""
        return self.cached.json() if self.cached is not None else dumps(self.rows)


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
    masked: Masked | None = None,
    distinct: bool = False,
    row_ids: bool = False,
) -> RowsPage:
    """One page of rows. `sort` is (column, descending) pairs; ties keep file order.

    With `distinct`, each different row of the chosen `fields` comes once, where it first appears in
    the file (and `total` counts the different rows); it can then be sorted only on those fields.
    Unknown columns, values of the wrong type and limits out of range raise ``Invalid``. `masked`
    columns show null for counts under their threshold (see obert.datastore.masking). With `row_ids`,
    the row number ROW_ID comes first and can be filtered and sorted on like a column.
    """
    page = _rows(
        open_table(path),
        filters=filters,
        q=q,
        fields=fields,
        sort=sort,
        limit=limit,
        offset=offset,
        include_total=include_total,
        max_limit=max_limit,
        masked=masked,
        distinct=distinct,
        cached_only=False,
        row_ids=row_ids,
    )
    assert page is not None  # only cached_only answers None
    return page


def cached_rows(
    path: Path,
    *,
    filters: dict[str, FilterValue] | None = None,
    q: str | None = None,
    fields: list[str] | None = None,
    sort: list[tuple[str, bool]] | None = None,
    limit: int = 100,
    offset: int = 0,
    include_total: bool = True,
    masked: Masked | None = None,
    row_ids: bool = False,
) -> RowsPage | None:
    """The page `query_rows` would return, if memory alone can answer it (the version open, the page
    and its count computed before); otherwise None. It reads no file and runs no query, so it may be
    called on an event loop and `query_rows` sent to a thread only when it answers None."""
    table = cached_table(path)
    if table is None:
        return None
    return _rows(
        table,
        filters=filters,
        q=q,
        fields=fields,
        sort=sort,
        limit=limit,
        offset=offset,
        include_total=include_total,
        max_limit=MAX_LIMIT,
        masked=masked,
        distinct=False,
        cached_only=True,
        row_ids=row_ids,
    )


def _rows(
    table: OpenTable,
    *,
    filters: dict[str, FilterValue] | None,
    q: str | None,
    fields: list[str] | None,
    sort: list[tuple[str, bool]] | None,
    limit: int,
    offset: int,
    include_total: bool,
    max_limit: int,
    masked: Masked | None,
    distinct: bool,
    cached_only: bool,
    row_ids: bool = False,
) -> RowsPage | None:
    refuse_masked(masked, filters=filters, sort=sort)
    schema = table.schema.with_row_id() if row_ids else table.schema
    if not 0 <= limit <= max_limit:
        raise Invalid(
            msg("limit out of range"),
            errors=[FieldError("limit", msg("must be between 0 and {max_limit}", max_limit=max_limit))],
        )
    if offset < 0:
        raise Invalid(msg("offset out of range"), errors=[FieldError("offset", msg("must be 0 or more"))])
    chosen = select_fields(schema, fields)
    where, params = where_clause(schema, filters or {}, q)
    order = order_by(schema, sort or [])
    cols = ", ".join(column_expr(f.name, masked) for f in chosen) or "NULL AS _"
    sql = f"SELECT {cols} FROM t {where} {order} LIMIT ? OFFSET ?"
    count_sql = f"SELECT count(*) FROM t {where}"
    if distinct:
        sql = _distinct_sql(chosen, cols, where, sort or [])
        count_sql = f"SELECT count(*) FROM (SELECT DISTINCT {cols} FROM t {where})"
    version = table.key
    page_key = (*version, sql, *(repr(p) for p in params), limit, offset)
    cached = _PAGES.get(page_key)
    count_key = (*version, count_sql, *(repr(p) for p in params))
    if cached_only and (
        not isinstance(cached, PageRows) or (include_total and not isinstance(_COUNTS.get(count_key), int))
    ):
        return None
    with translated():
        if not isinstance(cached, PageRows):
            raw = table.cursor().execute(sql, [*params, limit, offset]).fetchall()
            names = [f.name for f in chosen]
            cached = PageRows([{n: json_value(v) for n, v in zip(names, r, strict=False)} for r in raw])
            _PAGES.put(page_key, cached)
        total = _count(table, count_key, count_sql, params) if include_total else None
    return RowsPage(fields=chosen, rows=list(cached.rows), total=total, cached=cached)


def _count(table: OpenTable, cache_key: tuple[object, ...], sql: str, params: list[object]) -> int:
    hit = _COUNTS.get(cache_key)
    if isinstance(hit, int):
        return hit
    row = table.cursor().execute(sql, params).fetchone()
    total = int(row[0]) if row else 0
    _COUNTS.put(cache_key, total)
    return total


def _distinct_sql(chosen: list[Field], cols: str, where: str, sort: list[tuple[str, bool]]) -> str:
    """A page of the different rows of `cols`, in the order of their first appearance unless sorted."""
    names = {f.name for f in chosen}
    keys = []
    for name, descending in sort:
        if name not in names:
            # As in SQL's SELECT DISTINCT: a row stands for many, which may differ in other columns.
            raise Invalid(
                msg("cannot sort distinct rows on {name}", name=repr(name)),
                errors=[
                    FieldError(
                        "sort", msg("with distinct, sort on the fields returned, not {name}", name=repr(name))
                    )
                ],
            )
        keys.append(f"{quote_ident(name)} {'DESC' if descending else 'ASC'} NULLS LAST")
    keys.append(_FIRST)
    outer = ", ".join(quote_ident(f.name) for f in chosen) or "_"
    grouped = f"SELECT {cols}, min(file_row_number) AS {_FIRST} FROM t {where} GROUP BY ALL"
    return f"SELECT {outer} FROM ({grouped}) ORDER BY {', '.join(keys)} LIMIT ? OFFSET ?"


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
