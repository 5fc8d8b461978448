"""GET /api/v1/search and /api/v1/search/suggest."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from obert.portal import Portal
from tests.demo_copy import ensure_demo


@pytest.fixture
def demo_client(client: TestClient, portal: Portal) -> TestClient:
    ensure_demo(portal)
    return client


@pytest.mark.demo
def test_search_answers_datasets_count_facets_and_next(demo_client: TestClient) -> None:
    body = demo_client.get(
        "/api/v1/search", params={"q": "accidents", "facets": "theme,publisher", "limit": 1}
    ).json()
    assert body["count"] == 2
    assert body["data"][0]["name"] in {"accidents-gu-bcn", "accidents-tipus-gu-bcn"}
    assert body["data"][0]["url"].startswith("http://testserver/dataset/")  # as /api/v1/datasets
    assert set(body["facets"]) == {"theme", "publisher"}
    assert {"value": "guardia-urbana", "label": "Guàrdia Urbana de Barcelona", "count": 2} in body["facets"][
        "publisher"
    ]
    following = demo_client.get(body["next"]).json()
    assert following["count"] == 2 and following["next"] is None
    assert following["data"][0]["name"] != body["data"][0]["name"]


@pytest.mark.demo
def test_filters_repeat_for_alternatives(demo_client: TestClient) -> None:
    params: list[tuple[str, str]] = [("theme", "TRAN"), ("theme", "ENVI"), ("facets", "theme")]
    either = demo_client.get("/api/v1/search", params=params).json()
    assert either["count"] == 5  # 3 transport + 2 environment datasets, none both
    both = demo_client.get("/api/v1/search", params=[*params, ("publisher", "guardia-urbana")]).json()
    assert both["count"] == 2


@pytest.mark.demo
def test_labels_follow_lang(demo_client: TestClient) -> None:
    english = demo_client.get("/api/v1/search", params={"facets": "theme", "lang": "en"}).json()
    assert "Environment" in {v["label"] for v in english["facets"]["theme"]}
    catalan = demo_client.get("/api/v1/search", params={"facets": "theme", "lang": "ca"}).json()
    assert "Medi ambient" in {v["label"] for v in catalan["facets"]["theme"]}


@pytest.mark.demo
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"colour": "red"}, "colour"),
        ({"facets": "theme,colour"}, "facets"),
        ({"sort": "random"}, "sort"),
        ({"q": "aire " * 2100}, "q"),
        ({"offset": "50000"}, "offset"),
        ({"offset": "-1"}, "offset"),
        ({"limit": "many"}, "limit"),
    ],
)
def test_bad_parameters_get_a_422_naming_them(
    demo_client: TestClient, params: dict[str, str], field: str
) -> None:
    response = demo_client.get("/api/v1/search", params=params)
    assert response.status_code == 422
    body: dict[str, Any] = response.json()
    assert body["ok"] is False
    assert field in [e["field"] for e in body["errors"]]


@pytest.mark.demo
def test_odd_queries_are_just_words(demo_client: TestClient) -> None:
    for q in ['"aire', "aire*", "NEAR(aire)", "aire:", "-aire", "aire OR renda", "l'aire"]:
        response = demo_client.get("/api/v1/search", params={"q": q})
        assert response.status_code == 200, q
    beyond = demo_client.get("/api/v1/search", params={"offset": 9000}).json()
    assert beyond["data"] == [] and beyond["count"] == 10


def test_private_datasets_stay_out_of_anonymous_search(
    client: TestClient, admin: dict[str, str], org: dict[str, Any]
) -> None:
    payload = {
        "name": "radars",
        "title": {"ca": "Radars de velocitat"},
        "organization": "guardia-urbana",
        "visibility": "private",
    }
    assert client.post("/api/v1/datasets", json=payload, headers=admin).status_code == 201
    assert client.get("/api/v1/search", params={"q": "radars"}).json()["count"] == 0
    assert client.get("/api/v1/search", params={"q": "radars"}, headers=admin).json()["count"] == 1
    assert client.get("/api/v1/search/suggest", params={"q": "rada"}).json()["data"] == []


@pytest.mark.demo
def test_suggest(demo_client: TestClient) -> None:
    body = demo_client.get("/api/v1/search/suggest", params={"q": "qualitat ai", "lang": "ca"}).json()
    kinds = {s["kind"] for s in body["data"]}
    assert kinds == {"keyword", "dataset"}
    assert {"qualitat-aire-detall-bcn", "qualitat-aire-estacions-bcn"} <= {s["name"] for s in body["data"]}
    assert demo_client.get("/api/v1/search/suggest", params={"q": "x" * 5000}).status_code == 422
