"""OGC API - Features under /api/ogc: every published table with positions is a collection of features.

Tables are opened through the table service (obert.tableservice.geo_tables), so a private, draft or held
table is as invisible here as anywhere, and rows are read through the table handle, which hides small
counts. Each resource answers JSON (GeoJSON for features) or an HTML page in the site's look, chosen by
`f` or the Accept header; errors take OGC's form (see obert.api.ogc.errors).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from obert.api.ogc import documents as docs
from obert.api.ogc import params as p
from obert.api.ogc.errors import PageRenderer, route_class
from obert.api.ogc.openapi import openapi
from obert.api.ogc.queryables import queryables
from obert.auth import Actor
from obert.deps import ActorDep, PortalDep
from obert.errors import NotFound
from obert.i18n import pick
from obert.portal import Portal
from obert.tableservice.boundaries import boundaries_url
from obert.tableservice.geo_tables import GeoTable, geo_tables, open_geo_table
from obert.tableservice.handle import FeaturePage, FeatureQuery, dumps
from obert.tableservice.map_positions import MapSetup

SIMPLE_PARAMS = frozenset({"f"})
ITEM_PARAMS = frozenset({"f", "crs"})


def ogc_router(*, html: PageRenderer) -> APIRouter:
    """The face's routes; `html` draws its pages in the site's look (the app passes the web's renderer)."""
    router = APIRouter(prefix=docs.PREFIX, route_class=route_class(html), include_in_schema=False)
    views = _Views(html)
    router.add_api_route("", views.landing, methods=["GET"])
    router.add_api_route("/", views.landing, methods=["GET"])
    router.add_api_route("/conformance", views.conformance, methods=["GET"])
    router.add_api_route("/api", views.api, methods=["GET"])
    router.add_api_route("/collections", views.collections, methods=["GET"])
    router.add_api_route("/collections/{collection_id}", views.collection, methods=["GET"])
    router.add_api_route("/collections/{collection_id}/queryables", views.queryables, methods=["GET"])
    router.add_api_route("/collections/{collection_id}/items", views.items, methods=["GET"])
    router.add_api_route("/collections/{collection_id}/items/{feature_id}", views.item, methods=["GET"])
    router.add_api_route("/{rest:path}", views.nothing, methods=["GET"])
    return router


class _Views:
    def __init__(self, html: PageRenderer) -> None:
        self.html = html

    def landing(self, request: Request, portal: PortalDep) -> Response:
        fmt = _format(request, SIMPLE_PARAMS)
        lang = _lang(request)
        s = portal.settings
        title = pick(s.catalog_title, lang)[0] or s.site_name
        description = pick(s.catalog_description, lang)[0]
        doc = docs.landing(_urls(portal), fmt=fmt, title=title, description=description)
        if fmt == "html":
            return self.html(request, "ogc/landing.html", doc=doc, ogc=docs.PREFIX)
        return _json(doc, lang=lang)

    def conformance(self, request: Request, portal: PortalDep) -> Response:
        fmt = _format(request, SIMPLE_PARAMS)
        doc = docs.conformance(_urls(portal), fmt=fmt)
        if fmt == "html":
            return self.html(request, "ogc/conformance.html", doc=doc, ogc=docs.PREFIX)
        return _json(doc)

    def api(self, request: Request, portal: PortalDep, actor: ActorDep) -> Response:
        fmt = _format(request, SIMPLE_PARAMS)
        urls = _urls(portal)
        if fmt == "html":
            return self.html(request, "api_docs.html", openapi_url=f"{docs.PREFIX}/api?f=json")
        tables = [(g, g.table.schema()) for g in _tables(portal, actor)]
        lang = _lang(request)
        s = portal.settings
        doc = openapi(
            urls,
            tables,
            title=f"{pick(s.catalog_title, lang)[0] or s.site_name}: OGC API - Features",
            description="Every published table with positions, as a collection of GeoJSON features.",
        )
        return Response(dumps(doc), media_type=docs.OPENAPI)

    def collections(self, request: Request, portal: PortalDep, actor: ActorDep) -> Response:
        fmt = _format(request, SIMPLE_PARAMS)
        lang = _lang(request)
        urls = _urls(portal)
        found = [
            docs.collection(urls, g, g.table.extent(epsg=g.epsg), lang=lang, fmt="json")
            for g in _tables(portal, actor)
        ]
        doc = docs.collections(urls, found, fmt=fmt)
        if fmt == "html":
            return self.html(request, "ogc/collections.html", doc=doc, ogc=docs.PREFIX)
        return _json(doc, lang=lang)

    def collection(
        self, request: Request, portal: PortalDep, actor: ActorDep, collection_id: str
    ) -> Response:
        fmt = _format(request, SIMPLE_PARAMS)
        lang = _lang(request)
        geo = _open(portal, actor, collection_id)
        doc = docs.collection(_urls(portal), geo, geo.table.extent(epsg=geo.epsg), lang=lang, fmt=fmt)
        if fmt == "html":
            schema = geo.table.schema()
            columns = [f for f in schema.fields if f.name != geo.table.positions().geometry]
            return self.html(request, "ogc/collection.html", doc=doc, columns=columns, ogc=docs.PREFIX)
        return _json(doc, lang=lang)

    def queryables(
        self, request: Request, portal: PortalDep, actor: ActorDep, collection_id: str
    ) -> Response:
        fmt = _format(request, SIMPLE_PARAMS)
        lang = _lang(request)
        urls = _urls(portal)
        geo = _open(portal, actor, collection_id)
        doc = queryables(urls, geo, lang=lang)
        if fmt == "html":
            return self.html(
                request,
                "ogc/queryables.html",
                doc=doc,
                collection=geo.name,
                title=pick(geo.title, lang)[0] or pick(geo.dataset_title, lang)[0] or geo.name,
                links=docs.twins(urls.queryables(geo.name), fmt, docs.SCHEMA),
                ogc=docs.PREFIX,
            )
        headers = {"Content-Language": lang, "Vary": "Accept, Accept-Language"}
        return Response(dumps(doc), media_type=docs.SCHEMA, headers=headers)

    def items(self, request: Request, portal: PortalDep, actor: ActorDep, collection_id: str) -> Response:
        geo = _open(portal, actor, collection_id)
        columns = geo.table.schema().names()
        query = request.query_params
        fmt = _format(request, p.ITEMS_PARAMS | set(columns))
        allowed = geo.crs
        wanted = FeatureQuery(
            bbox=p.bbox(query, allowed),
            time=p.time_span(query),
            filters=p.property_filters(query, columns),
            limit=p.limit(query),
            offset=p.offset(query),
            crs=p.crs(query, "crs", allowed),
        )
        page = geo.table.features(wanted, epsg=geo.epsg, key=geo.primary_key)
        urls = _urls(portal)
        links = _page_links(request, urls.items(geo.name), wanted, page, fmt)
        links.append(docs.link(urls.collection(geo.name), "collection", docs.JSON, "The collection"))
        head = {
            "type": "FeatureCollection",
            "numberMatched": page.matched,
            "numberReturned": page.returned,
            "timeStamp": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "links": links,
        }
        headers = {"Content-Crs": f"<{wanted.crs.uri}>"}
        if fmt == "html":
            features = [json.loads(f.json()) for f in page.features]
            return self.html(
                request,
                "ogc/items.html",
                doc=head,
                features=features,
                columns=[c for c in columns if c != geo.table.positions().geometry],
                title=pick(geo.title, _lang(request))[0],
                collection=geo.name,
                offset=wanted.offset,
                map_src=_map_source(request),
                tile_url=portal.settings.map_tile_url,
                tile_attribution=portal.settings.map_tile_attribution,
                tile_max_zoom=portal.settings.map_tile_max_zoom,
                map_boundaries=boundaries_url(MapSetup.of(portal.settings)),
                ogc=docs.PREFIX,
            )
        body = dumps(head)[:-1] + b',"features":[' + page.features_json().encode() + b"]}"
        return Response(body, media_type=docs.GEOJSON, headers=headers)

    def item(
        self, request: Request, portal: PortalDep, actor: ActorDep, collection_id: str, feature_id: str
    ) -> Response:
        geo = _open(portal, actor, collection_id)
        fmt = _format(request, ITEM_PARAMS)
        crs = p.crs(request.query_params, "crs", geo.crs)
        feature = geo.table.feature(feature_id, crs=crs, epsg=geo.epsg, key=geo.primary_key)
        urls = _urls(portal)
        links = [
            *docs.twins(urls.item(geo.name, feature.id), fmt, docs.GEOJSON),
            docs.link(urls.collection(geo.name), "collection", docs.JSON, "The collection"),
        ]
        if fmt == "html":
            return self.html(
                request,
                "ogc/item.html",
                feature=json.loads(feature.json()),
                title=pick(geo.title, _lang(request))[0],
                collection=geo.name,
                links=links,
                map_src=_map_source(request),
                tile_url=portal.settings.map_tile_url,
                tile_attribution=portal.settings.map_tile_attribution,
                tile_max_zoom=portal.settings.map_tile_max_zoom,
                map_boundaries=boundaries_url(MapSetup.of(portal.settings)),
                ogc=docs.PREFIX,
            )
        body = feature.json(links=dumps(links).decode())
        return Response(body, media_type=docs.GEOJSON, headers={"Content-Crs": f"<{crs.uri}>"})

    def nothing(self, request: Request, rest: str) -> Response:
        raise NotFound(f"nothing at {request.url.path}")


def _format(request: Request, known: frozenset[str] | set[str]) -> str:
    p.refuse_unknown(request.query_params, known)
    return p.output_format(request.query_params, request.headers.get("accept", ""))


def _lang(request: Request) -> str:
    return str(getattr(request.state, "lang", "ca"))


def _urls(portal: Portal) -> docs.Urls:
    return docs.Urls(portal.settings.base_url.rstrip("/"))


def _tables(portal: Portal, actor: Actor) -> list[GeoTable]:
    return geo_tables(store=portal.store, actor=actor, tables=portal.tables)


def _open(portal: Portal, actor: Actor, ref: str) -> GeoTable:
    return open_geo_table(store=portal.store, actor=actor, tables=portal.tables, ref=ref)


def _json(doc: dict[str, Any], *, lang: str | None = None) -> Response:
    headers = {"Content-Language": lang, "Vary": "Accept, Accept-Language"} if lang else {"Vary": "Accept"}
    return Response(dumps(doc), media_type=docs.JSON, headers=headers)


def _map_source(request: Request) -> str:
    """This request's path and query as GeoJSON in CRS84, for the page's map."""
    pairs = [(k, v) for k, v in request.query_params.multi_items() if k not in ("f", "crs")]
    return request.url.path + "?" + urlencode([*pairs, ("f", "json")])


def _page_links(
    request: Request, items_url: str, query: FeatureQuery, page: FeaturePage, fmt: str
) -> list[dict[str, str]]:
    """self, alternate, and next/prev for the pages around this one, each keeping the query."""
    media = docs.GEOJSON if fmt == "json" else docs.HTML
    other = "html" if fmt == "json" else "json"

    def at(offset: int, f: str | None = None) -> str:
        pairs = [(k, v) for k, v in request.query_params.multi_items() if k not in ("offset", "f")]
        if offset:
            pairs.append(("offset", str(offset)))
        if f is not None:
            pairs.append(("f", f))
        elif "f" in request.query_params:
            pairs.append(("f", request.query_params["f"]))
        return items_url + ("?" + urlencode(pairs) if pairs else "")

    links = [
        docs.link(at(query.offset), "self", media, "This page"),
        docs.link(
            at(query.offset, other),
            "alternate",
            docs.HTML if other == "html" else docs.GEOJSON,
            other.upper(),
        ),
    ]
    if query.offset + page.returned < page.matched:
        links.append(docs.link(at(query.offset + query.limit), "next", media, "Next page"))
    if query.offset > 0:
        links.append(docs.link(at(max(0, query.offset - query.limit)), "prev", media, "Previous page"))
    return links


__all__ = ["ogc_router"]
