"""The OpenAPI 3.0 definition of the face (OGC's oas30 conformance class), written out rather than
generated: FastAPI writes OpenAPI 3.1, and clients such as GDAL read each collection's own items path to
learn which properties they may filter on, which only a per-collection path can say."""

from __future__ import annotations

from typing import Any

from obert.api.ogc.documents import GEOJSON, HTML, JSON, OPENAPI, Urls
from obert.api.ogc.params import DEFAULT_LIMIT, MAX_LIMIT
from obert.datastore.schema import ColumnType, TableSchema
from obert.tableservice.geo_tables import GeoTable

_TYPES: dict[ColumnType, dict[str, str]] = {
    "integer": {"type": "integer"},
    "decimal": {"type": "number"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
    "datetime": {"type": "string", "format": "date-time"},
    "text": {"type": "string"},
    "geometry": {"type": "string"},
}
_REF = "#/components/parameters/"


def column_schema(kind: ColumnType) -> dict[str, str]:
    """The JSON Schema of a column's values."""
    return dict(_TYPES[kind])


def openapi(
    urls: Urls, tables: list[tuple[GeoTable, TableSchema]], *, title: str, description: str
) -> dict[str, Any]:
    paths: dict[str, Any] = {
        "/": _get("getLandingPage", "The landing page", JSON),
        "/conformance": _get("getConformance", "The conformance classes this API implements", JSON),
        "/api": _get("getApi", "This API definition", OPENAPI),
        "/collections": _get("getCollections", "The collections: every table with positions", JSON),
        "/collections/{collectionId}": _get(
            "describeCollection", "A collection", JSON, params=[{"$ref": _REF + "collectionId"}]
        ),
        "/collections/{collectionId}/items": _get(
            "getFeatures", "The features of a collection", GEOJSON, params=_items_params(path_param=True)
        ),
        "/collections/{collectionId}/queryables": _get(
            "getQueryables",
            "The properties the features may be filtered on (a JSON Schema)",
            "application/schema+json",
            params=[{"$ref": _REF + "collectionId"}],
        ),
        "/collections/{collectionId}/items/{featureId}": _get(
            "getFeature",
            "One feature (its id is its identifier's value, else its row number in the table)",
            GEOJSON,
            params=[{"$ref": _REF + "collectionId"}, {"$ref": _REF + "featureId"}, {"$ref": _REF + "crs"}],
        ),
    }
    for geo, schema in tables:
        path = f"/collections/{geo.name}"
        columns = [
            {
                "name": f.name,
                "in": "query",
                "required": False,
                "style": "form",
                "explode": True,
                "description": f"rows whose {f.name} is this value (repeat for any of several)",
                "schema": _TYPES[f.type],
            }
            for f in schema.fields
            if f.type != "geometry" and f.name not in _RESERVED
        ]
        paths[path] = _get(f"describeCollection_{geo.name}", f"The collection {geo.name}", JSON)
        paths[f"{path}/items"] = _get(
            f"getFeatures_{geo.name}",
            f"The features of {geo.name}",
            GEOJSON,
            params=_items_params(path_param=False) + columns,
        )
        paths[f"{path}/items/{{featureId}}"] = _get(
            f"getFeature_{geo.name}",
            f"One feature of {geo.name}",
            GEOJSON,
            params=[{"$ref": _REF + "featureId"}, {"$ref": _REF + "crs"}],
        )
    return {
        "openapi": "3.0.3",
        "info": {"title": title, "description": description, "version": "1.0.0"},
        "servers": [{"url": urls.base}],
        "paths": paths,
        "components": {"parameters": _PARAMETERS, "schemas": _SCHEMAS},
    }


_RESERVED = {"f", "bbox", "bbox-crs", "crs", "limit", "offset", "datetime"}


def _items_params(*, path_param: bool) -> list[dict[str, str]]:
    names = ["bbox", "bbox-crs", "crs", "datetime", "limit", "offset", "f"]
    return [{"$ref": _REF + n} for n in (["collectionId", *names] if path_param else names)]


def _get(operation: str, summary: str, media_type: str, *, params: list[Any] | None = None) -> dict[str, Any]:
    ok = {
        "description": summary,
        "content": {media_type: {"schema": {"type": "object"}}, HTML: {"schema": {"type": "string"}}},
    }
    if media_type == OPENAPI:
        ok["content"] = {media_type: {"schema": {"type": "object"}}}
    error = {
        "description": "An error",
        "content": {JSON: {"schema": {"$ref": "#/components/schemas/exception"}}},
    }
    return {
        "get": {
            "operationId": operation,
            "summary": summary,
            "parameters": params or [{"$ref": _REF + "f"}],
            "responses": {"200": ok, "400": error, "404": error, "500": error},
        }
    }


_CRS_HELP = (
    "a coordinate reference system of the collection (its `crs` list): "
    "http://www.opengis.net/def/crs/OGC/1.3/CRS84 (the default), http://www.opengis.net/def/crs/EPSG/0/4326 "
    "(latitude first) or http://www.opengis.net/def/crs/EPSG/0/25831 (ETRS89 / UTM 31N)"
)
_PARAMETERS: dict[str, Any] = {
    "collectionId": {"name": "collectionId", "in": "path", "required": True, "schema": {"type": "string"}},
    "featureId": {
        "name": "featureId",
        "in": "path",
        "required": True,
        "description": "the feature's row number in the table, from 1",
        "schema": {"type": "integer", "minimum": 1},
    },
    "bbox": {
        "name": "bbox",
        "in": "query",
        "required": False,
        "style": "form",
        "explode": False,
        "description": "only features that have a geometry that intersects the bounding box (lower corner, "
        "upper corner; in bbox-crs, CRS84 by default)",
        "schema": {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
    },
    "bbox-crs": {
        "name": "bbox-crs",
        "in": "query",
        "required": False,
        "description": "the system of bbox: " + _CRS_HELP,
        "schema": {"type": "string", "format": "uri"},
    },
    "crs": {
        "name": "crs",
        "in": "query",
        "required": False,
        "description": "the system of the geometries returned: " + _CRS_HELP,
        "schema": {"type": "string", "format": "uri"},
    },
    "datetime": {
        "name": "datetime",
        "in": "query",
        "required": False,
        "description": "an instant (2018-02-12, 2018-02-12T23:20:50Z) or an interval start/end (either may "
        "be '..'), on the table's first date column; collections without one refuse it",
        "schema": {"type": "string"},
    },
    "limit": {
        "name": "limit",
        "in": "query",
        "required": False,
        "description": f"features per page (a larger value is read as {MAX_LIMIT})",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
    },
    "offset": {
        "name": "offset",
        "in": "query",
        "required": False,
        "description": "features to skip (the `next` and `prev` links carry it)",
        "schema": {"type": "integer", "minimum": 0, "default": 0},
    },
    "f": {
        "name": "f",
        "in": "query",
        "required": False,
        "description": "the format of the answer (default: what the Accept header prefers)",
        "schema": {"type": "string", "enum": ["json", "html"]},
    },
}
_SCHEMAS: dict[str, Any] = {
    "exception": {
        "type": "object",
        "required": ["code"],
        "properties": {
            "code": {"type": "string"},
            "description": {"type": "string"},
            "status": {"type": "integer"},
        },
    }
}
