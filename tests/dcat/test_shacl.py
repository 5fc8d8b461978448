"""The whole demo catalogue validates against the official DCAT-AP 3.0.1 and DCAT-AP-ES 1.0.0 shapes."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from rdflib import Graph

from obert.dcat.terms import DCT
from tests.dcat.shacl import violations


@pytest.mark.parametrize("profile", ["dcat-ap", "dcat-ap-es"])
def test_demo_catalogue_has_no_violations(demo_client: TestClient, profile: str) -> None:
    response = demo_client.get(f"/catalog.ttl?profile={profile}")
    assert response.status_code == 200
    graph = Graph().parse(data=response.text, format="turtle")
    assert violations(graph, profile) == []


def test_a_dataset_without_description_is_caught(demo_client: TestClient) -> None:
    """The shapes do catch mistakes: the check above is not vacuous."""
    graph = Graph().parse(data=demo_client.get("/dataset/bicing-estacions.ttl").text, format="turtle")
    graph.remove((None, DCT.description, None))
    found = violations(graph, "dcat-ap")
    assert found and all("description" in v for v in found)
