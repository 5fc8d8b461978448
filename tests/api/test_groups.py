"""/api/v1/groups: site administrators write groups, a dataset's editors file it in them, everyone reads
them, and a private dataset is listed only to those who may see it."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from obert.auth import Role
from obert.auth.users import create_token, create_user, set_membership
from obert.portal import Portal
from tests.conftest import bearer, dataset_payload

GROUP = {"name": "mobilitat", "title": {"ca": "Mobilitat", "en": "Mobility"}}


def _editor(portal: Portal, org: dict[str, Any]) -> dict[str, str]:
    user = create_user(store=portal.store, name="editor", password="a long password")
    set_membership(store=portal.store, user_id=user.id, organization_id=org["id"], role=Role.EDITOR)
    return bearer(create_token(store=portal.store, user_ref="editor", name="t").secret)


def test_group_round_trip(client: TestClient, admin: dict[str, str]) -> None:
    created = client.post("/api/v1/groups", json=GROUP, headers=admin)
    assert created.status_code == 201 and created.json()["url"].endswith("/api/v1/groups/mobilitat")
    assert client.post("/api/v1/groups", json=GROUP, headers=admin).status_code == 409
    replaced = client.put(
        "/api/v1/groups/mobilitat", json={**GROUP, "image_url": "https://example.org/m.png"}, headers=admin
    )
    assert replaced.json()["image_url"] == "https://example.org/m.png"
    patched = client.patch("/api/v1/groups/mobilitat", json={"description": {"ca": "Carrers"}}, headers=admin)
    assert patched.json()["description"] == {"ca": "Carrers"} and patched.json()["title"] == GROUP["title"]
    assert [g["name"] for g in client.get("/api/v1/groups").json()["data"]] == ["mobilitat"]
    bad = client.patch("/api/v1/groups/mobilitat", json={"name": "No vàlid"}, headers=admin)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "name"
    assert client.delete("/api/v1/groups/mobilitat", headers=admin).status_code == 204
    assert client.get("/api/v1/groups/mobilitat").status_code == 404
    assert client.get("/api/v1/groups").json()["data"] == []


def test_editors_file_their_datasets_and_only_administrators_change_groups(
    client: TestClient, portal: Portal, admin: dict[str, str], org: dict[str, Any]
) -> None:
    editor = _editor(portal, org)
    assert client.post("/api/v1/groups", json=GROUP, headers=editor).status_code == 403
    assert client.post("/api/v1/groups", json=GROUP).status_code == 401
    client.post("/api/v1/groups", json=GROUP, headers=admin)
    assert (
        client.patch("/api/v1/groups/mobilitat", json={"title": {"ca": "X"}}, headers=editor).status_code
        == 403
    )
    public = client.post("/api/v1/datasets", json=dataset_payload(), headers=editor).json()
    hidden = client.post(
        "/api/v1/datasets", json=dataset_payload(name="amagat", visibility="private"), headers=editor
    ).json()
    for dataset in (public, hidden):
        assert (
            client.put(f"/api/v1/groups/mobilitat/datasets/{dataset['name']}", headers=editor).status_code
            == 204
        )
    assert client.get("/api/v1/groups/mobilitat/datasets").json() == [public["id"]]
    assert set(client.get("/api/v1/groups/mobilitat/datasets", headers=editor).json()) == {
        public["id"],
        hidden["id"],
    }
    assert client.get("/api/v1/groups/mobilitat").json()["dataset_count"] == 1  # public datasets only
    assert client.put("/api/v1/groups/mobilitat/datasets/no-such", headers=editor).status_code == 404
    assert client.delete("/api/v1/groups/mobilitat/datasets/amagat", headers=editor).status_code == 204
    assert client.get("/api/v1/groups/mobilitat/datasets", headers=editor).json() == [public["id"]]
    audit = client.get("/api/v1/audit", params={"object_type": "group"}, headers=admin).json()["data"]
    assert {e["action"] for e in audit} >= {"create", "add-dataset", "remove-dataset"}
