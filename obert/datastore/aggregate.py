"""Grouped counts, sums, averages, minima and maxima, and the rule that keeps them from revealing small
counts of people.

A table of statistics about people publishes its count columns with the counts from 1 to the
threshold - 1 hidden (see obert.datastore.masking). A true total next to the visible cells would give
the hidden ones back (area A, sex 2 totals 63 and its visible cells 60: the hidden cell is 3), and so
would the difference of two totals over different filters, an average times a count, or which groups a
size rule leaves out. Statistical offices answer with secondary suppression, hiding more cells until no
published total isolates a hidden one; that works for one fixed set of tables, not for any grouping and
filter a reader can ask for, which would need every past answer audited.

The rule here: **every number an aggregate publishes about a protected table is computed from the
published cells only.** The query reads the table exactly as its rows show it (hidden cells null), so

- a sum, average, minimum or maximum of a count column is that of the group's visible cells; a group
  whose cells are all empty answers null; ``count_col`` counts the visible cells and ``count`` the rows;
- each group says in ``hidden_col`` how many of its cells of `col` are empty in the rows (hidden small
  counts and cells empty in the source alike: telling those apart would say which empty cells hold a
  small count), so a reader knows the total is of the published cells;
- grouping by a count column groups by its published values, and no group is left out for its size.

Since anybody can compute every answer from the rows alone, no combination of groupings, filters and
metrics can tell more than the rows do. Its limits: totals the publisher puts in the file itself (a
"Total" row, or a column that adds up others) are published cells like any other and give the hidden
cells back by subtraction, so such tables must be published without their margins; and figures
published elsewhere (another table, a report) are beyond what one table can guard.

A protected table with no count column holds one row per person, and its rows are public; there
`min_group_size` leaves out the groups of fewer rows (and counts them), so a chart does not single
anybody out.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from obert.datastore.engine import quote_ident, translated
from obert.datastore.filters import FilterValue, check_column, where_clause
from obert.datastore.masking import Masked, published_source, refuse_masked
from obert.datastore.memo import Memo
from obert.datastore.query import JSONScalar, json_value
from obert.datastore.schema import ColumnType, Field, TableSchema
from obert.datastore.tables import open_table
from obert.errors import FieldError, Invalid, msg

Func = Literal["count", "sum", "avg", "min", "max"]
FUNCS: tuple[str, ...] = get_args(Func)
MAX_GROUPS = 10_000
HIDDEN = "hidden_"  # prefix of the per-group number of empty cells of a masked column
_RESULTS = Memo(200_000)  # results kept per version and statement, weighed by their groups


@dataclass(frozen=True, slots=True)
class AggregateResult:
    fields: list[Field]
    rows: list[dict[str, JSONScalar]]
    suppressed_groups: int  # groups hidden because fewer than min_group_size rows fell in them

    def hidden_field(self, column: str) -> str | None:
        """The field counting each group's empty cells of masked `column`, if the result has one."""
        name = HIDDEN + column
        return name if any(f.name == name for f in self.fields) else None


def aggregate(
    path: Path,
    *,
    group_by: list[str],
    metrics: list[tuple[str, str]],
    filters: dict[str, FilterValue] | None = None,
    q: str | None = None,
    limit: int = 1000,
    min_group_size: int | None = None,
    masked: Masked | None = None,
) -> AggregateResult:
    """One row per group with each (func, column) metric, named ``func_column`` (``count`` for count(*)).

    With `masked` count columns, every number comes from the cells as the rows publish them, and each
    group tells how many cells of each masked metric column are empty in ``hidden_column`` (the rule
    and its reasons are in this module's docstring). Otherwise, `min_group_size` leaves out (and
    counts) the groups of fewer rows.
    """
    refuse_masked(masked, filters=filters, sort=None)
    table = open_table(path)
    schema = table.schema
    if not 1 <= limit <= MAX_GROUPS:
        raise Invalid(
            msg("limit out of range"),
            errors=[FieldError("limit", msg("must be between 1 and {max_groups}", max_groups=MAX_GROUPS))],
        )
    keys = [quote_ident(g) for g in group_by]
    fields = [Field(g, check_column(schema, g, field="group_by")) for g in group_by]
    exprs = list(keys)
    hidden: list[str] = []
    for i, (func, column) in enumerate(metrics):
        name, expr, typ = _metric(func, column, schema, i)
        exprs.append(f"{expr} AS {quote_ident(name)}")
        fields.append(Field(name, typ))
        if masked and column in masked and column not in hidden:
            hidden.append(column)
    for column in hidden:
        exprs.append(f"count(*) - count({quote_ident(column)}) AS {quote_ident(HIDDEN + column)}")
        fields.append(Field(HIDDEN + column, "integer"))
    source = published_source(schema, masked)
    where, params = where_clause(schema, filters or {}, q)
    group = f"GROUP BY {', '.join(keys)}" if keys else ""
    # A table of counts is protected by its mask; there a row is a cell, not a person.
    floor = min_group_size if min_group_size and not masked else None
    having = "HAVING count(*) >= ?" if floor else ""
    order = f"ORDER BY {', '.join(keys)} NULLS LAST" if keys else ""
    sql = f"SELECT {', '.join(exprs)} FROM {source} {where} {group} {having} {order} LIMIT ?"
    args = [*params, *([floor] if floor else []), limit]

    def compute() -> AggregateResult:
        cur = table.cursor()
        with translated():
            raw = cur.execute(sql, args).fetchall()
            suppressed = 0
            if floor:
                row = cur.execute(
                    f"SELECT count(*) FROM (SELECT 1 FROM t {where} {group} HAVING count(*) < ?)",
                    [*params, floor],
                ).fetchone()
                suppressed = int(row[0]) if row else 0
        names = [f.name for f in fields]
        rows = [{n: json_value(v) for n, v in zip(names, r, strict=True)} for r in raw]
        return AggregateResult(fields=fields, rows=rows, suppressed_groups=suppressed)

    # A version never changes: the same statement (masking and floor are in its text and arguments) over
    # the same file gives the same groups, so charts and repeated API calls do not scan it again.
    key = (*table.key, sql, *(repr(a) for a in args))
    found = _RESULTS.get(key)
    if not isinstance(found, AggregateResult):
        found = compute()
        _RESULTS.put(key, found, weight=len(found.rows) + 1)
    return found


def _metric(func: str, column: str, schema: TableSchema, i: int) -> tuple[str, str, ColumnType]:
    if func not in FUNCS:
        raise Invalid(
            msg("unknown metric"),
            errors=[
                FieldError(f"metrics[{i}]", msg("{func} is not one of {funcs}", func=repr(func), funcs=FUNCS))
            ],
        )
    if func == "count" and column in ("", "*"):
        return "count", "count(*)", "integer"
    typ = check_column(schema, column, field=f"metrics[{i}]")
    if func in ("sum", "avg") and typ not in ("integer", "decimal"):
        raise Invalid(
            msg("cannot add up a non-numeric column"),
            errors=[FieldError(f"metrics[{i}]", msg("{column} is {typ}", column=column, typ=typ))],
        )
    col = quote_ident(column)
    if func == "count":
        return f"count_{column}", f"count({col})", "integer"
    if func == "avg":
        return f"avg_{column}", f"avg({col})", "decimal"
    if func == "sum" and typ == "integer":
        return f"sum_{column}", f"CAST(sum({col}) AS BIGINT)", "integer"
    return f"{func}_{column}", f"{func}({col})", typ
