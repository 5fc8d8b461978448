"""SPARQLWrapper, a real SPARQL client, runs the query page's examples against a live obert; pyshacl
checks that the graph it reads is valid DCAT-AP; plain HTTP checks the protocol's refusals."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import httpx
import pytest
from rdflib import RDF, Graph
from SPARQLWrapper import CSV, JSON, JSONLD, POST, POSTDIRECTLY, TURTLE, XML, SPARQLWrapper

from obert.auth import SYSTEM
from obert.catalog import datasets
from obert.catalog.models import DatasetInput
from obert.dcat.services import HVD_LEGISLATION
from obert.dcat.terms import CROISSANT, DCAT, DCATAP, TABULAR_DATA_PACKAGE
from obert.sparql import EXAMPLES
from obert.sparql.examples import BY_KEY, PREFIXES
from tests.conftest import dataset_payload
from tests.dcat.shacl import violations
from tests.sparql.conftest import Server

DEMO = json.loads((Path(__file__).parents[2] / "obert" / "demo" / "catalog.json").read_text())
THEME = "http://publications.europa.eu/resource/authority/data-theme/"
FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"


def _client(server: Server, key: str, fmt: str) -> SPARQLWrapper:
    client = SPARQLWrapper(server.endpoint)
    client.setQuery(BY_KEY[key].query)
    client.setReturnFormat(fmt)
    return client


def test_datasets_per_theme_in_json(server: Server) -> None:
    bindings = _client(server, "datasets-per-theme", JSON).queryAndConvert()["results"]["bindings"]
    found = {b["theme"]["value"].removeprefix(THEME): int(b["datasets"]["value"]) for b in bindings}
    expected = Counter(theme for dataset in DEMO["datasets"] for theme in dataset["themes"])
    assert found == dict(expected)


def test_distributions_per_format_in_csv_and_xml(server: Server) -> None:
    expected = Counter(r["format"] for d in DEMO["datasets"] for r in d["resources"])
    text = _client(server, "distributions-per-format", CSV).queryAndConvert().decode()
    lines = text.strip().splitlines()
    assert lines[0].strip() == "format,distributions"
    by_csv = {row.split(",")[0].removeprefix(FILE_TYPE): int(row.split(",")[1]) for row in lines[1:]}
    assert by_csv == dict(expected)
    document = _client(server, "distributions-per-format", XML).queryAndConvert()  # a DOM
    values = [node.firstChild.data for node in document.getElementsByTagName("literal")]
    assert sorted(int(v) for v in values) == sorted(expected.values())


def test_the_per_format_example_counts_distributions_and_nothing_else(server: Server) -> None:
    """Its one pattern counts what the same pattern joined to the type dcat:Distribution counts: in the
    graph only distributions have a format (the Data Package and Croissant pages have a dct:conformsTo)."""
    typed = BY_KEY["distributions-per-format"].query.replace(
        "?distribution dct:format", "?distribution a dcat:Distribution ; dct:format"
    )
    assert typed != BY_KEY["distributions-per-format"].query

    def counts(query: str) -> dict[str, int]:
        client = SPARQLWrapper(server.endpoint)
        client.setQuery(query)
        client.setReturnFormat(JSON)
        rows = client.queryAndConvert()["results"]["bindings"]
        return {b["format"]["value"]: int(b["distributions"]["value"]) for b in rows}

    assert counts(BY_KEY["distributions-per-format"].query) == counts(typed)
    pages = f"""{PREFIXES}SELECT ?standard (COUNT(?page) AS ?pages)
