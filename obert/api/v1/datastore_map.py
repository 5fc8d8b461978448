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

router = NATIVE.router(prefix="/api/v1", tags=["datastore"])


FEATURES_HELP = (
    "The first rows (in table order, at most the site's cap, 50,000 by default) that have a position "
    "and match the filters, as a GeoJSON FeatureCollection in WGS 84 with a few fields each. "
    "`numberMatched` counts every matching row with a position and `truncated` says whether the cap "
    "left some out; `rowsWithoutPosition` counts matching rows that have none. Positions come from a "
    "geometry column, else longitude/latitude, else UTM x/y (ETRS89 / UTM 31N unless the resource "
    "declares another system in `conforms_to`)." + FILTER_HELP
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
        data_dir=portal.settings.data_dir,
        ref=resource,
        version=version,
        limit=cap if limit is None else limit,
        max_limit=cap,
        filters=parse_filters(request.query_params),
        q=q,
        fields=split_list(fields),
    )
    body = found.geojson()
    headers = {"Vary": "Accept-Encoding"}
    if len(body) > 1024 and "gzip" in request.headers.get("accept-encoding", ""):
        # Map data compresses about tenfold and a city's table runs to megabytes: worth it even where no
        # proxy in front compresses (level 1: elevenfold on the accident tables, ~25 ms per MB).
        body = gzip.compress(body, compresslevel=1)
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type="application/geo+json", headers=headers)
