"""A bar chart of a datastore table built by choosing columns, with its numbers as text and as a table.

The server computes the groups (the same ``aggregate`` the API serves), so the summary and the data
table work without JavaScript; the browser only draws the bars from the API's aggregate endpoint. On
statistics about people the figures are those of the published cells (see obert.datastore.aggregate),
and the chart says how many cells are not published.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from obert.datastore.schema import Field
from obert.errors import FieldError, Invalid
from obert.tableservice.handle import JSONScalar, TableRef

MAX_BARS = 30
NUMERIC = ("integer", "decimal")


@dataclass(frozen=True, slots=True)
class Chart:
    by: str
    metric: str  # "count", "sum:col" or "avg:col", as the aggregate endpoint reads it
    bars: list[tuple[JSONScalar, JSONScalar, int]]  # (group, value, empty cells), largest first
    groups: int  # how many groups the table has (bars shows at most MAX_BARS)
    source: str  # the aggregate endpoint that gives the same numbers
    value: str  # the endpoint's field holding the bars' values
    hidden: int = 0  # cells of a protected count column, over every group, that are not published
    min_count: int | None = None  # the threshold under which those counts are hidden


@dataclass(frozen=True, slots=True)
class ChartForm:
    columns: list[str]  # columns to group by
    metrics: list[tuple[str, str, str]]  # (value, func, column) choices
    by: str | None
    metric: str
    chart: Chart | None


def chart_form(
    *,
    table: TableRef,
    fields: list[Field],
    api: str,
    params: QueryParams,
    filters: dict[str, Any] | None = None,
    query: dict[str, str] | None = None,
) -> ChartForm:
    """The chart form and, when a column is chosen, the chart of the rows `filters` select (`query` is
    the same filter as API parameters, for the aggregate endpoint the browser draws from)."""
    by = params.get("chart_by") or None
    metric = params.get("chart_metric") or "count"
    metrics = [("count", "count", "")]
    for f in fields:
        if f.type in NUMERIC:
            metrics += [(f"sum:{f.name}", "sum", f.name), (f"avg:{f.name}", "avg", f.name)]
    if metric not in {m[0] for m in metrics}:
        raise Invalid("unknown chart metric", errors=[FieldError("chart_metric", f"no metric {metric!r}")])
    columns = [f.name for f in fields if f.type != "geometry"]
    chart = _chart(table, by, metric, api, filters or {}, query or {}) if by else None
    return ChartForm(columns=columns, metrics=metrics, by=by, metric=metric, chart=chart)


def _chart(
    table: TableRef,
    by: str,
    metric: str,
    api: str,
    filters: dict[str, Any],
    query: dict[str, str],
) -> Chart:
    func, _, column = metric.partition(":")
    # Every group, so the bars show the largest ones rather than the first in alphabetical order. The
    # handle applies the same protection as the aggregate API.
    result = table.aggregate(group_by=[by], metrics=[(func, column or "*")], filters=filters, limit=10_000)
    value = result.fields[1].name
    empty = result.hidden_field(column)
    bars = [(row[by], row[value], int(row[empty] or 0) if empty else 0) for row in result.rows]
    bars.sort(key=lambda b: (b[1] is None, -(b[1] if isinstance(b[1], int | float) else 0)))
    hidden = sum(b[2] for b in bars)
    source = f"{api}/aggregate?{urlencode({'group_by': by, 'metrics': metric, **query})}"
    return Chart(
        by=by,
        metric=metric,
        bars=bars[:MAX_BARS],
        groups=len(bars),
        source=source,
        value=value,
        hidden=hidden,
        min_count=table.protection.min_count if hidden else None,
    )
