"""Input, patch and domain models of the catalogue (DCAT-AP 3: catalogue, dataset, distribution, agent).

Input models validate what a client sends; patch models are the same fields all optional (a JSON merge
patch); domain models are frozen snapshots of what is stored. Output shapes belong to each API face.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt, field_validator

from obert.catalog.fields import (
    AccessRightsCode,
    ContactPoint,
    Email,
    FrequencyCode,
    HvdCategoryCode,
    IsoDate,
    LanguageCode,
    LicenseCode,
    LocalizedList,
    LocalizedText,
    RequiredLocalizedText,
    SectorCode,
    Slug,
    Spatial,
    Strict,
    Temporal,
    ThemeCode,
    Url,
)
from obert.catalog.vocabulary import file_type_for


class State(StrEnum):
    DRAFT = "draft"
    REVIEW = "review"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"
    DELETED = "deleted"


class Visibility(StrEnum):
    PUBLIC = "public"
    PRIVATE = "private"


# ---------------------------------------------------------------- organisations (foaf:Agent publishers)
class OrganizationInput(Strict):
    name: Slug
    title: RequiredLocalizedText
    description: LocalizedText = {}
    homepage: Url | None = None
    email: Email | None = None
    identifier: Url | None = None  # e.g. the DIR3 IRI datos.gob.es knows the publisher by
    image_url: Url | None = None


class OrganizationPatch(Strict):
    name: Slug | None = None
    title: RequiredLocalizedText | None = None
    description: LocalizedText | None = None
    homepage: Url | None = None
    email: Email | None = None
    identifier: Url | None = None
    image_url: Url | None = None


class GroupInput(Strict):
    """A group: a thematic collection of datasets from any publisher (CKAN's groups)."""

    name: Slug
    title: RequiredLocalizedText
    description: LocalizedText = {}
    image_url: Url | None = None


class Organization(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    name: str
    title: dict[str, str]
    description: dict[str, str]
    homepage: str | None
    email: str | None
    identifier: str | None
    image_url: str | None
    created_at: datetime
    updated_at: datetime
    dataset_count: int = 0


# ---------------------------------------------------------------- resources (dcat:Distribution)
class ResourceInput(Strict):
    name: Slug | None = None
    title: LocalizedText = {}
    description: LocalizedText = {}
    format: str | None = Field(default=None, max_length=50)
    media_type: str | None = Field(default=None, max_length=200)
    access_url: Url | None = None
    download_url: Url | None = None
    byte_size: NonNegativeInt | None = None
    checksum: str | None = Field(default=None, pattern=r"^(sha256|sha1|md5):[0-9a-f]+$")
    license: LicenseCode | None = None
    language: list[LanguageCode] = []
    conforms_to: list[Url] = []
    issued: IsoDate | None = None
    modified: IsoDate | None = None

    @field_validator("format")
    @classmethod
    def _known_format(cls, value: str | None) -> str | None:
        if value is None:
            return None
        concept = file_type_for(value)
        return concept.code if concept else value.strip().upper()


class ResourcePatch(Strict):
    name: Slug | None = None
    title: LocalizedText | None = None
    description: LocalizedText | None = None
    format: str | None = None
    media_type: str | None = None
    access_url: Url | None = None
    download_url: Url | None = None
    byte_size: NonNegativeInt | None = None
    checksum: str | None = None
    license: LicenseCode | None = None
    language: list[LanguageCode] | None = None
    conforms_to: list[Url] | None = None
    issued: IsoDate | None = None
    modified: IsoDate | None = None


class Resource(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    name: str
    dataset_id: str
    dataset_name: str
    position: int
    title: dict[str, str]
    description: dict[str, str]
    format: str | None
    media_type: str | None
    access_url: str | None
    download_url: str | None
    upload: str | None
    byte_size: int | None
    checksum: str | None
    license: str | None
    language: list[str]
    conforms_to: list[str]
    issued: str | None
    modified: str | None
    created_at: datetime
    updated_at: datetime

    def href(self, base_url: str) -> str | None:
        """Where the data can be fetched: obert's own download route for uploads, else the given URL."""
        if self.upload:
            base = base_url.rstrip("/")
            return f"{base}/dataset/{self.dataset_name}/resource/{self.id}/download/{self.upload}"
        return self.download_url or self.access_url


# ---------------------------------------------------------------- datasets (dcat:Dataset)
class DatasetInput(Strict):
    name: Slug
    title: RequiredLocalizedText
    description: LocalizedText = {}
    organization: str | None = Field(default=None, description="id or name of the publisher")
    state: State = State.PUBLISHED
    visibility: Visibility = Visibility.PUBLIC
    keywords: LocalizedList = {}
    themes: list[ThemeCode] = []
    sectors: list[SectorCode] = []
    license: LicenseCode | None = None
    access_rights: AccessRightsCode | None = None
    frequency: FrequencyCode | None = None
    temporal: Temporal | None = None
    spatial: Spatial | None = None
    languages: list[LanguageCode] = []
    issued: IsoDate | None = None
    modified: IsoDate | None = None
    landing_page: Url | None = None
    contact_point: ContactPoint | None = None
    conforms_to: list[Url] = []
    hvd_categories: list[HvdCategoryCode] = Field(
        default=[],
        description="EU high-value dataset categories (codes or IRIs of http://data.europa.eu/bna/asd487ae75);"
        " any makes the dataset a High-Value Dataset under Implementing Regulation (EU) 2023/138",
    )
    version: str | None = Field(default=None, max_length=100)
    version_notes: LocalizedText = {}
    provenance: LocalizedText = {}
    extras: dict[str, str] = {}
    resources: list[ResourceInput] = Field(default=[], description="created with the dataset")

    @field_validator("state")
    @classmethod
    def _not_deleted(cls, value: State) -> State:
        if value is State.DELETED:
            raise ValueError("use DELETE to delete a dataset")
        return value


class DatasetPatch(Strict):
    """Every field optional; sent as a JSON merge patch (null clears a field)."""

    name: Slug | None = None
    title: RequiredLocalizedText | None = None
    description: LocalizedText | None = None
    organization: str | None = None
    state: State | None = None
    visibility: Visibility | None = None
    keywords: LocalizedList | None = None
    themes: list[ThemeCode] | None = None
    sectors: list[SectorCode] | None = None
    license: LicenseCode | None = None
    access_rights: AccessRightsCode | None = None
    frequency: FrequencyCode | None = None
    temporal: Temporal | None = None
    spatial: Spatial | None = None
    languages: list[LanguageCode] | None = None
    issued: IsoDate | None = None
    modified: IsoDate | None = None
    landing_page: Url | None = None
    contact_point: ContactPoint | None = None
    conforms_to: list[Url] | None = None
    hvd_categories: list[HvdCategoryCode] | None = None
    version: str | None = None
    version_notes: LocalizedText | None = None
    provenance: LocalizedText | None = None
    extras: dict[str, str] | None = None


class OrganizationRef(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    name: str
    title: dict[str, str]


class Dataset(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    name: str
    state: State
    visibility: Visibility
    organization: OrganizationRef | None
    title: dict[str, str]
    description: dict[str, str]
    keywords: dict[str, list[str]]
    themes: list[str]
    sectors: list[str]
    license: str | None
    access_rights: str | None
    frequency: str | None
    temporal: Temporal | None
    spatial: Spatial | None
    languages: list[str]
    issued: str | None
    modified: str | None
    landing_page: str | None
    contact_point: ContactPoint | None
    conforms_to: list[str]
    hvd_categories: list[str] = []
    version: str | None
    version_notes: dict[str, str]
    provenance: dict[str, str]
    extras: dict[str, str]
    resources: list[Resource]
    created_at: datetime
    updated_at: datetime

    @property
    def is_public(self) -> bool:
        return self.state is State.PUBLISHED and self.visibility is Visibility.PUBLIC

    @property
    def formats(self) -> tuple[str, ...]:
        """The formats of its resources, as a list of datasets shows them (see distinct_formats)."""
        return distinct_formats(r.format for r in self.resources)

    def as_input(self) -> dict[str, Any]:
        """This dataset as the JSON of a DatasetInput: the base a merge patch applies to."""
        data = self.model_dump(
            mode="json", exclude={"id", "organization", "resources", "created_at", "updated_at"}
        )
        data["organization"] = self.organization.id if self.organization else None
        return data


@dataclass(frozen=True, slots=True)
class DatasetCard:
    """What a list of datasets shows of each one (the search page's results): read without the rest of
    the dataset, whose resources and metadata a card does not show."""

    id: str
    name: str
    title: dict[str, str]
    description: dict[str, str]
    organization: OrganizationRef | None
    formats: tuple[str, ...]  # distinct_formats of its live resources, in their order


def distinct_formats(formats: Iterable[str | None]) -> tuple[str, ...]:
    """Each format once, in order of first appearance, the same in any case ("CSV", "csv"): the first
    spelling stays. Empty ones are left out."""
    seen: dict[str, str] = {}
    for fmt in formats:
        if fmt:
            seen.setdefault(fmt.lower(), fmt)
    return tuple(seen.values())


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    count: int
    next: str | None
