"""A publisher marks a dataset as a High-Value Dataset by its EU categories, through the native API, and
its DCAT-AP says so as the HVD implementing regulation asks."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from rdflib import Graph, URIRef

from obert.dcat.services import HVD_LEGISLATION
from obert.dcat.terms import DCAT, DCATAP
from tests.conftest import dataset_payload
from tests.dcat.shacl import violations

METEO = "http://data.europa.eu/bna/c_164e0bf5"


def test_categories_in_and_out(client: TestClient, admin: dict[str, str], org: dict[str, Any]) -> None:
    notes = {"es": "Primera versión.", "en": "First version."}
    payload = dataset_payload(hvd_categories=["c_164e0bf5"], resources=[_resource()], version_notes=notes)
    created = client.post("/api/v1/datasets", json=payload, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json()["hvd_categories"] == ["c_164e0bf5"]
    # Its IRI is as good as its code.
    patched = client.patch(
        "/api/v1/datasets/accidents-2018",
        json={"hvd_categories": ["http://data.europa.eu/bna/c_b79e35eb", METEO]},
        headers={**admin, "Content-Type": "application/merge-patch+json"},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["hvd_categories"] == ["c_b79e35eb", "c_164e0bf5"]

    graph = Graph().parse(data=client.get("/dataset/accidents-2018.ttl?profile=dcat-ap-es").text)
    dataset = next(graph.subjects(DCAT.distribution, None))
    assert (dataset, DCATAP.hvdCategory, URIRef(METEO)) in graph
    for node in (dataset, *graph.objects(dataset, DCAT.distribution)):
        assert (node, DCATAP.applicableLegislation, URIRef(HVD_LEGISLATION)) in graph
    assert violations(graph, "dcat-ap-es-hvd") == []
    semic = Graph().parse(data=client.get("/dataset/accidents-2018.ttl").text)
    assert violations(semic, "dcat-ap") == []

    cleared = client.patch(
        "/api/v1/datasets/accidents-2018",
        json={"hvd_categories": []},
        headers={**admin, "Content-Type": "application/merge-patch+json"},
    )
    assert cleared.json()["hvd_categories"] == []


def test_an_unknown_category_is_refused_where_it_is(
    client: TestClient, admin: dict[str, str], org: dict[str, Any]
) -> None:
    response = client.post("/api/v1/datasets", json=dataset_payload(hvd_categories=["TRAN"]), headers=admin)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert any(e["field"].startswith("hvd_categories") and "high-value" in e["message"] for e in errors)


def _resource() -> dict[str, Any]:
    return {
        "name": "accidents-2018-csv",
        "title": {"ca": "Accidents 2018 (CSV)", "es": "Accidentes 2018 (CSV)", "en": "Accidents 2018 (CSV)"},
        "format": "CSV",
        "download_url": "https://opendata-ajuntament.barcelona.cat/data/accidents.csv",
    }
