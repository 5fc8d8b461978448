from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import dataset_payload

INPUT_FIELDS = set(dataset_payload()) - {"organization"}


def _create(client: TestClient, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    response = client.post("/api/v1/datasets", json=dataset_payload(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_every_catalogue_field_round_trips(
    client: TestClient, admin: dict[str, str], org: dict[str, Any]
) -> None:
    created = _create(client, admin)
    fetched = client.get(f"/api/v1/datasets/{created['id']}").json()
    by_name = client.get("/api/v1/datasets/accidents-2018").json()
    sent = dataset_payload()
    for field in INPUT_FIELDS:
        expected = sent[field]
        if field == "spatial":
            expected = {**expected, "bbox": list(expected["bbox"])}
        assert fetched[field] == expected, field
    assert fetched["organization"]["name"] == "guardia-urbana"
    assert fetched == by_name
    assert fetched["url"] == "http://testserver/dataset/accidents-2018"


def test_codes_are_normalised_from_iris_and_case(
    client: TestClient, admin: dict[str, str], org: dict[str, Any]
) -> None:
    created = _create(
        client,
        admin,
        themes=["http://publications.europa.eu/resource/authority/data-theme/TRAN", "envi"],
        license="http://publications.europa.eu/resource/authority/licence/CC_BY_4_0",
    )
    assert created["themes"] == ["TRAN", "ENVI"]
    assert created["license"] == "CC_BY_4_0"


def test_list_pages_with_a_cursor(client: TestClient, admin: dict[str, str], org: dict[str, Any]) -> None:
    for n in range(5):
        _create(client, admin, name=f"dataset-{n}")
    first = client.get("/api/v1/datasets", params={"limit": 2}).json()
    assert first["count"] == 5
    assert [d["name"] for d in first["data"]] == ["dataset-0", "dataset-1"]
    seen = [d["name"] for d in first["data"]]
    cursor = first["next"]
    while cursor:
        page = client.get("/api/v1/datasets", params={"limit": 2, "cursor": cursor}).json()
        seen += [d["name"] for d in page["data"]]
        cursor = page["next"]
    assert seen == [f"dataset-{n}" for n in range(5)]


def test_patch_is_a_merge_patch(client: TestClient, admin: dict[str, str], org: dict[str, Any]) -> None:
    _create(client, admin)
    response = client.patch(
        "/api/v1/datasets/accidents-2018",
        json={"title": {"es": None, "en": "Road accidents 2018"}, "version": None, "themes": ["TRAN"]},
        headers=admin,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["title"] == {"ca": "Accidents de trànsit 2018", "en": "Road accidents 2018"}
    assert body["version"] is None
    assert body["themes"] == ["TRAN"]
    assert body["keywords"] == dataset_payload()["keywords"]


def test_put_replaces_and_can_rename(client: TestClient, admin: dict[str, str], org: dict[str, Any]) -> None:
    created = _create(client, admin)
    minimal = {"name": "accidents-2018-v2", "title": {"en": "Accidents"}, "organization": "guardia-urbana"}
    response = client.put("/api/v1/datasets/accidents-2018", json=minimal, headers=admin)
    assert response.status_code == 200, response.text
    assert response.json()["id"] == created["id"]
    assert response.json()["keywords"] == {}
    assert client.get("/api/v1/datasets/accidents-2018").status_code == 404
    assert client.get("/api/v1/datasets/accidents-2018-v2").status_code == 200


def test_delete_is_soft_and_hides_the_dataset(
    client: TestClient, admin: dict[str, str], org: dict[str, Any]
) -> None:
    _create(client, admin)
    assert client.delete("/api/v1/datasets/accidents-2018", headers=admin).status_code == 204
    assert client.get("/api/v1/datasets/accidents-2018").status_code == 404
    assert client.get("/api/v1/datasets").json()["count"] == 0
    assert client.delete("/api/v1/datasets/accidents-2018", headers=admin).status_code == 404


def test_one_error_per_offending_field(
    client: TestClient, admin: dict[str, str], org: dict[str, Any]
) -> None:
    bad = dataset_payload(
        name="Not A Slug!",
        title={},
        themes=["NOPE"],
        license="my-own",
        temporal={"start": "2019-01-01", "end": "2018-01-01"},
        landing_page="ftp://example.org",
        contact_point={"email": "not-an-email"},
        colour="red",
    )
    response = client.post("/api/v1/datasets", json=bad, headers=admin)
    assert response.status_code == 422
    body = response.json()
    assert body["ok"] is False and body["status"] == 422
    fields = {e["field"] for e in body["errors"]}
    assert {
        "name",
        "title",
        "themes.0",
        "license",
        "temporal",
        "landing_page",
        "contact_point.email",
        "colour",
    } <= fields
    assert any("EU data theme" in e["message"] for e in body["errors"])


def test_duplicates_conflict(client: TestClient, admin: dict[str, str], org: dict[str, Any]) -> None:
    _create(client, admin)
    response = client.post("/api/v1/datasets", json=dataset_payload(), headers=admin)
    assert response.status_code == 409
    assert response.json()["errors"] == [{"field": "name", "message": "already taken"}]


def test_unknown_publisher_is_a_field_error(client: TestClient, admin: dict[str, str]) -> None:
    response = client.post("/api/v1/datasets", json=dataset_payload(organization="nobody"), headers=admin)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "organization"


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[]", b'"a string"', b"null", b'{"name": 12}', '{"name": "\u0000"}'.encode()],
)
def test_malformed_bodies_get_422_not_500(
    client: TestClient, admin: dict[str, str], org: dict[str, Any], body: bytes
) -> None:
    response = client.post(
        "/api/v1/datasets", content=body, headers={**admin, "Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert response.json()["ok"] is False


@pytest.mark.parametrize("body", [b"{not json", b"[1]", b"null"])
def test_malformed_patches_get_422(
    client: TestClient, admin: dict[str, str], org: dict[str, Any], body: bytes
) -> None:
    _create(client, admin)
    response = client.patch(
        "/api/v1/datasets/accidents-2018", content=body, headers={**admin, "Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text


def test_writes_need_a_valid_token(client: TestClient, admin: dict[str, str], org: dict[str, Any]) -> None:
    assert client.post("/api/v1/datasets", json=dataset_payload()).status_code == 401
    bad = client.post("/api/v1/datasets", json=dataset_payload(), headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    assert bad.headers["WWW-Authenticate"] == "Bearer"
    # CKAN clients send the bare token.
    bare = {"Authorization": admin["Authorization"].removeprefix("Bearer ")}
    assert client.post("/api/v1/datasets", json=dataset_payload(), headers=bare).status_code == 201


def test_private_and_draft_datasets_stay_hidden_from_the_public(
    client: TestClient, admin: dict[str, str], org: dict[str, Any]
) -> None:
    _create(client, admin, name="secret", visibility="private")
    _create(client, admin, name="unfinished", state="draft")
    _create(client, admin, name="open")
    assert [d["name"] for d in client.get("/api/v1/datasets").json()["data"]] == ["open"]
    assert client.get("/api/v1/datasets/secret").status_code == 404
    assert client.get("/api/v1/datasets/unfinished").status_code == 404
    assert client.get("/api/v1/datasets", headers=admin).json()["count"] == 3


def test_list_filters_by_organization(client: TestClient, admin: dict[str, str], org: dict[str, Any]) -> None:
    _create(client, admin)
    assert client.get("/api/v1/datasets", params={"organization": "guardia-urbana"}).json()["count"] == 1
    assert client.get("/api/v1/datasets", params={"organization": "nobody"}).status_code == 404


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 1001}, {"limit": "ten"}, {"cursor": "%%%"}])
def test_bad_paging_is_a_4xx(client: TestClient, params: dict[str, Any]) -> None:
    response = client.get("/api/v1/datasets", params=params)
    assert response.status_code == 422
