from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from obert.auth.users import create_token, create_user
from obert.portal import Portal
from tests.conftest import bearer, dataset_payload, organization_payload


def test_organization_round_trip_and_counts(
    client: TestClient, admin: dict[str, str], org: dict[str, Any]
) -> None:
    fetched = client.get("/api/v1/organizations/guardia-urbana").json()
    for key, value in organization_payload().items():
        assert fetched[key] == value, key
    assert fetched["dataset_count"] == 0
    client.post("/api/v1/datasets", json=dataset_payload(), headers=admin)
    client.post("/api/v1/datasets", json=dataset_payload(name="hidden", visibility="private"), headers=admin)
    assert client.get(f"/api/v1/organizations/{org['id']}").json()["dataset_count"] == 1


def test_list_patch_and_delete(client: TestClient, admin: dict[str, str], org: dict[str, Any]) -> None:
    second = organization_payload(name="salut-publica", title={"ca": "Agència de Salut Pública"})
    assert client.post("/api/v1/organizations", json=second, headers=admin).status_code == 201
    listing = client.get("/api/v1/organizations", params={"limit": 1}).json()
    assert listing["count"] == 2 and listing["next"]
    assert client.get("/api/v1/organizations", params={"cursor": listing["next"]}).json()["data"][0][
        "name"
    ] == ("salut-publica")
    patched = client.patch("/api/v1/organizations/salut-publica", json={"email": None}, headers=admin).json()
    assert patched["email"] is None and patched["homepage"] == second["homepage"]
    assert client.delete("/api/v1/organizations/salut-publica", headers=admin).status_code == 204
    assert client.get("/api/v1/organizations/salut-publica").status_code == 404


def test_an_organization_with_datasets_cannot_be_deleted(
    client: TestClient, admin: dict[str, str], org: dict[str, Any]
) -> None:
    client.post("/api/v1/datasets", json=dataset_payload(), headers=admin)
    response = client.delete("/api/v1/organizations/guardia-urbana", headers=admin)
    assert response.status_code == 409
    assert "1 dataset" in response.json()["error"]


def test_duplicate_and_invalid(client: TestClient, admin: dict[str, str], org: dict[str, Any]) -> None:
    assert client.post("/api/v1/organizations", json=organization_payload(), headers=admin).status_code == 409
    bad = client.post("/api/v1/organizations", json={"name": "x", "title": {"xx-bad!": "t"}}, headers=admin)
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"name", "title"}


def test_only_site_admins_create_organizations_and_editors_publish(
    client: TestClient, portal: Portal, org: dict[str, Any]
) -> None:
    from obert.auth import Role
    from obert.auth.users import set_membership

    editor = create_user(store=portal.store, name="editor", password="a long password")
    outsider = create_user(store=portal.store, name="outsider", password="a long password")
    set_membership(store=portal.store, user_id=editor.id, organization_id=org["id"], role=Role.EDITOR)
    editor_h = bearer(create_token(store=portal.store, user_ref="editor", name="t").secret)
    outsider_h = bearer(create_token(store=portal.store, user_ref="outsider", name="t").secret)
    assert outsider.id
    new_org = organization_payload(name="other")
    assert client.post("/api/v1/organizations", json=new_org, headers=editor_h).status_code == 403
    assert client.post("/api/v1/datasets", json=dataset_payload(), headers=outsider_h).status_code == 403
    created = client.post("/api/v1/datasets", json=dataset_payload(visibility="private"), headers=editor_h)
    assert created.status_code == 201
    # Members see their organisation's private datasets; others do not.
    assert client.get("/api/v1/datasets/accidents-2018", headers=editor_h).status_code == 200
    assert client.get("/api/v1/datasets/accidents-2018", headers=outsider_h).status_code == 404
    assert client.patch(
        "/api/v1/datasets/accidents-2018", json={"version": "2"}, headers=outsider_h
    ).status_code == (404)
