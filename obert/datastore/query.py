"""Pages of rows from one table version, filtered, searched and sorted."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from obert.datastore import hot
from obert.datastore.engine import quote_ident, translated
from obert.datastore.filters import FilterValue, check_column, where_clause
from obert.datastore.masking import Masked, column_expr, refuse_masked
from obert.datastore.memo import Memo
from obert.datastore.schema import Field, TableSchema
from obert.datastore.tables import OpenTable, cached_table, open_table
from obert.errors import FieldError, Invalid, msg

MAX_LIMIT = 1000
_FIRST = '"__obert_first_row"'  # where a distinct row first appears, to keep pages in file order
JSONScalar = str | int | float | bool | None


_COUNTS = Memo(4096)
_PAGES = Memo(256)
# Where the rows of a filter are (see _Marks): every matching row's number (4 bytes each below 2^31 rows),
# or every STEP-th one's when more than ALL_MARKED rows match. The whole is kept under 64 MB a process.
STEP = 64
ALL_MARKED = 1_000_000
_MARKS = Memo(64 * 1024 * 1024)


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
            # In file order (no sort, not distinct) a page need not be found by skipping `offset` matches
            # from the start: the filter's marks say from which row number to read.
            names = [f.name for f in chosen]
            marks = None if distinct or order else _marks(table, count_key, where, params)
            rows = None
            if marks is not None and not masked and not row_ids:
                rows = _hot_page(table, marks, names, limit, offset)
            if rows is None:
                query, args = (sql, [*params, limit, offset])
                if marks is not None:
                    query, args = marks.page(cols, where, params, limit, offset)
                    if not masked and not row_ids:
                        hot.read_from_disk(table.key, table.path)
                raw = table.cursor().execute(query, args).fetchall()
                rows = [{n: json_value(v) for n, v in zip(names, r, strict=False)} for r in raw]
            cached = PageRows(rows)
            _PAGES.put(page_key, cached)
        total = _count(table, count_key, count_sql, params) if include_total else None
    return RowsPage(fields=chosen, rows=list(cached.rows), total=total, cached=cached)


class _Marks:
    """Where the rows a filter matches are, in a version: the row number of its 0th, step-th, 2·step-th …
    match (step 1: all of them), and how many match.

    Skipping to the 6,000th match of a filter meant reading the filter column from the start of the file
    to there on every page; with the marks, a page reads only from the row group of its first row, and a
    bound on the row number lets DuckDB skip the row groups past its last (file_row_number has statistics
    in every row group); a hot version (obert.datastore.hot) takes the rows by number from memory.
    Computed once per version and filter, like the count: versions never change. With no filter the
    offset is the row number, and nothing is kept.
    """

    __slots__ = ("numbers", "step", "total")

    def __init__(self, numbers: np.ndarray | None, total: int, step: int = 1) -> None:
        self.numbers = numbers
        self.total = total
        self.step = step

    def page(
        self, cols: str, where: str, params: list[object], limit: int, offset: int
    ) -> tuple[str, list[object]]:
        """The SQL of the page (limit, offset) bounded by row numbers, and its parameters."""
        if self.numbers is None:
            sql = f"SELECT {cols} FROM t WHERE file_row_number >= ? AND file_row_number < ?"
            return sql, [offset, offset + limit]
        numbers, step = self.numbers, self.step
        sql = f"SELECT {cols} FROM t WHERE ({where[len('WHERE ') :]}) AND file_row_number >= ?"
        first = offset // step
        if first >= len(numbers):  # past the last match
            return f"{sql} LIMIT 0", [*params, 0]
        end = -(-(offset + limit) // step)  # the first mark at or after the page's end
        args = [*params, int(numbers[first])]
        if end < len(numbers):
            sql += " AND file_row_number < ?"
            args.append(int(numbers[end]))
        return f"{sql} LIMIT ? OFFSET ?", [*args, limit, offset - first * step]

    def rows(self, limit: int, offset: int) -> np.ndarray | None:
        """The row numbers of the page, if every match is marked."""
        if self.numbers is None:
            return np.arange(offset, max(offset, min(offset + limit, self.total)), dtype=np.int64)
        if self.step != 1:
            return None
        return self.numbers[offset : offset + limit]


def _marks(table: OpenTable, count_key: tuple[object, ...], where: str, params: list[object]) -> _Marks:
    if not where:
        return _Marks(None, _count(table, count_key, "SELECT count(*) FROM t", []))
    found = _MARKS.get(count_key)
    if isinstance(found, _Marks):
        return found
    # One scan: the row numbers (every STEP-th past ALL_MARKED matches), and how many match (counted
    # before QUALIFY keeps the marks).
    got = (
        table.cursor()
        .execute(
            f"SELECT file_row_number, count(*) OVER () AS n FROM t {where} "
            "QUALIFY (row_number() OVER (ORDER BY file_row_number) - 1) "
            f"% (CASE WHEN count(*) OVER () > {ALL_MARKED} THEN {STEP} ELSE 1 END) = 0 "
            "ORDER BY file_row_number",
            params,
        )
        .fetchnumpy()
    )
    total = int(np.asarray(got["n"])[0]) if len(got["n"]) else 0
    numbers = np.asarray(got["file_row_number"], dtype=np.int64)
    if len(numbers) and numbers[-1] < 2**31:
        numbers = numbers.astype(np.int32)
    found = _Marks(numbers, total, STEP if total > ALL_MARKED else 1)
    _MARKS.put(count_key, found, weight=numbers.nbytes + 100)
    _COUNTS.put(count_key, total)
    return found


def _plain(typ: pa.DataType) -> bool:
    """Whether Arrow gives the values of this type as DuckDB does (timestamps with a time zone, for one,
    it does not: DuckDB gives them in the local zone)."""
    return bool(
        pa.types.is_integer(typ)
        or pa.types.is_floating(typ)
        or pa.types.is_boolean(typ)
        or pa.types.is_string(typ)
        or pa.types.is_large_string(typ)
        or pa.types.is_date32(typ)
        or pa.types.is_decimal(typ)
    )


def _hot_page(
    table: OpenTable, marks: _Marks, names: list[str], limit: int, offset: int
) -> list[dict[str, JSONScalar]] | None:
    """The page taken by row number from the version in memory, if it is there and can answer."""
    data = hot.hot_table(table.key)
    if data is None or not names:
        return None
    numbers = marks.rows(limit, offset)
    if numbers is None:
        return None
    schema = data.schema
    if any(schema.get_field_index(n) < 0 or not _plain(schema.field(n).type) for n in names):
        return None
    picked = data.select(names).take(pa.array(numbers))
    # JSON's values made by Arrow, column by column, rather than by json_value cell by cell (that cost
    # two thirds of such a page): NaN and infinities as null, dates as ISO text.
    columns = []
    for column in picked.columns:
        if pa.types.is_floating(column.type):
            bad = pc.or_(pc.is_nan(column), pc.is_inf(column))
            column = pc.if_else(bad, pa.scalar(None, column.type), column)
        elif pa.types.is_date32(column.type):
            column = column.cast(pa.string())
        columns.append(column)
    rows: list[dict[str, JSONScalar]] = pa.table(columns, names=names).to_pylist()
    if any(pa.types.is_decimal(c.type) for c in columns):
        rows = [{n: json_value(v) for n, v in r.items()} for r in rows]
    return rows


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
