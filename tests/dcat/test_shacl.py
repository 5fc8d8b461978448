"""The whole demo catalogue validates against the official DCAT-AP 3.0.1 and DCAT-AP-ES 1.0.0 shapes, its
data services and its High-Value Datasets included."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from rdflib import RDF, Graph, URIRef

from obert.app import create_app
from obert.dcat.services import HVD_LEGISLATION, OGC_API_BASE
from obert.dcat.terms import CROISSANT, DCAT, DCATAP, DCT, FOAF, TABULAR_DATA_PACKAGE
from obert.demo import catalog_settings
from obert.portal import build_portal
from obert.settings import Settings
from tests.dcat.shacl import violations
from tests.demo_copy import DemoTemplates

MOBILITY = URIRef("http://data.europa.eu/bna/c_b79e35eb")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, demo_templates: DemoTemplates) -> Iterator[TestClient]:
    """The demo, loaded once for the module: every test here only reads it."""
    settings = Settings(
        mode="test",
        data_dir=tmp_path_factory.mktemp("shacl") / "data",
        base_url="http://testserver",
        **catalog_settings(),
    )
    demo_templates.install(settings)
    portal = build_portal(settings)
    yield TestClient(create_app(settings, portal=portal))
    portal.close()


def _graph(client: TestClient, path: str) -> Graph:
    response = client.get(path)
    assert response.status_code == 200, response.text
    return Graph().parse(data=response.text, format="turtle")


@pytest.mark.parametrize("profile", ["dcat-ap", "dcat-ap-es"])
def test_demo_catalogue_has_no_violations(demo: TestClient, profile: str) -> None:
    graph = _graph(demo, f"/catalog.ttl?profile={profile}")
    assert set(graph.subjects(RDF.type, DCAT.DataService))  # the data services are in what is checked
    assert violations(graph, profile) == []


def test_a_dataset_without_description_is_caught(demo: TestClient) -> None:
    """The shapes do catch mistakes: the check above is not vacuous."""
    graph = _graph(demo, "/dataset/bicing-estacions.ttl")
    graph.remove((None, DCT.description, None))
    found = violations(graph, "dcat-ap")
    assert found and all("description" in v for v in found)


def test_distributions_reach_their_table_through_data_services(demo: TestClient) -> None:
    graph = _graph(demo, "/dataset/bicing-estacions.ttl")
    dataset = next(graph.subjects(RDF.type, DCAT.Dataset))
    services = {
        s for d in graph.objects(dataset, DCAT.distribution) for s in graph.objects(d, DCAT.accessService)
    }
    endpoints = {str(graph.value(s, DCAT.endpointURL)) for s in services}
    assert endpoints == {
        "http://testserver/api/v1/datastore",
        "http://testserver/api/v1/datastore/sql",
        f"http://testserver{OGC_API_BASE}",  # the stations have positions
    }
    for service in services:
        assert (service, DCAT.servesDataset, dataset) in graph
        assert graph.value(service, DCAT.endpointDescription) is not None
    ogc = next(s for s in services if str(graph.value(s, DCAT.endpointURL)).endswith(OGC_API_BASE))
    assert graph.value(ogc, DCT.conformsTo) is not None


@pytest.mark.parametrize("profile", ["dcat-ap", "dcat-ap-es"])
def test_a_high_value_dataset_passes_the_hvd_shapes(demo: TestClient, profile: str) -> None:
    graph = _graph(demo, f"/dataset/bicing-estacions.ttl?profile={profile}")
    dataset = next(graph.subjects(RDF.type, DCAT.Dataset))
    marked = [
        dataset,
        *graph.objects(dataset, DCAT.distribution),
        *graph.subjects(RDF.type, DCAT.DataService),
    ]
    for node in marked:
        assert (node, DCATAP.hvdCategory, MOBILITY) in graph, node
        assert (node, DCATAP.applicableLegislation, URIRef(HVD_LEGISLATION)) in graph, node
    shapes = "dcat-ap-es-hvd" if profile == "dcat-ap-es" else profile
    assert violations(graph, shapes) == []


def test_the_hvd_shapes_catch_a_missing_category(demo: TestClient) -> None:
    graph = _graph(demo, "/dataset/bicing-estacions.ttl?profile=dcat-ap-es")
    graph.remove((None, DCATAP.hvdCategory, None))
    found = violations(graph, "dcat-ap-es-hvd")
    assert found and all("hvdCategory" in v for v in found)


def test_a_dataset_that_is_not_high_value_says_nothing_of_it(demo: TestClient) -> None:
    graph = _graph(demo, "/dataset/pad-dimensions.ttl")
    assert not set(graph.triples((None, DCATAP.hvdCategory, None)))


@pytest.mark.parametrize("profile", ["dcat-ap", "dcat-ap-es"])
def test_only_distributions_have_a_format(demo: TestClient, profile: str) -> None:
    """The Data Package and Croissant pages say which standard they follow; a format is a distribution's
    alone, so counting formats counts distributions (the SPARQL page's example relies on it)."""
    graph = _graph(demo, f"/catalog.ttl?profile={profile}")
    with_format = set(graph.subjects(DCT["format"], None))
    assert with_format and with_format == set(graph.subjects(RDF.type, DCAT.Distribution))
    expected = {"datapackage.json": URIRef(TABULAR_DATA_PACKAGE), "croissant.json": URIRef(CROISSANT)}
    datasets = set(graph.subjects(RDF.type, DCAT.Dataset))
    pages = {page for dataset in datasets for page in graph.objects(dataset, FOAF.page)}
    assert len(pages) == 2 * len(datasets)  # every demo dataset has resources to describe
    for page in pages:
        assert set(graph.objects(page, DCT.conformsTo)) == {expected[str(page).rsplit("/", 1)[1]]}
    assert (URIRef(CROISSANT), RDF.type, DCT.Standard) in graph
