"""A bar chart of a datastore table built by choosing columns, with its numbers as text and as a table.

The server computes the groups (the same ``aggregate`` the API serves), so the summary and the data
table work without JavaScript; the browser only draws the bars from the API's aggregate endpoint.
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
    bars: list[tuple[JSONScalar, JSONScalar]]  # (group, value), largest first
    groups: int  # how many groups the table has (bars shows at most MAX_BARS)
    source: str  # the aggregate endpoint that gives the same numbers


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
    # handle applies the same small-group rule as the aggregate API.
    result = table.aggregate(group_by=[by], metrics=[(func, column or "*")], filters=filters, limit=10_000)
    value = result.fields[-1].name
    pairs = [(row[by], row[value]) for row in result.rows]
    pairs.sort(key=lambda p: (p[1] is None, -(p[1] if isinstance(p[1], int | float) else 0)))
    source = f"{api}/aggregate?{urlencode({'group_by': by, 'metrics': metric, **query})}"
    return Chart(by=by, metric=metric, bars=pairs[:MAX_BARS], groups=len(pairs), source=source)
