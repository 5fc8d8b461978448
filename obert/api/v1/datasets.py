"""/api/v1/datasets"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body, Query, Request, Response

from obert.api.conditional import revalidate, stamped
from obert.api.face import NATIVE
from obert.api.v1 import present
from obert.api.v1.schemas import DatasetOut, ListOut
from obert.catalog import datasets as service
from obert.catalog.models import DatasetInput, DatasetPatch
from obert.catalog.revision import dataset_revision
from obert.deps import ActorDep, PortalDep, WriterDep

router = NATIVE.router(prefix="/api/v1/datasets", tags=["datasets"])
Limit = Annotated[int, Query(ge=1, le=1000, description="page size")]


@router.get("", response_model=ListOut[DatasetOut])
def list_datasets(
    portal: PortalDep,
    actor: ActorDep,
    limit: Limit = 20,
    cursor: str | None = None,
    organization: str | None = None,
) -> ListOut[DatasetOut]:
    """Datasets the caller may see, newest first, a page at a time; `next` is the cursor of the
    following page. `organization` keeps one publisher's."""
    page = service.list_datasets(
        store=portal.store, actor=actor, limit=limit, cursor=cursor, organization=organization
    )
    return ListOut(data=present.datasets(portal, actor, page.items), count=page.count, next=page.next)


@router.post("", status_code=201, response_model=DatasetOut)
def create_dataset(portal: PortalDep, actor: WriterDep, data: DatasetInput) -> DatasetOut:
    """Create a dataset from its DCAT-AP fields (multilingual text as `{"ca": …, "es": …, "en": …}`).
    Editors of its organisation only; with review required it starts as a draft."""
    created = service.create_dataset(store=portal.store, actor=actor, data=data, policy=portal.workflow)
    return present.dataset(portal, actor, created)


@router.get("/{ref}", response_model=DatasetOut)
def get_dataset(
    request: Request, response: Response, portal: PortalDep, actor: ActorDep, ref: str
) -> DatasetOut | Response:
    """One dataset by id or name, with its resources and their download and API links. Conditional
    requests (If-None-Match, If-Modified-Since) are answered 304 without reading it."""
    revision = dataset_revision(store=portal.store, actor=actor, ref=ref)
    unchanged = revalidate(request, revision)
    if unchanged is not None:
        return unchanged
    stamped(response, revision)
    return present.dataset(portal, actor, service.get_dataset(store=portal.store, actor=actor, ref=ref))


@router.put("/{ref}", response_model=DatasetOut)
def replace_dataset(portal: PortalDep, actor: WriterDep, ref: str, data: DatasetInput) -> DatasetOut:
    """Replace every field of a dataset (fields left out are emptied); `PATCH` changes a few."""
    updated = service.replace_dataset(
        store=portal.store, actor=actor, ref=ref, data=data, policy=portal.workflow
    )
    return present.dataset(portal, actor, updated)


@router.patch(
    "/{ref}",
    response_model=DatasetOut,
    openapi_extra={
        "requestBody": {
            "content": {
                "application/merge-patch+json": {
                    "schema": DatasetPatch.model_json_schema(ref_template="#/components/schemas/{model}")
                }
            }
        }
    },
)
def patch_dataset(
    portal: PortalDep, actor: WriterDep, ref: str, patch: Annotated[dict[str, Any], Body()]
) -> DatasetOut:
    """Change some fields of a dataset with a JSON merge patch (RFC 7396): `null` removes a field,
    objects merge."""
    updated = service.patch_dataset(
        store=portal.store, actor=actor, ref=ref, patch=patch, policy=portal.workflow
    )
    return present.dataset(portal, actor, updated)


@router.delete("/{ref}", status_code=204)
def delete_dataset(portal: PortalDep, actor: WriterDep, ref: str) -> Response:
    """Soft-delete a dataset: it leaves the catalogue, the search index and DCAT; a site administrator
    may purge it."""
    service.delete_dataset(store=portal.store, actor=actor, ref=ref)
    return Response(status_code=204)
