"""obert's own APIs as dcat:DataService: the datastore API, its SQL endpoint, its exports, OGC API Features
and the SPARQL endpoint, and the High-Value Dataset statements (Implementing Regulation (EU) 2023/138).

Each service is one node with a stable IRI under the catalogue (`<base>/catalog/service/<key>`), the same
in every graph obert writes, so a harvester that merges pages merges each service's `servesDataset`
statements. A distribution whose table obert serves names the services that reach it with
`dcat:accessService`. A service that serves a High-Value Dataset carries the regulation and the dataset's
categories, as DCAT-AP 3 and DCAT-AP-ES ask of data services that are part of a high-value dataset.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from rdflib import Literal, URIRef

from obert.catalog.vocabulary import vocabulary
from obert.dcat.context import CatalogInfo
from obert.dcat.terms import (
    DCAT,
    DCATAP,
    DCT,
    ELI,
    FOAF,
    RDF,
    VCARD,
    Profile,
    Triples,
    concept,
    localized,
    typed,
)

HVD_LEGISLATION = "http://data.europa.eu/eli/reg_impl/2023/138/oj"
# Where OGC API Features is mounted; its landing page is this path, its OpenAPI document `<path>/api`.
OGC_API_BASE = "/api/ogc"
# The services' own subject in datos.gob.es' taxonomy: the public sector's data infrastructure.
SERVICE_SECTOR = "sector-publico"


class ServiceKey(StrEnum):
    DATASTORE = "datastore"
    SQL = "sql"
    EXPORTS = "exports"
    OGC_FEATURES = "ogc-features"
    SPARQL = "sparql"


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    key: ServiceKey
    title: Mapping[str, str]
    description: Mapping[str, str]
    endpoint: str  # path under the base URL
    described_by: str  # path of the machine-readable description (OpenAPI)
    conforms_to: str | None = None  # the standard the service implements, if there is one


_OPENAPI = "/api/v1/openapi.json"
SERVICES = {
    spec.key: spec
    for spec in (
        ServiceSpec(
            ServiceKey.DATASTORE,
            {"ca": "API de dades", "es": "API de datos", "en": "Datastore API"},
            {
                "ca": "Files de cada taula publicada, filtrades, cercades, ordenades, agregades i paginades.",
                "es": "Filas de cada tabla publicada, filtradas, buscadas, ordenadas, agregadas y paginadas.",
                "en": "Rows of every published table, filtered, searched, sorted, aggregated and paged.",
            },
            "/api/v1/datastore",
            _OPENAPI,
        ),
        ServiceSpec(
            ServiceKey.SQL,
            {"ca": "Consultes SQL", "es": "Consultas SQL", "en": "SQL endpoint"},
            {
                "ca": "Consultes SQL de només lectura sobre les taules publicades.",
                "es": "Consultas SQL de solo lectura sobre las tablas publicadas.",
                "en": "Read-only SQL queries over the published tables.",
            },
            "/api/v1/datastore/sql",
            _OPENAPI,
        ),
        ServiceSpec(
            ServiceKey.EXPORTS,
            {"ca": "Exportacions de taules", "es": "Exportaciones de tablas", "en": "Table exports"},
            {
                "ca": "Cada taula publicada, o una consulta seva, en CSV, JSON, GeoJSON, Excel o Parquet.",
                "es": "Cada tabla publicada, o una consulta suya, en CSV, JSON, GeoJSON, Excel o Parquet.",
                "en": "Every published table, or a query of it, as CSV, JSON, GeoJSON, Excel or Parquet.",
            },
            "/api/v1/datastore",
            _OPENAPI,
        ),
        ServiceSpec(
            ServiceKey.OGC_FEATURES,
            {"ca": "OGC API Features", "es": "OGC API Features", "en": "OGC API Features"},
            {
                "ca": "Les taules amb posicions com a col·leccions d'entitats geogràfiques.",
                "es": "Las tablas con posiciones como colecciones de entidades geográficas.",
                "en": "Tables with positions as collections of geographic features.",
            },
            OGC_API_BASE,
            f"{OGC_API_BASE}/api",
            "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
        ),
        ServiceSpec(
            ServiceKey.SPARQL,
            {"ca": "SPARQL del catàleg", "es": "SPARQL del catálogo", "en": "Catalogue SPARQL endpoint"},
            {
                "ca": "Consultes SPARQL 1.1 sobre el graf públic del catàleg (DCAT-AP).",
                "es": "Consultas SPARQL 1.1 sobre el grafo público del catálogo (DCAT-AP).",
                "en": "SPARQL 1.1 queries over the catalogue's public graph (DCAT-AP).",
            },
            "/sparql",
            _OPENAPI,
            "https://www.w3.org/TR/sparql11-protocol/",
        ),
    )
}
# What reaches a table obert serves, and, for a table with positions, what adds to it.
TABLE_SERVICES = (ServiceKey.DATASTORE, ServiceKey.SQL, ServiceKey.EXPORTS)
POSITION_SERVICES = (ServiceKey.OGC_FEATURES,)


def service_uri(info: CatalogInfo, key: ServiceKey) -> str:
    return f"{info.base_url}/catalog/service/{key.value}"


def add_service(graph: Triples, key: ServiceKey, *, info: CatalogInfo, profile: Profile) -> URIRef:
    """The service's own description (the same wherever it appears); returns its IRI."""
    spec = SERVICES[key]
    node = URIRef(service_uri(info, key))
    graph.add((node, RDF.type, DCAT.DataService))
    localized(graph, node, DCT.title, dict(spec.title))
    localized(graph, node, DCT.description, dict(spec.description))
    graph.add((node, DCAT.endpointURL, URIRef(info.base_url + spec.endpoint)))
    graph.add((node, DCAT.endpointDescription, URIRef(info.base_url + spec.described_by)))
    if spec.conforms_to:
        graph.add((node, DCT.conformsTo, typed(graph, spec.conforms_to, DCT.Standard)))
    graph.add((node, FOAF.page, typed(graph, f"{info.base_url}/api/docs", FOAF.Document)))
    publisher = typed(graph, info.publisher_uri, FOAF.Agent, FOAF.Organization)
    localized(graph, publisher, FOAF.name, dict(info.publisher_name))
    graph.add((node, DCT.publisher, publisher))
    if licence := vocabulary("licence").get(info.license):
        graph.add((node, DCT.license, typed(graph, licence.uri, DCT.LicenseDocument)))
    if rights := concept(graph, "access-right", "PUBLIC", DCT.RightsStatement):
        graph.add((node, DCT.accessRights, rights))
    graph.add((node, DCAT.contactPoint, _contact(graph, info, profile)))
    if profile is Profile.DCAT_AP_ES and (sector := concept(graph, "sector", SERVICE_SECTOR)):
        graph.add((node, DCAT.theme, sector))
    return node


def _contact(graph: Triples, info: CatalogInfo, profile: Profile) -> URIRef:
    # The catalogue's publisher answers for its APIs; its card is a node of its own so that every
    # service shares it.
    card = URIRef(f"{info.base_url}/catalog#contact")
    graph.add((card, RDF.type, VCARD.Kind))
    graph.add((card, RDF.type, VCARD.Organization))
    name = info.publisher_name.get("es") or next(iter(info.publisher_name.values()), info.base_url)
    graph.add((card, VCARD.fn, Literal(name, lang="es" if profile is Profile.DCAT_AP_ES else None)))
    graph.add((card, VCARD.hasURL, URIRef(info.homepage)))
    return card


def mark_hvd(graph: Triples, node: URIRef, categories: Iterable[str]) -> None:
    """State that `node` (a dataset, distribution or service) is part of a High-Value Dataset of these
    categories; nothing when there are none."""
    codes = list(categories)
    if not codes:
        return
    legislation = typed(graph, HVD_LEGISLATION, ELI.LegalResource)
    graph.add((node, DCATAP.applicableLegislation, legislation))
    for code in codes:
        if category := concept(graph, "hvd-category", code):
            graph.add((node, DCATAP.hvdCategory, category))
