"""The map of a table with positions on its resource page, and the text that stands in for it.

The browser fetches the points from the API's features endpoint with the preview's filter; the page
itself says how many rows have a position and links their GeoJSON, so nothing depends on JavaScript.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from obert.auth import Actor
from obert.portal import Portal
from obert.tableservice.handle import TableRef
from obert.tableservice.table_map import table_points


@dataclass(frozen=True, slots=True)
class TableMap:
    source: str  # the features endpoint the map draws, filtered like the preview (same origin: the CSP)
    download: str  # every matching row as GeoJSON
    matched: int  # matching rows with a position
    without_position: int  # matching rows without one
    shown: int  # how many the map draws: matched, or the cap
    truncated: bool


def table_map(
    *, portal: Portal, actor: Actor, table: TableRef, api: str, filters: dict[str, Any], query: dict[str, str]
) -> TableMap | None:
    """The map of `table` under `filters` (`query` is the same filter as API parameters), or None when
    the table has no position columns."""
    geo = table.version.geo or {}
    if not (
        geo.get("geometry") or (geo.get("lon") and geo.get("lat")) or (geo.get("utm_x") and geo.get("utm_y"))
    ):
        return None
    cap = portal.settings.map_max_points
    counts = table_points(
        store=portal.store,
        actor=actor,
        data_dir=portal.settings.data_dir,
        ref=table.resource_id,
        table=table,
        limit=0,
        max_limit=cap,
        filters=filters,
    )
    suffix = f"?{urlencode(query)}" if query else ""
    return TableMap(
        source=f"/api/v1/datastore/{table.resource_id}/features{suffix}",
        download=f"{api}/export.geojson{suffix}",
        matched=counts.matched,
        without_position=counts.rows - counts.matched,
        shown=min(counts.matched, cap),
        truncated=counts.matched > cap,
    )
