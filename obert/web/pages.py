"""HTML pages. Each calls the same service as its JSON twin and only adds what the template needs."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import FileResponse, HTMLResponse

from obert.catalog import browse, datasets, organizations, resources
from obert.catalog.discovery import search_dataset_cards
from obert.deps import ActorDep, PortalDep
from obert.errors import Forbidden, NotFound
from obert.faces import rules
from obert.search import MAX_OFFSET, SearchQuery
from obert.search.params import query_from_params, requested_offset
from obert.tableservice.originals import downloads, original_allowed, withheld_message
from obert.watch.freshness import loaded_freshness
from obert.web.chart_pages import dataset_chart_link
from obert.web.data_tabs import data_view
from obert.web.downloads import upload_response
from obert.web.face import PAGES
from obert.web.freshness import freshness
from obert.web.respond import page as render_page
from obert.web.search_links import search_links
from obert.web.snippets import json_snippets

router = PAGES.router(include_in_schema=False)


def _page(request: Request, template: str, **context: Any) -> HTMLResponse:
    return render_page(request, template, **context)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, portal: PortalDep, actor: ActorDep) -> HTMLResponse:
    total = datasets.count_datasets(store=portal.store, actor=actor)
    latest = browse.latest_dataset_cards(store=portal.store, actor=actor, limit=6)
    themes = browse.theme_counts(store=portal.store, actor=actor)
    orgs = organizations.list_organizations(store=portal.store, limit=50)
    return _page(request, "home.html", total=total, latest=latest, themes=themes, organizations=orgs)


@router.get("/datasets", response_class=HTMLResponse)
def dataset_list(request: Request, portal: PortalDep, actor: ActorDep) -> HTMLResponse:
    params = request.query_params.multi_items()
    query = query_from_params(
        params, lang=request.state.lang, limit=portal.settings.page_size, ignore=("offset", "page")
    )
    offset = requested_offset(params, limit=query.limit)
    if offset > MAX_OFFSET:
        # Past the last page a reader finds an empty page (with the totals and a way back), not an error.
        first = search_dataset_cards(store=portal.store, actor=actor, query=query)
        result = replace(first, datasets=[], offset=offset)
    else:
        query = replace(query, offset=offset)
        result = search_dataset_cards(store=portal.store, actor=actor, query=query)
    ways_in = None
    if result.count == 0 and query.q.strip():
        # Nothing found: the themes and publishers with the most datasets, as ways in (a browse, whose
        # counts are cached).
        browse_query = SearchQuery(facets=("theme", "publisher"), facet_limit=8, limit=1, lang=query.lang)
        ways_in = search_dataset_cards(store=portal.store, actor=actor, query=browse_query).facets
    return _page(
        request,
        "datasets.html",
        result=result,
        query=query,
        links=search_links(params, result),
        ways_in=ways_in,
    )


@router.get("/dataset/{ref}", response_class=HTMLResponse)
def dataset_page(request: Request, portal: PortalDep, actor: ActorDep, ref: str) -> HTMLResponse:
    dataset = datasets.get_dataset(store=portal.store, actor=actor, ref=ref)
    api_url = f"{portal.settings.base_url.rstrip('/')}/api/v1/datasets/{dataset.name}"
    now = datetime.now(UTC)
    return _page(
        request,
        "dataset.html",
        dataset=dataset,
        base_url=portal.settings.base_url,
        fresh=freshness(loaded_freshness(store=portal.store, dataset=dataset, now=now), now=now),
        api_url=api_url,
        api_snippets=json_snippets(api_url),
        # Relative links for obert's own files, so the page works on any host it is reached by.
        downloads=downloads(store=portal.store, actor=actor, found=dataset.resources, base_url=""),
        **dataset_chart_link(portal=portal, actor=actor, dataset=dataset),
        data=data_view(portal=portal, actor=actor, dataset=dataset, request=request),
        tile_url=portal.settings.map_tile_url,
        tile_attribution=portal.settings.map_tile_attribution,
    )


@router.get("/organizations", response_class=HTMLResponse)
def organization_list(request: Request, portal: PortalDep) -> HTMLResponse:
    orgs = organizations.list_organizations(store=portal.store, limit=1000)
    return _page(request, "organizations.html", organizations=orgs)


@router.get("/organization/{ref}", response_class=HTMLResponse)
def organization_page(
    request: Request, portal: PortalDep, actor: ActorDep, ref: str, cursor: str | None = None
) -> HTMLResponse:
    org = organizations.get_organization(store=portal.store, ref=ref)
    page = datasets.list_datasets(
        store=portal.store, actor=actor, organization=org.id, limit=portal.settings.page_size, cursor=cursor
    )
    return _page(request, "organization.html", organization=org, page=page)


@router.get("/dataset/{dataset_ref}/resource/{resource_id}/download/{filename}")
@rules(cors=True)
def download(
    portal: PortalDep, actor: ActorDep, dataset_ref: str, resource_id: str, filename: str
) -> FileResponse:
    resource = resources.get_resource(store=portal.store, actor=actor, ref=resource_id)
    if resource.upload != filename or dataset_ref not in (resource.dataset_name, resource.dataset_id):
        raise NotFound(f"no file '{filename}' in this resource")
    if (withheld := original_allowed(store=portal.store, actor=actor, resource=resource)) is not None:
        raise Forbidden(withheld_message(withheld))
    path = portal.files.path(owner_id=resource.id, filename=filename)
    return upload_response(path, filename=filename, media_type=resource.media_type)
