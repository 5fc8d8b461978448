"""The queryables of a collection (OGC API - Features Part 3): a JSON Schema of the properties its items
may be filtered on with `?name=value`. Every column is one, but the WKT geometry (the `bbox` parameter
filters by position) and the columns whose small counts are hidden (filtering on them is refused)."""

from __future__ import annotations

from typing import Any

from obert.api.ogc.documents import Urls
from obert.api.ogc.openapi import column_schema
from obert.i18n import pick
from obert.tableservice.geo_tables import GeoTable

JSON_SCHEMA = "https://json-schema.org/draft/2020-12/schema"


def queryables(urls: Urls, geo: GeoTable, *, lang: str) -> dict[str, Any]:
    """The JSON Schema of `geo`'s queryable properties, titled in `lang`."""
    table = geo.table
    hidden = set(table.protection.masked() or {})
    geometry = table.positions().geometry
    properties: dict[str, Any] = {}
    for f in table.schema().fields:
        if f.type == "geometry" or f.name == geometry or f.name in hidden:
            continue
        properties[f.name] = {"title": f.name, **column_schema(f.type)}
    return {
        "$schema": JSON_SCHEMA,
        "$id": urls.queryables(geo.name),
        "type": "object",
        "title": pick(geo.title, lang)[0] or pick(geo.dataset_title, lang)[0] or geo.name,
        "properties": properties,
        "additionalProperties": False,
    }
