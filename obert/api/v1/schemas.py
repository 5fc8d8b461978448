"""Output shapes of the native API (the domain models plus the links a client needs)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Generic, TypeVar

from pydantic import BaseModel, Field

from obert.catalog.groups import Group
from obert.catalog.models import Dataset, Organization, Page, Resource, ResourceInput
from obert.tableservice.originals import Download

T = TypeVar("T")


class ListOut(BaseModel, Generic[T]):
    data: list[T]
    count: int
    next: str | None


class ResourceCreate(ResourceInput):
    datastore: bool = Field(
        default=False, description="also read the download URL into the datastore (in the background)"
    )

    def resource(self) -> ResourceInput:
        return ResourceInput.model_validate(self.model_dump(exclude={"datastore"}))


class ResourceOut(Resource):
    url: str | None  # where this caller fetches the data: the original (obert's copy of an upload, else
    # the given URL) or, while the original is held back, the published table exported


class DatasetOut(Dataset):
    url: str
    resources: list[ResourceOut]  # type: ignore[assignment]


class OrganizationOut(Organization):
    url: str


class GroupOut(Group):
    url: str


def resource_out(resource: Resource, link: Download) -> ResourceOut:
    data = resource.model_dump()
    if link.withheld is not None:
        data["download_url"] = None  # the original's address is the editors' while it is held back
    return ResourceOut(**data, url=link.url)


def dataset_out(dataset: Dataset, base_url: str, links: Mapping[str, Download]) -> DatasetOut:
    data = dataset.model_dump(exclude={"resources"})
    return DatasetOut(
        **data,
        url=f"{base_url.rstrip('/')}/dataset/{dataset.name}",
        resources=[resource_out(r, links[r.id]) for r in dataset.resources],
    )


def organization_out(org: Organization, base_url: str) -> OrganizationOut:
    return OrganizationOut(**org.model_dump(), url=f"{base_url.rstrip('/')}/organization/{org.name}")


def group_out(group: Group, base_url: str) -> GroupOut:
    return GroupOut(**group.model_dump(), url=f"{base_url.rstrip('/')}/api/v1/groups/{group.name}")


def page_out(page: Page[T]) -> dict[str, object]:
    return {"data": page.items, "count": page.count, "next": page.next}
