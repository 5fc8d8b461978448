"""The map of a table with positions on its resource page, and the text that stands in for it.

The browser fetches the points from the API's features endpoint with the preview's filter; the page
itself says how many rows have a position and links their GeoJSON, so nothing depends on JavaScript.
A table without positions gets no map, and the page says why and what its publisher could do.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from obert.auth import Actor
from obert.catalog.models import Resource
from obert.portal import Portal
from obert.tableservice.handle import TableRef
from obert.tableservice.map_positions import MapSetup, placed
from obert.tableservice.table_map import table_points

_SEPARATORS = re.compile(r"[_\s]+")


@dataclass(frozen=True, slots=True)
class TableMap:
    source: str  # the features endpoint the map draws, filtered like the preview (same origin: the CSP)
    download: str  # every matching row as GeoJSON
    matched: int  # matching rows with a position
    without_position: int  # matching rows without one
    shown: int  # how many the map draws: matched, or the cap
    truncated: bool
    titles: str = "{}"  # JSON: column name → the title a popup shows
    located: bool = True  # False: no column places the rows, and the page says why


def column_title(name: str, original: str | None = None) -> str:
    """A column's title for readers: its name as the file wrote it, words apart (``Numero expedient``)."""
    text = original if original and original.strip() else name
    words = _SEPARATORS.sub(" ", text).strip()
    return words[:1].upper() + words[1:] if words else name


def column_titles(table: TableRef) -> dict[str, str]:
    """Every column's title, from the names the ingest found in the file."""
    return {
        str(c["name"]): column_title(str(c["name"]), c.get("original_name"))
        for c in table.version.report.get("columns", [])
    }


def table_map(
    *,
    portal: Portal,
    actor: Actor,
    table: TableRef,
    api: str,
    filters: dict[str, Any],
    query: dict[str, str],
    resource: Resource | None = None,
) -> TableMap:
    """The map of `table` under `filters` (`query` is the same filter as API parameters); when no column
    places its rows, a map that is not `located`, for the page to say why. `resource` is the table's
    resource as the page loaded it for `actor` (its declared UTM system is read from it)."""
    setup = MapSetup.of(portal.settings)
    placement = placed(table, store=portal.store, tables=portal.tables, setup=setup)
    table = placement.table
    suffix = f"?{urlencode(query)}" if query else ""
    if table.geo is None or not table.geo.mappable:
        return TableMap("", "", 0, 0, 0, False, located=False)
    cap = portal.settings.map_max_points
    counts = table_points(
        store=portal.store,
        actor=actor,
        tables=portal.tables,
        ref=table.resource_id,
        table=table,
        limit=0,
        max_limit=cap,
        filters=filters,
        placement=placement,
        resource=resource,
    )
    return TableMap(
        source=f"/api/v1/datastore/{table.resource_id}/features{suffix}",
        download=f"{api}/export.geojson{suffix}",
        matched=counts.matched,
        without_position=counts.rows - counts.matched,
        shown=min(counts.matched, cap),
        truncated=counts.matched > cap,
        titles=json.dumps(column_titles(table), ensure_ascii=False),
    )
