"""The city's own boundaries (districts, neighbourhoods) as a map's base layer, from its own catalogue.

With no tile server configured no page contacts a third party, and a map of points on grey does not orient
anyone: the city's boundary tables (named by the ``map_boundaries`` setting) are drawn beneath the data as
outlines with their names. They are served simplified (about 5 m, 5 decimals: a twentieth of the files'
bytes) and kept per version, since a version never changes.
"""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict

import numpy as np
import shapely

from obert.auth import Actor
from obert.catalog.resources import get_resource
from obert.errors import NotFound
from obert.storage import Store
from obert.storage.tablestore import TableStore
from obert.tableservice.handle import FeatureQuery, TableRef
from obert.tableservice.map_positions import MapSetup
from obert.tableservice.published import open_version

PATH = "/api/v1/map/boundaries"  # where maps fetch them (same origin: the CSP)
TOLERANCE = 0.00005  # degrees: about 5 m, finer than a boundary line drawn at city zoom
DECIMALS = 5  # about a metre
MAX_FEATURES = 2000
_NAME = re.compile(r"(?i)^(nom|name|nombre|t[ií]tol|title|label)$")
_NAMEISH = re.compile(r"(?i)(^|_)(nom|name|nombre)(_|$)")
_cache: OrderedDict[tuple[str, ...], bytes] = OrderedDict()
_lock = threading.Lock()
_KEPT = 8


def boundaries_url(setup: MapSetup) -> str | None:
    """The address maps fetch the boundaries from, or None when the city named none."""
    return PATH if setup.boundaries else None


def boundary_layers(*, store: Store, actor: Actor, tables: TableStore, setup: MapSetup) -> bytes:
    """The boundaries as one GeoJSON FeatureCollection: each feature's ``name``, its ``layer`` (0 is the
    coarsest) and the layer's ``title`` by language. Boundaries `actor` may not read are left out."""
    layers: list[tuple[TableRef, dict[str, str]]] = []
    for ref in setup.boundaries:
        try:
            table = open_version(store=store, actor=actor, tables=tables, ref=ref)
            title = get_resource(store=store, actor=actor, ref=ref).title
        except NotFound:
            continue
        layers.append((table, dict(title)))
    key = tuple(t.version.id for t, _ in layers)
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    features = [f for i, (t, title) in enumerate(layers) for f in _layer(t, i, title)]
    body = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False).encode()
    with _lock:
        _cache[key] = body
        while len(_cache) > _KEPT:
            _cache.popitem(last=False)
    return body


def _layer(table: TableRef, layer: int, title: dict[str, str]) -> list[dict[str, object]]:
    page = table.features(FeatureQuery(limit=MAX_FEATURES))
    out: list[dict[str, object]] = []
    for feature in page.features:
        if feature.geometry == "null":
            continue
        shape = shapely.from_geojson(feature.geometry)
        if shapely.get_type_id(shape) not in (3, 6):  # polygons and multipolygons only
            continue
        simple = shapely.simplify(shape, TOLERANCE, preserve_topology=True)
        simple = shapely.transform(simple, lambda c: np.round(c, DECIMALS))
        out.append(
            {
                "type": "Feature",
                "geometry": json.loads(shapely.to_geojson(simple)),
                "properties": {"name": _name(json.loads(feature.properties)), "layer": layer, "title": title},
            }
        )
    return out


def _name(properties: dict[str, object]) -> str:
    keys = [k for k in properties if _NAME.match(k)] or [k for k in properties if _NAMEISH.search(k)]
    for key in keys:
        value = properties[key]
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


__all__ = ["PATH", "boundaries_url", "boundary_layers"]
