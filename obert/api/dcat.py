"""DCAT-AP out: /catalog.{ttl,rdf,jsonld} (paged), /dataset/<name>.{ttl,rdf,jsonld}, and RDF content
negotiation on /dataset/<name>."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from email.utils import formatdate
from typing import Annotated

from fastapi import Header, Query, Request, Response
from fastapi.responses import RedirectResponse
from rdflib import BNode, Graph
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from obert.api.face import DCAT
from obert.auth import Actor
from obert.catalog import datasets as dataset_service
from obert.catalog import organizations
from obert.catalog.listing import BrowseQuery, browse_datasets, catalog_dates
from obert.catalog.models import Dataset
from obert.dcat.catalog import CatalogPage, catalog_graph, dataset_graph
from obert.dcat.context import CatalogInfo, DistributionLink, GraphContext, Measurement
from obert.dcat.formats import BY_SUFFIX, RdfFormat, negotiate, serialize
from obert.dcat.terms import Profile, profile_for
from obert.deps import ActorDep, PortalDep
from obert.errors import FieldError, Invalid, NotFound
from obert.portal import Portal
from obert.quality.linkcheck import stored_statuses
from obert.quality.metrics import BY_KEY, SCORE_METRIC
from obert.quality.score import score_dataset
from obert.tableservice.originals import downloads

router = DCAT.router(tags=["dcat"])
CATALOG_PAGE_SIZE = 100
ProfileParam = Annotated[str | None, Query(description="dcat-ap (default) or dcat-ap-es")]
AcceptProfile = Annotated[str | None, Header(description="a profile IRI, as in <https://…>")]


@router.get(
    "/catalog",
    summary="The catalogue's own IRI: sent to the serialisation the Accept header asks for",
    include_in_schema=False,  # a redirect to the documented /catalog.{ttl,rdf,jsonld}, like /api
)
def catalog_iri(request: Request) -> RedirectResponse:
    """303 to /catalog.ttl, .rdf or .jsonld by the Accept header (Turtle when it names none), or to the
    list of datasets when a browser asks for a page."""
    accept = request.headers.get("accept", "")
    fmt = negotiate(accept)
    if fmt is None and _wants_html(accept):
        target = "/datasets"
    else:
        target = f"/catalog.{(fmt or BY_SUFFIX['ttl']).suffix}"
        if request.url.query:
            target += f"?{request.url.query}"
    return RedirectResponse(target, status_code=303, headers={"Vary": "Accept"})


@router.get("/catalog.{suffix}", summary="The catalogue in DCAT-AP, one page of datasets at a time")
def catalog(
    request: Request,
    portal: PortalDep,
    actor: ActorDep,
    suffix: str,
    page: Annotated[int, Query(ge=1)] = 1,
    modified_since: datetime | None = None,
    profile: ProfileParam = None,
    accept_profile: AcceptProfile = None,
) -> Response:
    """The catalogue as DCAT-AP (or DCAT-AP-ES with `profile`) in Turtle, RDF/XML or JSON-LD, 100
    datasets a page with Hydra paging links; `modified_since` keeps the recent ones."""
    fmt = _format(suffix)
    chosen = _profile(profile, accept_profile)
    found = browse_datasets(
        store=portal.store,
        actor=actor,
        query=BrowseQuery(
            offset=(page - 1) * CATALOG_PAGE_SIZE,
            limit=CATALOG_PAGE_SIZE,
            modified_since=modified_since,
            include_private=False,
        ),
    )
    keep = {k: v for k, v in request.query_params.items() if k in ("profile", "modified_since")}
    first, last = catalog_dates(store=portal.store, actor=actor)
    graph = catalog_graph(
        found.items,
        context=graph_context(portal, actor, found.items),
        profile=chosen,
        page=CatalogPage(page, CATALOG_PAGE_SIZE, found.count, f"{_base(portal)}/catalog.{suffix}", keep),
        first_issued=first,
        last_modified=last,
    )
    response = _rdf(graph, fmt=fmt, profile=chosen)
    if last is not None:
        response.headers["Last-Modified"] = formatdate(last.timestamp(), usegmt=True)
    return response


@router.get("/dataset/{ref}.{suffix}", summary="One dataset in DCAT-AP", include_in_schema=False)
def dataset(
    portal: PortalDep,
    actor: ActorDep,
    ref: str,
    suffix: str,
    profile: ProfileParam = None,
    accept_profile: AcceptProfile = None,
) -> Response:
    fmt = _format(suffix)
    chosen = _profile(profile, accept_profile)
    found = dataset_service.get_dataset(store=portal.store, actor=actor, ref=ref)
    graph = dataset_graph(found, context=graph_context(portal, actor, [found]), profile=chosen)
    return _rdf(graph, fmt=fmt, profile=chosen)


def graph_context(portal: Portal, actor: Actor, found: list[Dataset]) -> GraphContext:
    """What the graph of `found` needs: the catalogue's metadata, the publishers, the quality scores and
    the download link of each distribution for this reader."""
    publishers = organizations.organizations_by_id(
        store=portal.store, ids={item.organization.id for item in found if item.organization}
    )
    measurements = {}
    links = stored_statuses(store=portal.store)
    for item in found:
        score = score_dataset(item, base_url=_base(portal), links=links)
        values = [Measurement(BY_KEY[r.key].iri, r.passed) for r in score.metrics]
        measurements[item.id] = (*values, Measurement(SCORE_METRIC, score.points))
    every = [r for item in found for r in item.resources]
    download_links = {
        rid: DistributionLink(link.url, link.original, link.format, link.serves_table, link.positions)
        for rid, link in downloads(
            store=portal.store, actor=actor, found=every, base_url=_base(portal)
        ).items()
    }
    return GraphContext(
        catalog=CatalogInfo.from_settings(portal.settings),
        publishers=publishers,
        measurements=measurements,
        links=download_links,
    )


def _base(portal: Portal) -> str:
    return portal.settings.base_url.rstrip("/")


# ckanext-dcat's names, which CKAN harvesters and federators already have in their configuration.
ALIASES = {"xml": BY_SUFFIX["rdf"], "n3": RdfFormat("n3", "text/n3", "turtle")}


def _format(suffix: str) -> RdfFormat:
    fmt = BY_SUFFIX.get(suffix) or ALIASES.get(suffix)
    if fmt is None:
        raise NotFound(f"no '.{suffix}' serialisation: use .ttl, .rdf or .jsonld (or .xml, .n3)")
    return fmt


def _wants_html(accept: str) -> bool:
    return any(p.split(";")[0].strip() in ("text/html", "application/xhtml+xml") for p in accept.split(","))


def _profile(param: str | None, header: str | None) -> Profile:
    if param:
        chosen = profile_for(param)
        if chosen is None:
            raise Invalid(
                "unknown profile", errors=[FieldError("profile", "use dcat-ap or dcat-ap-es (or their IRIs)")]
            )
        return chosen
    for part in (header or "").split(","):
        if chosen := profile_for(part.split(";")[0]):
            return chosen
    return Profile.DCAT_AP


def _rdf(graph: Graph, *, fmt: RdfFormat, profile: Profile) -> Response:
    return Response(
        serialize(graph, fmt),
        media_type=fmt.media_type,
        headers={
            "Content-Profile": f"<{profile.uri}>",
            "Vary": "Accept, Accept-Profile",
            "ETag": _graph_tag(graph, fmt),
        },
    )


def _graph_tag(graph: Graph, fmt: RdfFormat) -> str:
    """A weak ETag that names the graph, not its bytes: serialisers order blank nodes by their random
    labels, so two answers of the same graph differ in bytes but never in meaning."""
    lines = sorted(
        " ".join("_" if isinstance(term, BNode) else term.n3() for term in triple) for triple in graph
    )
    digest = hashlib.blake2b(fmt.suffix.encode(), digest_size=16)
    for line in lines:
        digest.update(line.encode())
        digest.update(b"\n")
    return f'W/"{digest.hexdigest()}"'


_DATASET_PAGE = re.compile(r"^/dataset/([^/.]+)/?$")


class RdfNegotiation:
    """Sends `/dataset/<name>` to its RDF twin when the Accept header prefers RDF over HTML, and tells
    caches that the page varies by Accept."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        match = _DATASET_PAGE.match(scope["path"])
        if match is None:
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        fmt = negotiate(headers.get(b"accept", b"").decode("latin-1"))
        if fmt is not None:
            path = f"/dataset/{match.group(1)}.{fmt.suffix}"
            scope = {**scope, "path": path, "raw_path": path.encode()}

        async def send_varying(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = MutableHeaders(raw=message["headers"])
                vary = [v.strip() for v in raw.get("vary", "").split(",") if v.strip()]
                if "Accept" not in vary:
                    raw["Vary"] = ", ".join([*vary, "Accept"])
            await send(message)

        await self.app(scope, receive, send_varying)
