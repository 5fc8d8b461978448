"""/api/v1/datastore/{resource}/features: a table's rows as map features, as the resource page draws them."""

from __future__ import annotations

import gzip
from typing import Annotated

from fastapi import Query, Request, Response

from obert.api.face import NATIVE
from obert.api.v1.datastore import FILTER_HELP, FiltersQuery, TextQuery, VersionQuery
from obert.api.v1.datastore_params import parse_filters, split_list
from obert.deps import ActorDep, PortalDep
from obert.tableservice import table_map
from obert.tableservice.boundaries import PATH, boundary_layers
from obert.tableservice.map_positions import MapSetup

router = NATIVE.router(prefix="/api/v1", tags=["datastore"])


FEATURES_HELP = (
    "The first rows (in table order, at most the site's cap, 50,000 by default) that have a position "
    "and match the filters, as a GeoJSON FeatureCollection in WGS 84 with a few fields each. "
    "`numberMatched` counts every matching row with a position and `truncated` says whether the cap "
    "left some out; `rowsWithoutPosition` counts matching rows that have none. Positions come from the "
    "columns the publisher chose, else a geometry column, else longitude/latitude, else UTM x/y (ETRS89 / "
    "UTM 31N unless the resource declares another system in `conforms_to`), found by their names and by "
    "their values (x/y pairs, and columns inside the city's extent)." + FILTER_HELP
)


@router.get(
    "/datastore/{resource}/features",
    summary="Rows with a position as GeoJSON features, for a map",
    response_class=Response,
    responses={200: {"content": {"application/geo+json": {}}}},
    description=FEATURES_HELP,
)
def features(
    request: Request,
    portal: PortalDep,
    actor: ActorDep,
    resource: str,
    version: VersionQuery = None,
    q: TextQuery = None,
    fields: Annotated[
        str | None, Query(description="properties of each feature, comma-separated (default: main fields)")
    ] = None,
    limit: Annotated[
        int | None, Query(ge=0, description="at most this many (default: the site's cap)")
    ] = None,
    filters: FiltersQuery = None,
) -> Response:
    cap = portal.settings.map_max_points
    found = table_map.table_points(
        store=portal.store,
        actor=actor,
        tables=portal.tables,
        ref=resource,
        version=version,
        limit=cap if limit is None else limit,
        max_limit=cap,
        filters=parse_filters(request.query_params),
        q=q,
        fields=split_list(fields),
        setup=MapSetup.of(portal.settings),
    )
    return _geojson(request, found.geojson())


@router.get(
    PATH.removeprefix("/api/v1"),
    summary="The city's own boundaries, the base layer of every map",
    response_class=Response,
    responses={200: {"content": {"application/geo+json": {}}}},
    description=(
        "The city's boundaries (the published tables the `OBERT_MAP_BOUNDARIES` setting names, such as "
        "districts and neighbourhoods) as one GeoJSON FeatureCollection in WGS 84, simplified to about "
        "5 m: each feature's `name`, its `layer` (0 is the coarsest) and the layer's `title` by language. "
        "Maps draw it beneath their data so that no tile server is needed; empty when none is set."
    ),
)
def boundaries(request: Request, portal: PortalDep, actor: ActorDep) -> Response:
    body = boundary_layers(
        store=portal.store,
        actor=actor,
        tables=portal.tables,
        setup=MapSetup.of(portal.settings),
    )
    return _geojson(request, body, cache="public, max-age=300")


def _geojson(request: Request, body: bytes, *, cache: str | None = None) -> Response:
    headers = {"Vary": "Accept-Encoding"}
    if cache:
        headers["Cache-Control"] = cache
    if len(body) > 1024 and "gzip" in request.headers.get("accept-encoding", ""):
        # Map data compresses about tenfold and a city's table runs to megabytes: worth it even where no
        # proxy in front compresses (level 1: elevenfold on the accident tables, ~25 ms per MB).
        body = gzip.compress(body, compresslevel=1)
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type="application/geo+json", headers=headers)
