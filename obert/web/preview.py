"""A datastore table on its resource page: rows, column profile, downloads and code, without JavaScript.

Everything goes through ``published.open_version``, so a table is exactly as visible here as through
the datastore API, and through ``query_rows``, so sorting and filtering follow the API's rules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from obert.auth import Actor
from obert.catalog.models import Resource
from obert.datastore.schema import Field
from obert.errors import NotFound
from obert.portal import Portal
from obert.tableservice import published
from obert.tableservice.handle import FORMATS, GEO_FORMATS, XLSX_MAX_ROWS, JSONScalar, TableRef
from obert.types import LANGS
from obert.web.cells import Display, display_of
from obert.web.charts import ChartForm, resource_chart_form
from obert.web.snippets import Snippet, rows_snippets
from obert.web.table_filter import (
    Condition,
    api_filter_params,
    apply_conditions,
    condition_params,
    read_conditions,
)
from obert.web.table_map import TableMap, table_map

PAGE_ROWS = 25
NUMERIC = ("integer", "decimal")
# The download list's order: the plain CSV first, the spreadsheet formats next, then the rest.
_DOWNLOAD_ORDER = ("csv", "xlsx", "json", "geojson", "parquet", "geoparquet", "jsonl")


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: str
    numeric: bool
    display: Display  # how its cells are written: quantities with separators; years, codes, positions not
    sorted: str | None  # "ascending" / "descending" (aria-sort values) when the rows are sorted by it


@dataclass(frozen=True, slots=True)
class Preview:
    version: int
    columns: list[Column]
    rows: list[list[JSONScalar]]
    total: int  # rows matching the filter
    row_count: int  # rows in the table
    offset: int
    first: int  # 1-based position of the first row shown (0 when none)
    last: int
    prev_link: str | None
    next_link: str | None
    first_link: str | None
    last_link: str | None
    sort: str | None
    descending: bool
    conditions: list[Condition]  # as asked, each with why it was left out when it was
    applied: list[Condition]  # the conditions that select the rows shown (and downloaded)
    column_types: dict[str, str]
    keep_filter: list[tuple[str, str]]  # hidden fields that keep the filter in the page's other forms
    clear_link: str | None
    profile: list[dict[str, Any]]
    downloads: list[tuple[str, str]]  # (format, url) of exactly the rows the filter and sort select
    spreadsheet_csv: dict[str, str]  # language → the same rows as a CSV for spreadsheets set to it
    snippets: list[Snippet]
    charts: ChartForm
    map: TableMap | None  # its points, or why it has none (GeoJSON uploads draw their own file instead)
    # What the preview's own fragment (resource/_preview.html) is a function of: the version's id (its
    # rows never change), the small counts it hides, and everything asked of it. Pages keep the fragment
    # rendered under it; access was decided by opening the version, before any fragment is looked up.
    key: tuple[Any, ...] = ()


def table_preview(
    *,
    portal: Portal,
    actor: Actor,
    resource: Resource,
    path: str,
    params: QueryParams,
    with_map: bool = True,
    keep: tuple[tuple[str, str], ...] = (),
    table_path: str | None = None,
    chart_by: Callable[[list[dict[str, Any]], int], str | None] | None = None,
) -> Preview | None:
    """The preview of `resource`'s current table, or None when it has no published table. The chart and
    the map (`with_map`) show the rows the preview's filter selects. The preview's links carry `keep`
    (the dataset page keeps its table tab open with it). `table_path` is the resource page when the
    preview is drawn elsewhere (`path`): the chart's embed, CSV and image are the table's own. When the
    reader has not drawn a chart, `chart_by(profile, row_count)` may choose a column to draw one by at
    once (the same preview as if the query had asked for `chart_by`, made with one opening of the table
    and one read of its rows)."""
    try:
        table = published.open_version(store=portal.store, actor=actor, tables=portal.tables, ref=resource.id)
    except NotFound:
        return None
    asked = "chart_by" in params
    if chart_by and not asked and (drawn := chart_by(table.profile(), table.version.row_count)):
        params = QueryParams([*params.multi_items(), ("chart_by", drawn)])
    state = replace(_State.read(params), keep=keep)
    types = _column_types(table)
    conditions, filters = apply_conditions(table, state.conditions, types)
    applied = [c for c in conditions if c.error is None]
    sort = [(state.sort, state.descending)] if state.sort else []
    page = table.rows(filters=filters, sort=sort, limit=PAGE_ROWS, offset=state.offset)
    total = page.total or 0
    names = [f.name for f in page.fields]
    api = f"{portal.settings.base_url.rstrip('/')}/api/v1/datastore/{resource.id}"
    geo = table.version.geo or {}
    formats = [
        f
        for f in sorted(FORMATS, key=lambda f: _DOWNLOAD_ORDER.index(f) if f in _DOWNLOAD_ORDER else 99)
        if f not in GEO_FORMATS or geo.get("geometry") or (geo.get("lon") and geo.get("lat"))
        if f != "xlsx" or total <= XLSX_MAX_ROWS  # one worksheet holds no more
    ]
    # The downloads are of the rows on screen: the same filter and order, every page of them.
    export_query = api_filter_params(filters) | ({"sort": _api_sort(state)} if sort else {})
    suffix = f"?{urlencode(export_query)}" if export_query else ""
    kept_filter = [(key, value) for key, values in condition_params(applied).items() for value in values]
    masked = tuple(sorted(table.protection.masked().items()))
    key = (
        table.version.id,
        masked,
        path,
        table_path,
        tuple(params.multi_items()),
        keep,
        portal.settings.base_url,
    )
    return Preview(
        version=table.version.number,
        columns=[_column(f, state) for f in page.fields],
        rows=[[row.get(n) for n in names] for row in page.rows],
        total=total,
        row_count=table.version.row_count,
        offset=state.offset,
        first=state.offset + 1 if page.rows else 0,
        last=state.offset + len(page.rows),
        prev_link=state.link(path, offset=max(state.offset - PAGE_ROWS, 0)) if state.offset > 0 else None,
        next_link=state.link(path, offset=state.offset + PAGE_ROWS)
        if state.offset + PAGE_ROWS < total
        else None,
        first_link=state.link(path, offset=0) if state.offset > 0 else None,
        last_link=state.link(path, offset=(total - 1) // PAGE_ROWS * PAGE_ROWS)
        if state.offset + PAGE_ROWS < total
        else None,
        sort=state.sort,
        descending=state.descending,
        conditions=conditions,
        applied=applied,
        column_types=types,
        keep_filter=kept_filter,
        clear_link=state.link(path, conditions=[], offset=0) if conditions else None,
        profile=table.profile(),
        downloads=[(f, f"{api}/export.{f}{suffix}") for f in formats],
        spreadsheet_csv={
            lang: f"{api}/export.csv?{urlencode(export_query | {'spreadsheet': lang})}" for lang in LANGS
        },
        snippets=rows_snippets(_rows_url(api, state, filters)),
        charts=resource_chart_form(
            table=table,
            api=api,
            page=path,
            table_page=table_path or path,
            params=params,
            filters=filters,
            keep=kept_filter,
            api_query=api_filter_params(filters),
        ),
        map=table_map(
            portal=portal,
            actor=actor,
            table=table,
            api=api,
            filters=filters,
            query=api_filter_params(filters),
            resource=resource,
        )
        if with_map
        else None,
        key=key,
    )


@dataclass(frozen=True, slots=True)
class _State:
    """What the visitor asked of the table, read from the page's query string."""

    sort: str | None
    descending: bool
    conditions: list[Condition]
    offset: int
    chart_by: str | None
    chart_metric: str | None
    chart_series: str | None
    keep: tuple[tuple[str, str], ...] = ()

    @classmethod
    def read(cls, params: QueryParams) -> _State:
        raw_offset = params.get("offset", "0")
        offset = int(raw_offset) if raw_offset.isdigit() else 0
        return cls(
            sort=params.get("sort") or None,
            descending=params.get("order") == "desc",
            conditions=read_conditions(params),
            offset=offset,
            chart_by=params.get("chart_by") or None,
            chart_metric=params.get("chart_metric") or None,
            chart_series=params.get("chart_series") or None,
        )

    def link(self, path: str, **changes: Any) -> str:
        state = {
            "sort": self.sort,
            "order": "desc" if self.descending else None,
            "conditions": self.conditions,
            "offset": self.offset,
            # A chart the visitor drew stays while they sort, filter and page the rows.
            "chart_by": self.chart_by,
            "chart_metric": self.chart_metric,
            "chart_series": self.chart_series,
        }
        state.update(changes)
        conditions: list[Condition] = state.pop("conditions")  # type: ignore[assignment]
        query: dict[str, Any] = {k: v for k, v in state.items() if v not in (None, "", 0)} | dict(self.keep)
        if conditions:
            query = condition_params(conditions) | query
        # The fragment brings the visitor back to the table, not to the top of the page.
        return f"{path}?{urlencode(query, doseq=True)}#preview-title" if query else f"{path}#preview-title"


def _column(field: Field, state: _State) -> Column:
    current = state.sort == field.name
    return Column(
        name=field.name,
        type=field.type,
        numeric=field.type in NUMERIC,
        display=display_of(field.name, field.type),
        sorted=("descending" if state.descending else "ascending") if current else None,
    )


def _rows_url(api: str, state: _State, filters: dict[str, Any]) -> str:
    query: dict[str, str] = {"limit": str(PAGE_ROWS)}
    if state.offset:
        query["offset"] = str(state.offset)
    if state.sort:
        query["sort"] = _api_sort(state)
    query.update(api_filter_params(filters))
    return f"{api}/rows?{urlencode(query)}"


def _api_sort(state: _State) -> str:
    return ("-" if state.descending else "") + (state.sort or "")


def _column_types(table: TableRef) -> dict[str, str]:
    """The table's columns and their types, as measured at ingest (no query needed)."""
    columns = table.version.report.get("columns", [])
    if columns:
        return {c["name"]: c["type"] for c in columns}
    return {f.name: f.type for f in table.rows(limit=0, include_total=False).fields}
