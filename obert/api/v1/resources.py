"""/api/v1/resources and /api/v1/datasets/{ref}/resources"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body, Query, Request, Response, UploadFile

from obert.api.conditional import revalidate, stamped
from obert.api.face import NATIVE
from obert.api.v1 import present
from obert.api.v1.schemas import ListOut, ResourceCreate, ResourceOut
from obert.catalog import resources as service
from obert.catalog.datasets import get_dataset
from obert.catalog.models import ResourceInput
from obert.catalog.revision import resource_revision
from obert.deps import ActorDep, PortalDep, WriterDep
from obert.faces import rules

router = NATIVE.router(prefix="/api/v1", tags=["resources"])


@router.get("/resources", response_model=ListOut[ResourceOut])
def list_resources(
    portal: PortalDep,
    actor: ActorDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 20,
    cursor: str | None = None,
) -> ListOut[ResourceOut]:
    """Resources of the datasets the caller may see, a page at a time."""
    page = service.list_resources(store=portal.store, actor=actor, limit=limit, cursor=cursor)
    return ListOut(data=present.resources(portal, actor, page.items), count=page.count, next=page.next)


@router.get("/datasets/{ref}/resources", response_model=list[ResourceOut])
def dataset_resources(portal: PortalDep, actor: ActorDep, ref: str) -> list[ResourceOut]:
    """The resources of one dataset, in their order."""
    dataset = get_dataset(store=portal.store, actor=actor, ref=ref)
    return present.resources(portal, actor, dataset.resources)


@router.post("/datasets/{ref}/resources", status_code=201, response_model=ResourceOut)
def create_resource(portal: PortalDep, actor: WriterDep, ref: str, data: ResourceCreate) -> ResourceOut:
    """Add a resource; with `"datastore": true` its download URL is also queued for ingest."""
    created = service.create_resource(
        store=portal.store, actor=actor, dataset_ref=ref, data=data.resource(), ingest=data.datastore
    )
    return present.resource(portal, actor, created)


@router.get("/resources/{ref}", response_model=ResourceOut)
def get_resource(
    request: Request, response: Response, portal: PortalDep, actor: ActorDep, ref: str
) -> ResourceOut | Response:
    """One resource by id or name, with its download URL and, for tables, its datastore links.
    Conditional requests (If-None-Match, If-Modified-Since) are answered 304 without reading it."""
    revision = resource_revision(store=portal.store, actor=actor, ref=ref)
    unchanged = revalidate(request, revision)
    if unchanged is not None:
        return unchanged
    stamped(response, revision)
    return present.resource(portal, actor, service.get_resource(store=portal.store, actor=actor, ref=ref))


@router.put("/resources/{ref}", response_model=ResourceOut)
def replace_resource(portal: PortalDep, actor: WriterDep, ref: str, data: ResourceInput) -> ResourceOut:
    """Replace every field of a resource; `PATCH` changes a few."""
    updated = service.replace_resource(store=portal.store, actor=actor, ref=ref, data=data)
    return present.resource(portal, actor, updated)


@router.patch("/resources/{ref}", response_model=ResourceOut)
def patch_resource(
    portal: PortalDep, actor: WriterDep, ref: str, patch: Annotated[dict[str, Any], Body()]
) -> ResourceOut:
    """Change some fields of a resource with a JSON merge patch."""
    updated = service.patch_resource(store=portal.store, actor=actor, ref=ref, patch=patch)
    return present.resource(portal, actor, updated)


@router.delete("/resources/{ref}", status_code=204)
def delete_resource(portal: PortalDep, actor: WriterDep, ref: str) -> Response:
    """Soft-delete a resource; its table versions stop being served."""
    service.delete_resource(store=portal.store, actor=actor, ref=ref)
    return Response(status_code=204)


@router.post("/resources/{ref}/upload", response_model=ResourceOut)
@rules(body="upload")
def upload_resource_file(portal: PortalDep, actor: WriterDep, ref: str, file: UploadFile) -> ResourceOut:
    """Upload the resource's data file (multipart field `file`); size and checksum are measured. A tabular
    file (CSV, TSV, XLSX, ODS, JSON, GeoJSON, Parquet) also queues its ingest into the datastore: follow it
    at `/api/v1/datastore/{ref}`."""
    updated = service.attach_upload(
        store=portal.store,
        files=portal.files,
        actor=actor,
        ref=ref,
        filename=file.filename or "",
        stream=file.file,
        max_bytes=portal.settings.max_upload_bytes,
    )
    return present.resource(portal, actor, updated)
