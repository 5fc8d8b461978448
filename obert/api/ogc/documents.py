"""The documents of OGC API - Features: landing page, conformance, collections, and their links.

Each is plain data, rendered as JSON or handed to a page template (one view, two renderings).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from obert.datastore.crs import CRS84, crs_uris
from obert.i18n import pick
from obert.tableservice.geo_tables import GeoTable
from obert.tableservice.handle import Extent

PREFIX = "/api/ogc"
JSON = "application/json"
GEOJSON = "application/geo+json"
HTML = "text/html"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
PARQUET = "application/vnd.apache.parquet"
SCHEMA = "application/schema+json"
QUERYABLES = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
GREGORIAN = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"
_CONF = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/"
CONFORMANCE = [
    f"{_CONF}core",
    f"{_CONF}geojson",
    f"{_CONF}html",
    f"{_CONF}oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
]


@dataclass(frozen=True, slots=True)
class Urls:
    """Where the face's resources are, from the portal's public address."""

    site: str  # the portal's base URL, without a trailing slash

    @property
    def base(self) -> str:
        return self.site + PREFIX

    def collection(self, name: str) -> str:
        return f"{self.base}/collections/{quote(name, safe='')}"

    def items(self, name: str) -> str:
        return self.collection(name) + "/items"

    def queryables(self, name: str) -> str:
        return self.collection(name) + "/queryables"

    def item(self, name: str, feature_id: int | str) -> str:
        return f"{self.items(name)}/{quote(str(feature_id), safe='')}"

    def export(self, name: str, fmt: str) -> str:
        return f"{self.site}/api/v1/datastore/{quote(name, safe='')}/export.{fmt}"


def link(href: str, rel: str, media_type: str, title: str | None = None) -> dict[str, str]:
    out = {"href": href, "rel": rel, "type": media_type}
    if title:
        out["title"] = title
    return out


def with_query(url: str, **params: str | int) -> str:
    return f"{url}?{urlencode(params)}" if params else url


def twins(url: str, fmt: str, media_type: str = JSON) -> list[dict[str, str]]:
    """`self` and `alternate` links of a resource served as JSON (of `media_type`) and HTML."""
    as_json = link(with_query(url, f="json"), "self" if fmt == "json" else "alternate", media_type, "JSON")
    as_html = link(with_query(url, f="html"), "self" if fmt == "html" else "alternate", HTML, "HTML")
    return [as_json, as_html] if fmt == "json" else [as_html, as_json]


def landing(urls: Urls, *, fmt: str, title: str, description: str) -> dict[str, Any]:
    return {
        "title": title,
        "description": description,
        "links": [
            *twins(urls.base, fmt),
            link(f"{urls.base}/api", "service-desc", OPENAPI, "The API definition (OpenAPI 3.0)"),
            link(f"{urls.base}/api?f=html", "service-doc", HTML, "The API documentation"),
            link(f"{urls.base}/conformance", "conformance", JSON, "Conformance classes"),
            link(f"{urls.base}/collections", "data", JSON, "Collections"),
        ],
    }


def conformance(urls: Urls, *, fmt: str) -> dict[str, Any]:
    return {"conformsTo": CONFORMANCE, "links": twins(f"{urls.base}/conformance", fmt)}


def collection(urls: Urls, geo: GeoTable, extent: Extent, *, lang: str, fmt: str) -> dict[str, Any]:
    """A collection: one table with positions (its resource's name is its id)."""
    name = geo.name
    dataset_title = pick(geo.dataset_title, lang)[0]
    title = pick(geo.title, lang)[0] or dataset_title
    description = pick(geo.description, lang)[0] or dataset_title
    doc: dict[str, Any] = {
        "id": name,
        "title": title,
        "description": description,
        "keywords": pick_list(geo.keywords, lang),
        "itemType": "feature",
        "crs": crs_uris(geo.crs),
        "storageCrs": geo.storage_crs.uri,
        "extent": _extent(extent),
        "links": [
            *twins(urls.collection(name), fmt),
            link(urls.items(name), "items", GEOJSON, "Features (GeoJSON)"),
            link(with_query(urls.items(name), f="html"), "items", HTML, "Features (HTML)"),
            link(urls.queryables(name), QUERYABLES, SCHEMA, "The properties to filter on"),
            link(
                f"{urls.site}/{lang}/dataset/{quote(geo.dataset_name, safe='')}",
                "describedby",
                HTML,
                dataset_title,
            ),
            link(urls.export(name, "geoparquet"), "enclosure", PARQUET, "GeoParquet"),
            link(urls.export(name, "geojson"), "enclosure", GEOJSON, "GeoJSON"),
        ],
    }
    if geo.license:
        doc["license"] = geo.license
    return doc


def collections(urls: Urls, docs: list[dict[str, Any]], *, fmt: str) -> dict[str, Any]:
    return {
        "links": twins(f"{urls.base}/collections", fmt),
        "collections": docs,
    }


def pick_list(values: dict[str, list[str]], lang: str) -> list[str]:
    if values.get(lang):
        return list(values[lang])
    return next((list(v) for v in values.values() if v), [])


def _extent(extent: Extent) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if extent.bbox is not None:
        out["spatial"] = {"bbox": [list(extent.bbox)], "crs": CRS84.uri}
    if extent.interval is not None:
        out["temporal"] = {"interval": [list(extent.interval)], "trs": GREGORIAN}
    return out
