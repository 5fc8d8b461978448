"""The dcat:Catalog: its own metadata, a page of its datasets, and hydra paging links."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from rdflib import Graph, Literal, URIRef

from obert.catalog.models import Dataset
from obert.catalog.vocabulary import vocabulary
from obert.dcat.context import GraphContext
from obert.dcat.dataset import add_dataset, location_iri
from obert.dcat.services import ServiceKey, add_service
from obert.dcat.terms import (
    DCAT,
    DCT,
    FOAF,
    HYDRA,
    RDF,
    XSD,
    Profile,
    concept,
    concept_scheme,
    date_literal,
    localized,
    new_graph,
    typed,
)

SECTOR_TAXONOMY = "http://datos.gob.es/kos/sector-publico/sector"


@dataclass(frozen=True, slots=True)
class CatalogPage:
    """Which page of the catalogue a graph shows, and how to link to its neighbours."""

    number: int
    size: int
    total: int
    endpoint: str  # e.g. https://city.example/catalog.ttl
    query: dict[str, str]  # other parameters the page links keep (profile, modified_since)

    @property
    def last(self) -> int:
        return max(1, -(-self.total // self.size))

    def link(self, number: int) -> str:
        return f"{self.endpoint}?{urlencode({**self.query, 'page': str(number)})}"


def catalog_graph(
    datasets: Sequence[Dataset],
    *,
    context: GraphContext,
    profile: Profile,
    page: CatalogPage | None = None,
    last_modified: datetime | None = None,
    first_issued: datetime | None = None,
) -> Graph:
    """The catalogue with `datasets` (one page of them when `page` is given)."""
    graph = new_graph()
    info = context.catalog
    node = URIRef(info.catalog_uri)
    graph.add((node, RDF.type, DCAT.Catalog))
    localized(graph, node, DCT.title, dict(info.title))
    localized(graph, node, DCT.description, dict(info.description))
    graph.add((node, FOAF.homepage, typed(graph, info.homepage, FOAF.Document)))
    publisher = typed(graph, info.publisher_uri, FOAF.Agent, FOAF.Organization)
    localized(graph, publisher, FOAF.name, dict(info.publisher_name))
    graph.add((node, DCT.publisher, publisher))
    if licence := vocabulary("licence").get(info.license):
        graph.add((node, DCT.license, typed(graph, licence.uri, DCT.LicenseDocument)))
    for code in info.languages:
        if language := concept(graph, "language", code, DCT.LinguisticSystem):
            graph.add((node, DCT.language, language))
    taxonomies = list(info.theme_taxonomies)
    if profile is Profile.DCAT_AP_ES and SECTOR_TAXONOMY not in taxonomies:
        taxonomies.append(SECTOR_TAXONOMY)
    for taxonomy in taxonomies:
        graph.add((node, DCAT.themeTaxonomy, concept_scheme(graph, taxonomy)))
    if info.spatial_uri:
        graph.add((node, DCT.spatial, location_iri(graph, info.spatial_uri, profile)))
    if first_issued:
        graph.add((node, DCT.issued, date_literal(first_issued.isoformat())))
    if last_modified:
        graph.add((node, DCT.modified, date_literal(last_modified.isoformat())))
    for dataset in datasets:
        graph.add((node, DCAT.dataset, add_dataset(graph, dataset, context=context, profile=profile)))
    add_service(graph, ServiceKey.SPARQL, info=info, profile=profile)
    for service in set(graph.subjects(RDF.type, DCAT.DataService)):
        graph.add((node, DCAT.service, service))
    if page is not None:
        _paging(graph, page)
    return graph


def dataset_graph(dataset: Dataset, *, context: GraphContext, profile: Profile) -> Graph:
    graph = new_graph()
    add_dataset(graph, dataset, context=context, profile=profile)
    return graph


def _paging(graph: Graph, page: CatalogPage) -> None:
    node = URIRef(page.link(page.number))
    graph.add((node, RDF.type, HYDRA.PagedCollection))
    graph.add((node, HYDRA.totalItems, Literal(page.total, datatype=XSD.integer)))
    graph.add((node, HYDRA.itemsPerPage, Literal(page.size, datatype=XSD.integer)))
    graph.add((node, HYDRA.firstPage, Literal(page.link(1))))
    graph.add((node, HYDRA.lastPage, Literal(page.link(page.last))))
    if page.number > 1:
        graph.add((node, HYDRA.previousPage, Literal(page.link(page.number - 1))))
    if page.number < page.last:
        graph.add((node, HYDRA.nextPage, Literal(page.link(page.number + 1))))