WHERE {{ ?dataset foaf:page ?page . ?page dct:conformsTo ?standard }} GROUP BY ?standard"""
    client = SPARQLWrapper(server.endpoint)
    client.setQuery(pages)
    client.setReturnFormat(JSON)
    found = {
        b["standard"]["value"]: int(b["pages"]["value"])
        for b in client.queryAndConvert()["results"]["bindings"]
    }
    with_resources = sum(1 for d in DEMO["datasets"] if d["resources"])
    assert found == {TABULAR_DATA_PACKAGE: with_resources, CROISSANT: with_resources}


@pytest.mark.parametrize("example", [e.key for e in EXAMPLES if "CONSTRUCT" not in e.query])
def test_every_select_example_answers(server: Server, example: str) -> None:
    result = _client(server, example, JSON).queryAndConvert()
    assert result["results"]["bindings"], example


def test_construct_in_turtle_and_json_ld_by_post(server: Server) -> None:
    client = _client(server, "describe-a-dataset", TURTLE)
    client.setMethod(POST)
    turtle = client.queryAndConvert()
    graph = Graph().parse(data=turtle, format="turtle")
    dataset = next(iter(graph.subjects()))
    assert str(dataset).startswith(f"{server.url}/dataset/")
    client = _client(server, "describe-a-dataset", JSONLD)
    client.setMethod(POST)
    client.setRequestMethod(POSTDIRECTLY)  # the query itself as application/sparql-query
    assert len(client.queryAndConvert()) == len(graph)


def test_the_graph_is_valid_dcat_ap(server: Server) -> None:
    """pyshacl with the official DCAT-AP 3.0.1 shapes over what a CONSTRUCT of the whole graph gives."""
    response = httpx.get(
        server.endpoint,
        params={"query": "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "format": "turtle"},
        timeout=30,
    )
    assert response.status_code == 200
    assert "obert-results-truncated" not in response.headers
    graph = Graph().parse(data=response.text, format="turtle")
    assert violations(graph, "dcat-ap") == []


def _refusal(server: Server, query: str, **kwargs: object) -> httpx.Response:
    response = httpx.get(server.endpoint, params={"query": query}, timeout=30, **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return response


def test_refusals_in_the_protocols_form(server: Server) -> None:
    assert "read-only" in _refusal(server, "INSERT DATA { <urn:a> <urn:b> <urn:c> }").text
    assert "SERVICE" in _refusal(server, "SELECT * { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }").text
    assert "1:19" in _refusal(server, "SELECT * { ?s ?p }").text  # the parser's own message, with where
    runaway = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    assert "time budget of 5 s" in _refusal(server, runaway).text
    update = httpx.post(
        server.endpoint,
        content="DELETE WHERE { ?s ?p ?o }",
        headers={"content-type": "application/sparql-update"},
        timeout=30,
    )
    assert update.status_code == 400 and "read-only" in update.text


def test_answers_are_capped(server: Server) -> None:
    response = httpx.get(
        server.endpoint,
        params={"query": "SELECT * { ?s ?p ?o . ?a ?b ?c } LIMIT 100000", "format": "json"},
        timeout=30,
    )
    assert response.status_code == 200
    assert len(response.json()["results"]["bindings"]) == 5000
    assert response.headers["obert-results-truncated"] == "true"


@pytest.mark.parametrize(
    ("lang", "heading", "example"),
    [
        ("ca", "Consultes SPARQL", "Conjunts de dades per tema"),
        ("es", "Consultas SPARQL", "Distribuciones por formato"),
        ("en", "SPARQL queries", "Datasets per theme"),
    ],
)
def test_the_query_page_in_each_language(server: Server, lang: str, heading: str, example: str) -> None:
    page = httpx.get(
        f"{server.url}/{lang}/sparql/editor", params={"query": BY_KEY["datasets-per-theme"].query}
    )
    assert page.status_code == 200
    assert heading in page.text and example in page.text
    assert f"{THEME}TRAN" in page.text  # the answer, as a table


def test_a_browser_at_the_endpoint_is_sent_to_the_page(server: Server) -> None:
    response = httpx.get(server.endpoint, headers={"Accept": "text/html"})
    assert response.status_code == 303 and response.headers["location"].endswith("/sparql/editor")
    bad = httpx.get(f"{server.url}/en/sparql/editor", params={"query": "SELECT * { ?s ?p }"})
    assert bad.status_code == 400 and "malformed query" in bad.text


def test_an_answer_follows_a_catalogue_change(server: Server) -> None:
    """Answers are reused while the graph stands still, and not a moment longer."""
    query = "SELECT (COUNT(?d) AS ?n) { ?d a <http://www.w3.org/ns/dcat#Dataset> }"

    def count() -> int:
        response = httpx.get(server.endpoint, params={"query": query, "format": "json"}, timeout=30)
        return int(response.json()["results"]["bindings"][0]["n"]["value"])

    before = count()
    assert count() == before
    payload = dataset_payload(name="added-while-serving", organization=None, themes=[], sectors=[])
    made = datasets.create_dataset(
        store=server.portal.store, actor=SYSTEM, data=DatasetInput.model_validate(payload)
    )
    assert count() == before + 1
    datasets.delete_dataset(store=server.portal.store, actor=SYSTEM, ref=made.id)
    assert count() == before


def _service_marks(server: Server) -> list[tuple[str, str]]:
    query = (
        "SELECT ?service ?category { ?service a <http://www.w3.org/ns/dcat#DataService> ; "
        "<http://data.europa.eu/r5r/hvdCategory> ?category }"
    )
    response = httpx.get(server.endpoint, params={"query": query, "format": "json"}, timeout=30)
    bindings = response.json()["results"]["bindings"]
    return sorted((b["service"]["value"], b["category"]["value"]) for b in bindings)


def test_services_carry_the_hvd_marks_of_the_datasets_they_serve(server: Server) -> None:
    """As each dataset's DCAT document states them, and each once however many datasets say so."""
    stated: set[tuple[str, str]] = set()
    for dataset in DEMO["datasets"]:
        document = Graph().parse(data=httpx.get(f"{server.url}/dataset/{dataset['name']}.ttl").text)
        for service in document.subjects(RDF.type, DCAT.DataService):
            stated |= {(str(service), str(c)) for c in document.objects(service, DCATAP.hvdCategory)}
    assert len({category for _, category in stated}) == 2  # the demo's two High-Value Datasets
    assert _service_marks(server) == sorted(stated)
    for service in {s for s, _ in stated}:
        ask = f"ASK {{ <{service}> <{DCATAP.applicableLegislation}> <{HVD_LEGISLATION}> }}"
        answer = httpx.get(server.endpoint, params={"query": ask, "format": "json"}, timeout=30).json()
        assert answer["boolean"], service

    air = "qualitat-aire-detall-bcn"
    categories = next(d["hvd_categories"] for d in DEMO["datasets"] if d["name"] == air)
    store = server.portal.store
    datasets.patch_dataset(store=store, actor=SYSTEM, ref=air, patch={"hvd_categories": []})
    try:
        left = _service_marks(server)
        assert left and not any(c.endswith(categories[0]) for _, c in left)
    finally:
        datasets.patch_dataset(store=store, actor=SYSTEM, ref=air, patch={"hvd_categories": categories})
    assert _service_marks(server) == sorted(stated)
