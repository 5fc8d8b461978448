from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from obert.portal import Portal
from obert.storage.tables.catalog import activity, api_tokens
from tests.security.fast_hash import fast_password_hashing
from tests.security.world import World

__all__ = ["fast_password_hashing"]


def test_a_token_is_shown_once_and_only_its_hash_is_kept(world: World, portal: Portal) -> None:
    headers = world.headers["editor"]
    created = world.client.post(
        "/api/v1/tokens", json={"name": "harvester", "scope": "read", "expires_in_days": 30}, headers=headers
    )
    assert created.status_code == 201
    body = created.json()
    assert body["secret"].startswith("obert_") and body["scope"] == "read" and body["expires_at"]
    listed = world.client.get("/api/v1/tokens", headers=headers).json()
    assert {t["name"] for t in listed} == {"token-of-editor", "harvester"}
    assert all("secret" not in t for t in listed)
    with portal.store.read() as conn:
        hashes = conn.execute(sa.select(api_tokens.c.token_hash)).scalars().all()
        audit = conn.execute(sa.select(activity).where(activity.c.action == "token-create")).all()
    assert body["secret"] not in hashes
    assert all(body["secret"] not in str(row.after) for row in audit)
    read_only = {"Authorization": f"Bearer {body['secret']}"}
    assert world.client.post("/api/v1/tokens", json={"name": "wider"}, headers=read_only).status_code == 403


def test_token_input_is_checked(world: World) -> None:
    bad = world.client.post(
        "/api/v1/tokens",
        json={"name": "", "scope": "admin", "expires_in_days": 0},
        headers=world.headers["editor"],
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"name", "scope", "expires_in_days"}


def test_nobody_revokes_someone_elses_token_but_a_site_admin(world: World) -> None:
    target = world.token_ids["member"]
    assert (
        world.client.delete(f"/api/v1/tokens/{target}", headers=world.headers["org_admin"]).status_code == 404
    )
    assert (
        world.client.delete(f"/api/v1/tokens/{target}", headers=world.headers["site_admin"]).status_code
        == 204
    )
    assert world.client.get("/api/v1/tokens", headers=world.headers["member"]).status_code == 401


def test_org_admins_manage_roles_and_the_change_takes_effect(world: World) -> None:
    admin = world.headers["org_admin"]
    url = "/api/v1/organizations/guardia-urbana/members"
    added = world.client.put(f"{url}/reader", json={"role": "member"}, headers=admin)
    assert added.json()["role"] == "member"
    # The reader's read-only token now sees the organisation's drafts.
    assert (
        world.client.get("/api/v1/datasets/ds-draft", headers=world.headers["read_token"]).status_code == 200
    )
    names = {m["name"]: m["role"] for m in world.client.get(url, headers=admin).json()}
    assert names == {"org-admin": "admin", "editor": "editor", "member": "member", "reader": "member"}
    assert world.client.delete(f"{url}/reader", headers=admin).status_code == 204
    assert (
        world.client.get("/api/v1/datasets/ds-draft", headers=world.headers["read_token"]).status_code == 404
    )
    unknown = world.client.put(f"{url}/nobody", json={"role": "member"}, headers=admin)
    assert unknown.status_code == 404
    bad_role = world.client.put(f"{url}/reader", json={"role": "owner"}, headers=admin)
    assert bad_role.status_code == 422


def test_the_last_admin_cannot_leave(world: World) -> None:
    url = "/api/v1/organizations/guardia-urbana/members/org-admin"
    response = world.client.put(url, json={"role": "editor"}, headers=world.headers["org_admin"])
    assert response.status_code == 409
    assert world.client.delete(url, headers=world.headers["site_admin"]).status_code == 409


def test_site_admins_grant_the_site_admin_flag(world: World) -> None:
    admin = world.headers["site_admin"]
    granted = world.client.patch("/api/v1/users/editor", json={"sysadmin": True}, headers=admin)
    assert granted.json()["sysadmin"] is True
    assert world.client.get("/api/v1/datasets/ds-b-draft", headers=world.headers["editor"]).status_code == 200
    own = world.client.patch("/api/v1/users/site-admin", json={"sysadmin": False}, headers=admin)
    assert own.status_code == 409
    users: list[dict[str, Any]] = world.client.get("/api/v1/users", headers=admin).json()
    assert all("password" not in str(u) for u in users)


def test_every_account_write_lands_in_the_audit_log(world: World, portal: Portal) -> None:
    world.client.put(
        "/api/v1/organizations/guardia-urbana/members/reader",
        json={"role": "editor"},
        headers=world.headers["org_admin"],
    )
    world.client.post("/api/v1/tokens", json={"name": "x"}, headers=world.headers["editor"])
    world.client.patch("/api/v1/users/member", json={"sysadmin": True}, headers=world.headers["site_admin"])
    world.client.post(
        "/api/v1/datasets/ds-draft/transitions", json={"action": "submit"}, headers=world.headers["editor"]
    )
    entries = world.client.get("/api/v1/audit?limit=1000", headers=world.headers["site_admin"]).json()["data"]
    actions = {(e["action"], e["actor_id"]) for e in entries}
    assert ("member-set", world.user_ids["org_admin"]) in actions
    assert ("token-create", world.user_ids["editor"]) in actions
    assert ("sysadmin-set", world.user_ids["site_admin"]) in actions
    assert ("submit", world.user_ids["editor"]) in actions


def test_audit_filters_paging_and_exports(world: World) -> None:
    admin = world.headers["site_admin"]
    editor_id = world.user_ids["editor"]
    world.client.post("/api/v1/tokens", json={"name": "x"}, headers=world.headers["editor"])
    mine = world.client.get(f"/api/v1/audit?actor={editor_id}", headers=admin).json()["data"]
    assert mine and all(e["actor_id"] == editor_id for e in mine)
    uploads = world.client.get("/api/v1/audit?action=upload&object_type=resource", headers=admin).json()[
        "data"
    ]
    assert len(uploads) == 5
    seen: list[int] = []
    cursor = None
    while True:
        query = "/api/v1/audit?limit=7" + (f"&cursor={cursor}" if cursor else "")
        page = world.client.get(query, headers=admin).json()
        seen += [e["id"] for e in page["data"]]
        cursor = page["next"]
        if not cursor:
            break
    assert seen == sorted(seen, reverse=True) and len(seen) == len(set(seen))
    future = world.client.get("/api/v1/audit?since=2999-01-01T00:00:00", headers=admin).json()["data"]
    assert future == []
    csv_text = world.client.get("/api/v1/audit/export.csv", headers=admin).text
    assert csv_text.splitlines()[0] == "id,at,actor_id,action,object_type,object_id,before,after"
    assert len(csv_text.splitlines()) == len(seen) + 1
    jsonl = world.client.get("/api/v1/audit/export.jsonl", headers=admin).text.splitlines()
    assert len(jsonl) == len(seen)
    assert world.client.get("/api/v1/audit?cursor=abc", headers=admin).status_code == 422
