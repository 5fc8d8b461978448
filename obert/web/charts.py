"""Charts on pages: a table's chart on its resource page, a dataset's chart across its resources, each
with its numbers as text and as a table, a page of its own to embed, and its numbers as CSV.

The server computes the chart (obert.tableservice.charts, through each table's handle), so the summary
and the data table work without JavaScript; the browser only draws what the page carries as JSON. On
statistics about people the figures are those of the published cells (see obert.datastore.aggregate),
and the chart says how many cells are not published.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from obert.tableservice.charts import ChartData, Choices, chart_choices, chart_data
from obert.tableservice.handle import PLAIN_CSV, CsvStyle, JSONScalar, TableRef

MAX_BARS = 30
PARAMS = ("chart_by", "chart_metric", "chart_series")


@dataclass(frozen=True, slots=True)
class ChartLinks:
    share: str  # this page with this chart drawn
    embed: str  # the chart alone, to put in an iframe
    csv: str  # the chart's numbers
    svg: str  # the chart as a vector image
    api: str | None  # the aggregate endpoint giving one table's numbers


@dataclass(frozen=True, slots=True)
class ChartForm:
    choices: Choices
    by: str | None
    metric: str
    series: str | None
    chart: ChartData | None
    links: ChartLinks | None

    @property
    def json(self) -> dict[str, Any] | None:
        """What the browser draws (see `chart_json`)."""
        return chart_json(self.chart) if self.chart else None


def chart_query(params: QueryParams) -> dict[str, str]:
    """The chart's own parameters, as a page's query string carries them."""
    return {k: v for k in PARAMS if (v := params.get(k))}


def chart_form(
    *,
    tables: Sequence[TableRef],
    params: QueryParams,
    share: str,
    base: str,
    filters: dict[str, Any] | None = None,
    keep: list[tuple[str, str]] | None = None,
    api: str | None = None,
    api_query: dict[str, str] | None = None,
    choices: Choices | None = None,
) -> ChartForm:
    """The chart form over `tables` and, when a column is chosen, its chart of the rows `filters` select
    (`keep`: the same filter as the page's parameters, kept by the links; `api_query`: as the aggregate
    endpoint at `api` reads it). `share` is the page that
    draws the chart; `base` + "/embed", `base` + ".csv" and `base` + ".svg" its embeddable page, its
    numbers and its image."""
    choices = choices or chart_choices(tables)
    by = params.get("chart_by") or None
    metric = params.get("chart_metric") or "count"
    series = params.get("chart_series") or None
    choices.measure(metric)  # an unknown measure is a bad request even before a column is chosen
    chart = None
    links = None
    if by:
        chart = chart_data(
            tables=tables, choices=choices, by=by, measure=metric, series=series, filters=filters
        )
        own = urlencode([*(keep or []), *chart_query(params).items()])
        links = ChartLinks(
            share=f"{share}?{own}#chart-title",
            embed=f"{base}/embed?{own}",
            csv=f"{base}.csv?{own}",
            svg=f"{base}.svg?{own}",
            api=_api_source(api, chart, api_query or {})
            if api and not series and len(chart.axis.columns) == 1
            else None,
        )
    return ChartForm(choices=choices, by=by, metric=metric, series=series, chart=chart, links=links)


def resource_chart_form(
    *,
    table: TableRef,
    api: str,
    page: str,
    table_page: str,
    params: QueryParams,
    filters: dict[str, Any] | None = None,
    keep: list[tuple[str, str]] | None = None,
    api_query: dict[str, str] | None = None,
) -> ChartForm:
    """The chart form over one table (`page`: the page that draws it; `table_page`: the table's resource
    page, under which its embed, CSV and image are served)."""
    return chart_form(
        tables=[table],
        params=params,
        share=page,
        base=f"{table_page}/chart",
        filters=filters,
        keep=keep,
        api=api,
        api_query=api_query,
    )


def _api_source(api: str, chart: ChartData, query: dict[str, str]) -> str:
    metric = (
        chart.measure.func if not chart.measure.column else f"{chart.measure.func}:{chart.measure.column.key}"
    )
    return f"{api}/aggregate?{urlencode({'group_by': chart.axis.key, 'metrics': metric, **query})}"


def chart_json(chart: ChartData) -> dict[str, Any]:
    """What the browser draws: the kind, the labels and a series per value of the series column."""
    return {
        "kind": chart.kind,
        # Series of counts and sums stack into their group's total; means do not add up.
        "stacked": chart.kind == "bar" and chart.series_by is not None and chart.measure.func != "avg",
        "labels": [_text(v) for v in chart.labels],
        "series": [{"name": _text(s.name), "others": s.others, "values": s.values} for s in chart.series],
    }


def chart_csv(chart: ChartData, *, headers: list[str], style: CsvStyle = PLAIN_CSV) -> str:
    """The chart's numbers as CSV: a row per group, a column per series (`headers`: the group column's
    name, then a name per series), with the separators of `style` (the table exports' spreadsheet CSV:
    a byte-order mark, and ";" with a decimal comma for Catalan and Spanish settings)."""
    out = io.StringIO()
    if style.bom:
        out.write("\ufeff")
    writer = csv.writer(out, delimiter=style.delimiter, lineterminator="\r\n")
    writer.writerow(headers)
    for label, *values in chart.rows():
        writer.writerow(["" if label is None else label, *(_figure(v, style.decimal) for v in values)])
    return out.getvalue()


def _figure(value: JSONScalar, decimal: str) -> JSONScalar:
    # Groups are written as they are (a year stays 2018); a mean's decimal mark is the reader's.
    if isinstance(value, float) and decimal != ".":
        return repr(value).replace(".", decimal)
    return "" if value is None else value


def _text(value: JSONScalar) -> str | None:
    return None if value is None else str(value)
