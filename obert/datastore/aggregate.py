"""Grouped counts, sums, averages, minima and maxima, with small-group suppression."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from obert.datastore.engine import quote_ident, translated
from obert.datastore.filters import FilterValue, check_column, where_clause
from obert.datastore.masking import Masked, refuse_masked
from obert.datastore.query import JSONScalar, json_value
from obert.datastore.schema import ColumnType, Field, TableSchema
from obert.datastore.tables import open_table
from obert.errors import FieldError, Invalid

Func = Literal["count", "sum", "avg", "min", "max"]
FUNCS: tuple[str, ...] = get_args(Func)
MAX_GROUPS = 10_000


@dataclass(frozen=True, slots=True)
class AggregateResult:
    fields: list[Field]
    rows: list[dict[str, JSONScalar]]
    suppressed_groups: int  # groups hidden because fewer than min_group_size rows fell in them


def aggregate(
    path: Path,
    *,
    group_by: list[str],
    metrics: list[tuple[str, str]],
    filters: dict[str, FilterValue] | None = None,
    q: str | None = None,
    limit: int = 1000,
    min_group_size: int | None = None,
    size_column: str | None = None,
    masked: Masked | None = None,
) -> AggregateResult:
    """One row per group with each (func, column) metric, named ``func_column`` (``count`` for count(*)).

    With `min_group_size`, groups with fewer rows are left out (and counted), so statistics about
    people cannot single anyone out. A group's size is its number of rows, or with `size_column` (a
    table of counts) the sum of that column. Sums, averages, minima and maxima of `masked` columns
    under their threshold come back null, like the cells they are made of.
    """
    refuse_masked(masked, filters=filters, sort=None)
    table = open_table(path)
    schema = table.schema
    if not 1 <= limit <= MAX_GROUPS:
        raise Invalid(
            "limit out of range", errors=[FieldError("limit", f"must be between 1 and {MAX_GROUPS}")]
        )
    keys = [quote_ident(g) for g in group_by]
    fields = [Field(g, check_column(schema, g, field="group_by")) for g in group_by]
    exprs = list(keys)
    for i, (func, column) in enumerate(metrics):
        name, expr, typ = _metric(func, column, schema, i)
        threshold = (masked or {}).get(column)
        if threshold is not None and func != "count":
            expr = f"CASE WHEN {expr} > 0 AND {expr} < {int(threshold)} THEN NULL ELSE {expr} END"
        exprs.append(f"{expr} AS {quote_ident(name)}")
        fields.append(Field(name, typ))
    where, params = where_clause(schema, filters or {}, q)
    group = f"GROUP BY {', '.join(keys)}" if keys else ""
    size = "count(*)"
    if size_column is not None:
        if check_column(schema, size_column, field="size_column") != "integer":
            raise Invalid(
                "group sizes need an integer column", errors=[FieldError("size_column", size_column)]
            )
        size = f"coalesce(sum({quote_ident(size_column)}), 0)"
    having = f"HAVING {size} >= ?" if min_group_size else ""
    having_params: list[object] = [min_group_size] if min_group_size else []
    order = f"ORDER BY {', '.join(keys)} NULLS LAST" if keys else ""
    cur = table.cursor()
    with translated():
        raw = cur.execute(
            f"SELECT {', '.join(exprs)} FROM t {where} {group} {having} {order} LIMIT ?",
            [*params, *having_params, limit],
        ).fetchall()
        suppressed = 0
        if min_group_size:
            row = cur.execute(
                f"SELECT count(*) FROM (SELECT 1 FROM t {where} {group} HAVING {size} < ?)",
                [*params, min_group_size],
            ).fetchone()
            suppressed = int(row[0]) if row else 0
    names = [f.name for f in fields]
    rows = [{n: json_value(v) for n, v in zip(names, r, strict=True)} for r in raw]
    return AggregateResult(fields=fields, rows=rows, suppressed_groups=suppressed)


def _metric(func: str, column: str, schema: TableSchema, i: int) -> tuple[str, str, ColumnType]:
    if func not in FUNCS:
        raise Invalid(
            "unknown metric", errors=[FieldError(f"metrics[{i}]", f"{func!r} is not one of {FUNCS}")]
        )
    if func == "count" and column in ("", "*"):
        return "count", "count(*)", "integer"
    typ = check_column(schema, column, field=f"metrics[{i}]")
    if func in ("sum", "avg") and typ not in ("integer", "decimal"):
        raise Invalid(
            "cannot add up a non-numeric column", errors=[FieldError(f"metrics[{i}]", f"{column} is {typ}")]
        )
    col = quote_ident(column)
    if func == "count":
        return f"count_{column}", f"count({col})", "integer"
    if func == "avg":
        return f"avg_{column}", f"avg({col})", "decimal"
    if func == "sum" and typ == "integer":
        return f"sum_{column}", f"CAST(sum({col}) AS BIGINT)", "integer"
    return f"{func}_{column}", f"{func}({col})", typ
