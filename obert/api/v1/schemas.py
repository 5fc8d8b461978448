"""Output shapes of the native API (the domain models plus the links a client needs)."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, Field

from obert.catalog.models import Dataset, Organization, Page, Resource, ResourceInput

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
    url: str | None  # where to fetch the data: obert's download link for uploads, else the given URL


class DatasetOut(Dataset):
    url: str
    resources: list[ResourceOut]  # type: ignore[assignment]


class OrganizationOut(Organization):
    url: str


def resource_out(resource: Resource, base_url: str) -> ResourceOut:
    return ResourceOut(**resource.model_dump(), url=resource.href(base_url))


def dataset_out(dataset: Dataset, base_url: str) -> DatasetOut:
    data = dataset.model_dump(exclude={"resources"})
    return DatasetOut(
        **data,
        url=f"{base_url.rstrip('/')}/dataset/{dataset.name}",
        resources=[resource_out(r, base_url) for r in dataset.resources],
    )


def organization_out(org: Organization, base_url: str) -> OrganizationOut:
    return OrganizationOut(**org.model_dump(), url=f"{base_url.rstrip('/')}/organization/{org.name}")


def page_out(page: Page[T]) -> dict[str, object]:
    return {"data": page.items, "count": page.count, "next": page.next}
