"""What a graph needs to know beyond one dataset: the catalogue's own metadata and its publishers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from obert.catalog.models import Organization
from obert.settings import Settings


@dataclass(frozen=True, slots=True)
class CatalogInfo:
    base_url: str
    title: Mapping[str, str]
    description: Mapping[str, str]
    homepage: str
    publisher_uri: str
    publisher_name: Mapping[str, str]
    license: str
    languages: tuple[str, ...]
    theme_taxonomies: tuple[str, ...]
    spatial_uri: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> CatalogInfo:
        base = settings.base_url.rstrip("/")
        return cls(
            base_url=base,
            title=dict(settings.catalog_title),
            description=dict(settings.catalog_description),
            homepage=settings.catalog_homepage or base + "/",
            publisher_uri=settings.catalog_publisher_uri or f"{base}/#publisher",
            publisher_name=dict(settings.catalog_publisher_name) or {"en": settings.site_name},
            license=settings.catalog_license,
            languages=tuple(settings.catalog_languages),
            theme_taxonomies=tuple(settings.catalog_theme_taxonomies),
            spatial_uri=settings.catalog_spatial_uri,
        )

    @property
    def catalog_uri(self) -> str:
        return f"{self.base_url}/catalog"

    def dataset_uri(self, dataset_id: str) -> str:
        # The id, not the name: a dataset may be renamed, and harvesters key records on this IRI.
        return f"{self.base_url}/dataset/{dataset_id}"

    def distribution_uri(self, dataset_id: str, resource_id: str) -> str:
        return f"{self.base_url}/dataset/{dataset_id}/resource/{resource_id}"


@dataclass(frozen=True, slots=True)
class Measurement:
    """One quality measurement (dqv:QualityMeasurement) of a dataset: a metric IRI and its value."""

    metric: str
    value: bool | int


@dataclass(frozen=True, slots=True)
class DistributionLink:
    """Where a distribution's data may be downloaded by whoever reads the graph: the resource's own file
        (`original`), or, while the table service holds the original back, the published table exported in
        `media_type`; `url` None when there is nothing to download. The flags say which of obert's data
    services reach the resource's table."""

    url: str | None
    original: bool
    format: str | None = None
    serves_table: bool = False  # a published table: the datastore API, SQL and exports reach it
    positions: bool = False  # and it has positions: OGC API Features serves it too


@dataclass(frozen=True, slots=True)
class GraphContext:
    catalog: CatalogInfo
    publishers: Mapping[str, Organization] = field(default_factory=dict)
    measurements: Mapping[str, tuple[Measurement, ...]] = field(default_factory=dict)
    # Resource id → its download link for the graph's reader; a resource not listed has no download link
    # (a face that forgot to ask the table service publishes no file rather than the wrong one).
    links: Mapping[str, DistributionLink] = field(default_factory=dict)
