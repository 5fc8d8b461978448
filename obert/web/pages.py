"""HTML pages. Each calls the same service as its JSON twin and only adds what the template needs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse

from obert.catalog import datasets, organizations, resources
from obert.catalog.vocabulary import vocabulary
from obert.deps import ActorDep, PortalDep
from obert.errors import NotFound
from obert.types import Lang
from obert.watch.freshness import dataset_freshness
from obert.web.templating import render

router = APIRouter(include_in_schema=False)


def _page(request: Request, template: str, **context: Any) -> HTMLResponse:
    lang: Lang = request.state.lang
    path = request.url.path
    html = render(
        lang,
        template,
        request=request,
        path=path,
        site_name=request.app.state.portal.settings.site_name,
        vocabulary=vocabulary,
        **context,
    )
    return HTMLResponse(html, headers={"Content-Language": lang, "Vary": "Accept-Language, Cookie"})


@router.get("/", response_class=HTMLResponse)
def home(request: Request, portal: PortalDep, actor: ActorDep) -> HTMLResponse:
    latest = datasets.list_datasets(store=portal.store, actor=actor, limit=6)
    orgs = organizations.list_organizations(store=portal.store, limit=50)
    return _page(request, "home.html", latest=latest, organizations=orgs)


@router.get("/datasets", response_class=HTMLResponse)
def dataset_list(
    request: Request, portal: PortalDep, actor: ActorDep, cursor: str | None = None
) -> HTMLResponse:
    page = datasets.list_datasets(
        store=portal.store, actor=actor, limit=portal.settings.page_size, cursor=cursor
    )
    return _page(request, "datasets.html", page=page)


@router.get("/dataset/{ref}", response_class=HTMLResponse)
def dataset_page(request: Request, portal: PortalDep, actor: ActorDep, ref: str) -> HTMLResponse:
    dataset = datasets.get_dataset(store=portal.store, actor=actor, ref=ref)
    freshness = dataset_freshness(store=portal.store, actor=actor, ref=dataset.id)
    return _page(
        request, "dataset.html", dataset=dataset, base_url=portal.settings.base_url, freshness=freshness
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
def download(
    portal: PortalDep, actor: ActorDep, dataset_ref: str, resource_id: str, filename: str
) -> FileResponse:
    resource = resources.get_resource(store=portal.store, actor=actor, ref=resource_id)
    if resource.upload != filename or dataset_ref not in (resource.dataset_name, resource.dataset_id):
        raise NotFound(f"no file '{filename}' in this resource")
    path = portal.files.path(owner_id=resource.id, filename=filename)
    return FileResponse(path, media_type=resource.media_type or "application/octet-stream", filename=filename)
