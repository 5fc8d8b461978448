"""/api/v1/groups: thematic collections of datasets from any publisher."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body, Response

from obert.api.face import NATIVE
from obert.api.v1.schemas import GroupOut, ListOut, group_out
from obert.catalog import group_datasets
from obert.catalog import groups as service
from obert.catalog.models import GroupInput
from obert.deps import ActorDep, PortalDep, WriterDep

router = NATIVE.router(prefix="/api/v1/groups", tags=["groups"])


@router.get("", response_model=ListOut[GroupOut])
def list_groups(portal: PortalDep) -> ListOut[GroupOut]:
    """Every group, by name, with its number of public datasets."""
    found = service.list_groups(store=portal.store)
    base = portal.settings.base_url
    return ListOut(data=[group_out(g, base) for g in found], count=len(found), next=None)


@router.post("", status_code=201, response_model=GroupOut)
def create_group(portal: PortalDep, actor: WriterDep, data: GroupInput) -> GroupOut:
    """Create a group (site administrators)."""
    created = service.create_group(store=portal.store, actor=actor, data=data)
    return group_out(created, portal.settings.base_url)


@router.get("/{ref}", response_model=GroupOut)
def get_group(portal: PortalDep, ref: str) -> GroupOut:
    """One group by id or name."""
    return group_out(service.get_group(store=portal.store, ref=ref), portal.settings.base_url)


@router.put("/{ref}", response_model=GroupOut)
def replace_group(portal: PortalDep, actor: WriterDep, ref: str, data: GroupInput) -> GroupOut:
    """Replace every field of a group (site administrators); `PATCH` changes a few."""
    updated = service.replace_group(store=portal.store, actor=actor, ref=ref, data=data)
    return group_out(updated, portal.settings.base_url)


@router.patch("/{ref}", response_model=GroupOut)
def patch_group(
    portal: PortalDep, actor: WriterDep, ref: str, patch: Annotated[dict[str, Any], Body()]
) -> GroupOut:
    """Change some fields of a group with a JSON merge patch (site administrators)."""
    updated = service.patch_group(store=portal.store, actor=actor, ref=ref, patch=patch)
    return group_out(updated, portal.settings.base_url)


@router.delete("/{ref}", status_code=204)
def delete_group(portal: PortalDep, actor: WriterDep, ref: str) -> Response:
    """Delete a group (site administrators); its datasets stay, outside it."""
    service.delete_group(store=portal.store, actor=actor, ref=ref)
    return Response(status_code=204)


@router.get("/{ref}/datasets", response_model=list[str])
def list_group_datasets(portal: PortalDep, actor: ActorDep, ref: str) -> list[str]:
    """The ids of the group's datasets you may see."""
    return group_datasets.group_dataset_ids(store=portal.store, actor=actor, ref=ref)


@router.put("/{ref}/datasets/{dataset}", status_code=204)
def add_group_dataset(portal: PortalDep, actor: WriterDep, ref: str, dataset: str) -> Response:
    """File a dataset (id or name) in the group: its editors may."""
    group_datasets.add_to_group(store=portal.store, actor=actor, group_ref=ref, dataset_ref=dataset)
    return Response(status_code=204)


@router.delete("/{ref}/datasets/{dataset}", status_code=204)
def remove_group_dataset(portal: PortalDep, actor: WriterDep, ref: str, dataset: str) -> Response:
    """Take a dataset out of the group: its editors may."""
    group_datasets.remove_from_group(store=portal.store, actor=actor, group_ref=ref, dataset_ref=dataset)
    return Response(status_code=204)
