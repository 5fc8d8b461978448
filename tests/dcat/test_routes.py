"""The DCAT routes: serialisations, paging, profiles and content negotiation on the dataset page."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from rdflib import RDF, Graph, Literal, URIRef

from obert.auth import SYSTEM
from obert.catalog import datasets
from obert.catalog.common import validated
from obert.catalog.models import DatasetInput, OrganizationInput
from obert.catalog.organizations import create_organization
from obert.dcat.catalog import SECTOR_TAXONOMY
from obert.dcat.terms import DCAT, DCT, DQV, FOAF, HYDRA, PV
from obert.portal import Portal
from obert.storage.tables.catalog import organizations
from tests.conftest import dataset_payload

BARCELONA = URIRef("http://datos.gob.es/recurso/sector-publico/org/Organismo/L01080193")


@pytest.mark.parametrize(
    ("suffix", "media_type", "rdflib_format"),
    [
        ("ttl", "text/turtle", "turtle"),
        ("rdf", "application/rdf+xml", "xml"),
        ("jsonld", "application/ld+json", "json-ld"),
    ],
)
def test_catalogue_in_every_serialisation(
    demo_client: TestClient, suffix: str, media_type: str, rdflib_format: str
) -> None:
    response = demo_client.get(f"/catalog.{suffix}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media_type)
    graph = Graph().parse(data=response.text, format=rdflib_format)
    catalog = URIRef("http://testserver/catalog")
    assert (catalog, RDF.type, DCAT.Catalog) in graph
    assert len(list(graph.objects(catalog, DCAT.dataset))) == 10
    assert (catalog, DCT.publisher, BARCELONA) in graph
    assert Literal("Barcelona open data (demo)", lang="en") in set(graph.objects(catalog, DCT.title))


def test_dataset_serialisations_and_negotiation(demo_client: TestClient) -> None:
    turtle = demo_client.get("/dataset/accidents-gu-bcn.ttl")
    assert turtle.status_code == 200 and turtle.headers["content-type"].startswith("text/turtle")
    negotiated = demo_client.get("/dataset/accidents-gu-bcn", headers={"Accept": "text/turtle"})
    assert negotiated.status_code == 200 and negotiated.headers["content-type"].startswith("text/turtle")
    assert (
        Graph()
        .parse(data=negotiated.text, format="turtle")
        .isomorphic(Graph().parse(data=turtle.text, format="turtle"))
    )
    jsonld = demo_client.get("/dataset/accidents-gu-bcn", headers={"Accept": "application/ld+json"})
    assert jsonld.headers["content-type"].startswith("application/ld+json")
    rdfxml = demo_client.get("/dataset/accidents-gu-bcn", headers={"Accept": "application/rdf+xml;q=0.9"})
    assert rdfxml.headers["content-type"].startswith("application/rdf+xml")


@pytest.mark.parametrize(
    "accept",
    ["text/html,application/xhtml+xml,*/*;q=0.8", "*/*", "", "text/html;q=0.9,text/turtle;q=0.5"],
)
def test_browsers_still_get_the_page(demo_client: TestClient, accept: str) -> None:
    response = demo_client.get("/dataset/accidents-gu-bcn", headers={"Accept": accept})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert "Accept" in [v.strip() for v in response.headers["vary"].split(",")]  # caches keep both apart
    assert "Accidents gestionats" in response.text or "Accidents handled" in response.text


def test_dataset_graph_content(demo_client: TestClient) -> None:
    graph = Graph().parse(data=demo_client.get("/dataset/accidents-gu-bcn.ttl").text, format="turtle")
    dataset = next(graph.subjects(RDF.type, DCAT.Dataset))
    assert len(list(graph.objects(dataset, DCAT.distribution))) == 3
    assert (
        URIRef("http://publications.europa.eu/resource/authority/data-theme/TRAN"),
        RDF.type,
        None,
    ) in graph
    for dist in graph.objects(dataset, DCAT.distribution):
        assert str(graph.value(dist, DCAT.downloadURL)).startswith(
            "http://testserver/dataset/accidents-gu-bcn/"
        )
        assert graph.value(dist, DCAT.byteSize) is not None
    measured = {
        graph.value(m, DQV.isMeasurementOf): graph.value(m, DQV.value).toPython()
        for m in graph.objects(dataset, DQV.hasQualityMeasurement)
    }
    assert measured[PV.keywordAvailability] is True and measured[PV.score] > 0


def test_missing_and_private_datasets_are_404(demo_client: TestClient) -> None:
    assert demo_client.get("/dataset/no-such-thing.ttl").status_code == 404
    assert demo_client.get("/dataset/accidents-gu-bcn.xlsx").status_code == 404


def test_profiles(demo_client: TestClient) -> None:
    default = Graph().parse(data=demo_client.get("/catalog.ttl").text, format="turtle")
    spanish = demo_client.get("/catalog.ttl?profile=dcat-ap-es")
    assert spanish.headers["content-profile"] == "<https://datosgobes.github.io/DCAT-AP-ES/>"
    es = Graph().parse(data=spanish.text, format="turtle")
    catalog = URIRef("http://testserver/catalog")
    assert (catalog, DCAT.themeTaxonomy, URIRef(SECTOR_TAXONOMY)) in es
    sector = URIRef("http://datos.gob.es/kos/sector-publico/sector/transporte")
    assert (None, DCAT.theme, sector) in es and (None, DCAT.theme, sector) not in default
    for dataset in es.subjects(RDF.type, DCAT.Dataset):
        assert es.value(dataset, DCT.publisher) == BARCELONA  # DIR3 publisher for datos.gob.es
    for dataset in default.subjects(RDF.type, DCAT.Dataset):
        assert (default.value(dataset, DCT.publisher), RDF.type, FOAF.Agent) in default
    by_header = demo_client.get(
        "/catalog.ttl", headers={"Accept-Profile": "<https://datosgobes.github.io/DCAT-AP-ES/>"}
    )
    assert by_header.headers["content-profile"] == spanish.headers["content-profile"]
    bad = demo_client.get("/catalog.ttl?profile=dcat-ap-xx")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "profile"


def test_catalogue_paging(demo_client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    import obert.api.dcat as routes

    monkeypatch.setattr(routes, "CATALOG_PAGE_SIZE", 4)
    names: set[URIRef] = set()
    for page in (1, 2, 3):
        graph = Graph().parse(data=demo_client.get(f"/catalog.ttl?page={page}&profile=dcat-ap").text)
        datasets = set(graph.subjects(RDF.type, DCAT.Dataset))
        assert len(datasets) == (4 if page < 3 else 2)
        names |= datasets
        collection = next(graph.subjects(RDF.type, HYDRA.PagedCollection))
        assert graph.value(collection, HYDRA.totalItems).toPython() == 10
        assert str(graph.value(collection, HYDRA.lastPage)).endswith("page=3")
        assert (graph.value(collection, HYDRA.nextPage) is None) == (page == 3)
        assert "profile=dcat-ap" in str(graph.value(collection, HYDRA.firstPage))
    assert len(names) == 10
    assert demo_client.get("/catalog.ttl?page=0").json()["errors"][0]["field"] == "page"


def test_modified_since(demo_client: TestClient) -> None:
    everything = Graph().parse(data=demo_client.get("/catalog.ttl?modified_since=2000-01-01T00:00:00Z").text)
    assert len(set(everything.subjects(RDF.type, DCAT.Dataset))) == 10
    future = Graph().parse(data=demo_client.get("/catalog.ttl?modified_since=2999-01-01T00:00:00Z").text)
    assert not set(future.subjects(RDF.type, DCAT.Dataset))


def test_a_publisher_past_the_first_thousand_organisations_is_named(
    client: TestClient, portal: Portal
) -> None:
    # The graph used to know the first 1,000 organisations by name, and named no publisher after them.
    now = datetime.now(UTC)
    with portal.store.begin() as conn:
        conn.execute(
            organizations.insert(),
            [
                {
                    "id": f"org-{n:04}",
                    "name": f"a{n:04}",
                    "title": {"ca": f"A {n}"},
                    "description": {},
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(1000)
            ],
        )
    org = {
        "name": "zz-districte",
        "title": {"ca": "Districte de Sants-Montjuïc"},
        "email": "sants@example.org",
    }
    create_organization(store=portal.store, actor=SYSTEM, data=validated(OrganizationInput, org))
    payload = dataset_payload(name="sants", organization="zz-districte", resources=[])
    datasets.create_dataset(store=portal.store, actor=SYSTEM, data=validated(DatasetInput, payload))

    graph = Graph().parse(data=client.get("/dataset/sants.ttl").text, format="turtle")
    publisher = next(graph.objects(None, DCT.publisher))
    assert Literal("Districte de Sants-Montjuïc", lang="ca") in set(graph.objects(publisher, FOAF.name))
    assert URIRef("mailto:sants@example.org") in set(graph.objects(publisher, FOAF.mbox))
