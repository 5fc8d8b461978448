"""/api/v1/organizations"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body, Query, Response

from obert.api.face import NATIVE
from obert.api.v1.schemas import ListOut, OrganizationOut, organization_out
from obert.catalog import organizations as service
from obert.catalog.models import OrganizationInput
from obert.deps import PortalDep, WriterDep

router = NATIVE.router(prefix="/api/v1/organizations", tags=["organizations"])


@router.get("", response_model=ListOut[OrganizationOut])
def list_organizations(
    portal: PortalDep, limit: Annotated[int, Query(ge=1, le=1000)] = 20, cursor: str | None = None
) -> ListOut[OrganizationOut]:
    """Publishers, a page at a time, with their number of datasets."""
    page = service.list_organizations(store=portal.store, limit=limit, cursor=cursor)
    base = portal.settings.base_url
    return ListOut(data=[organization_out(o, base) for o in page.items], count=page.count, next=page.next)


@router.post("", status_code=201, response_model=OrganizationOut)
def create_organization(portal: PortalDep, actor: WriterDep, data: OrganizationInput) -> OrganizationOut:
    """Create a publisher (site administrators)."""
    created = service.create_organization(store=portal.store, actor=actor, data=data)
    return organization_out(created, portal.settings.base_url)


@router.get("/{ref}", response_model=OrganizationOut)
def get_organization(portal: PortalDep, ref: str) -> OrganizationOut:
    """One publisher by id or name."""
    return organization_out(service.get_organization(store=portal.store, ref=ref), portal.settings.base_url)


@router.put("/{ref}", response_model=OrganizationOut)
def replace_organization(
    portal: PortalDep, actor: WriterDep, ref: str, data: OrganizationInput
) -> OrganizationOut:
    """Replace every field of a publisher; `PATCH` changes a few."""
    updated = service.replace_organization(store=portal.store, actor=actor, ref=ref, data=data)
    return organization_out(updated, portal.settings.base_url)


@router.patch("/{ref}", response_model=OrganizationOut)
def patch_organization(
    portal: PortalDep, actor: WriterDep, ref: str, patch: Annotated[dict[str, Any], Body()]
) -> OrganizationOut:
    """Change some fields of a publisher with a JSON merge patch."""
    updated = service.patch_organization(store=portal.store, actor=actor, ref=ref, patch=patch)
    return organization_out(updated, portal.settings.base_url)


@router.delete("/{ref}", status_code=204)
def delete_organization(portal: PortalDep, actor: WriterDep, ref: str) -> Response:
    """Delete a publisher that no longer publishes any dataset."""
    service.delete_organization(store=portal.store, actor=actor, ref=ref)
    return Response(status_code=204)
