"""The data on a dataset page: its main table's preview, chart and map, in tabs that work without
JavaScript (each tab is a link to the page with `?tab=`; tabs.js turns them into ARIA tabs)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import Request

from obert.auth import Actor
from obert.catalog.models import Dataset, Resource
from obert.portal import Portal
from obert.web.preview import Preview, table_preview

TABS = ("table", "chart", "map")
KEEP_TABLE = (("tab", "table"),)  # the table's own links and forms keep its tab open
# A chart drawn before the reader asks groups the rows by a column of a few repeated words (a district, a
# type): more groups than this make a chart nobody reads.
CHART_GROUPS = range(2, 41)


@dataclass(frozen=True, slots=True)
class DataView:
    resource: Resource  # the main table: the dataset's first resource with a published table
    preview: Preview
    tabs: list[tuple[str, str]]  # (name, link) of the tabs this table has, in order
    active: str


def chosen_tab(params: dict[str, str], available: list[str]) -> str:
    """The tab the reader asked for; the chart when they have just drawn one (its form sends no tab)."""
    asked = params.get("tab")
    if asked in available:
        return asked
    if "chart_by" in params and "chart" in available:
        return "chart"
    return available[0]


def data_view(*, portal: Portal, actor: Actor, dataset: Dataset, request: Request) -> DataView | None:
    """The dataset page's data tabs, or None when none of its resources has a published table."""
    lang = getattr(request.state, "lang", None)
    prefix = f"/{lang}" if lang else ""
    path = f"{prefix}{request.url.path}"
    for resource in dataset.resources:
        table_path = f"{prefix}/dataset/{dataset.name}/resource/{resource.id}"
        # The chart tab shows a chart at once (by a column the profile suggests); its form still lets
        # the reader draw another.
        preview = table_preview(
            portal=portal,
            actor=actor,
            resource=resource,
            path=path,
            params=request.query_params,
            keep=KEEP_TABLE,
            table_path=table_path,
            chart_by=_chart_column,
        )
        if preview is None:
            continue
        available = ["table", "chart"] + (["map"] if preview.map and preview.map.matched else [])
        params = dict(request.query_params)
        others = [(k, v) for k, v in request.query_params.multi_items() if k not in ("tab", "offset")]
        tabs = [(name, f"{path}?{urlencode([*others, ('tab', name)])}#data-title") for name in available]
        return DataView(resource=resource, preview=preview, tabs=tabs, active=chosen_tab(params, available))
    return None


def _chart_column(profile: list[dict[str, Any]], row_count: int) -> str | None:
    """The first text column whose values repeat in a few groups, by the table's profile."""
    for column in profile:
        distinct = column.get("distinct")
        repeated = isinstance(distinct, int) and distinct in CHART_GROUPS and distinct < row_count
        if column.get("type") == "text" and repeated:
            return str(column["name"])
    return None
