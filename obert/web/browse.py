"""Pages to browse by: a resource with its map, the EU data themes, and the about page."""

from __future__ import annotations

from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse

from obert.catalog import browse, datasets
from obert.catalog.models import Resource
from obert.deps import ActorDep, PortalDep
from obert.errors import NotFound
from obert.portal import Portal
from obert.tableservice.boundaries import boundaries_url
from obert.tableservice.map_positions import MapSetup
from obert.tableservice.originals import downloads
from obert.web.face import PAGES
from obert.web.geojson import FeatureTable, feature_table
from obert.web.history import version_history
from obert.web.preview import table_preview
from obert.web.respond import page
from obert.web.snippets import download_snippets, json_snippets

router = PAGES.router(include_in_schema=False)

# Maps draw uploads only: obert serves those itself, so the browser fetches them from the same origin.
MAP_FORMATS = ("GEOJSON",)
FEATURE_ROWS = 50


def _features(portal: Portal, resource: Resource) -> FeatureTable | None:
    if resource.upload is None:
        return None
    try:
        path: Path = portal.files.path(owner_id=resource.id, filename=resource.upload)
    except NotFound:
        return None
    return feature_table(path, limit=FEATURE_ROWS)


def _here(request: Request) -> str:
    """This page's path in the reader's language (the language prefix is gone from the routed path)."""
    lang = getattr(request.state, "lang", None)
    return f"/{lang}{request.url.path}" if lang else request.url.path


@router.get("/dataset/{dataset_ref}/resource/{resource_ref}", response_class=HTMLResponse)
def resource_page(
    request: Request, portal: PortalDep, actor: ActorDep, dataset_ref: str, resource_ref: str
) -> HTMLResponse:
    dataset = datasets.get_dataset(store=portal.store, actor=actor, ref=dataset_ref)
    resource = next((r for r in dataset.resources if resource_ref in (r.id, r.name)), None)
    if resource is None:
        raise NotFound(f"no resource '{resource_ref}' in dataset '{dataset.name}'")
    base = portal.settings.base_url.rstrip("/")
    # What this reader may download (the original, or the published table while the original is held
    # back), relative for obert's own files so the page works on any host.
    link = downloads(store=portal.store, actor=actor, found=[resource], base_url="")[resource.id]
    local = link.url if link.url and link.url.startswith("/") else None
    download_url = f"{base}{local}" if local else link.url
    own_file = link.original and resource.upload is not None
    has_map = own_file and (resource.format or "").upper() in MAP_FORMATS
    versions = version_history(
        portal=portal, actor=actor, dataset=dataset, resource=resource, params=request.query_params
    )
    return page(
        request,
        "resource.html",
        # A comparison the form could not make says why on the page, with a client-error status.
        status_code=422 if versions is not None and versions.error else 200,
        versions=versions,
        base_url=base,
        dataset=dataset,
        resource=resource,
        download=local or download_url,
        download_link=link,
        api_snippets=json_snippets(f"{base}/api/v1/resources/{resource.id}"),
        file_snippets=download_snippets(
            download_url,
            filename=(resource.upload or resource.name)
            if link.original
            else f"{resource.name}.{link.format}",
            format=resource.format if link.original else link.format,
        )
        if download_url
        else [],
        has_map=has_map,
        features=_features(portal, resource) if has_map else None,
        tile_url=portal.settings.map_tile_url,
        tile_attribution=portal.settings.map_tile_attribution,
        tile_max_zoom=portal.settings.map_tile_max_zoom,
        map_boundaries=boundaries_url(MapSetup.of(portal.settings)),
        preview=table_preview(
            portal=portal,
            actor=actor,
            resource=resource,
            path=_here(request),
            params=request.query_params,
            with_map=not has_map,  # a GeoJSON upload's map draws the file itself
        ),
    )


@router.get("/theme/{code}", response_class=HTMLResponse)
def theme_page(
    request: Request, portal: PortalDep, actor: ActorDep, code: str, cursor: str | None = None
) -> HTMLResponse:
    theme = browse.theme_code(code)
    listing = datasets.list_datasets(
        store=portal.store, actor=actor, theme=theme, limit=portal.settings.page_size, cursor=cursor
    )
    return page(request, "theme.html", theme=theme, page=listing)


@router.get("/about", response_class=HTMLResponse)
def about_page(request: Request) -> HTMLResponse:
    return page(request, "about.html")
