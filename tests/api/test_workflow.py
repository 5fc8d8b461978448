from __future__ import annotations

from dataclasses import replace

from fastapi.testclient import TestClient

from obert.app import create_app
from obert.catalog.workflow import WorkflowPolicy
from tests.conftest import dataset_payload
from tests.security.fast_hash import fast_password_hashing
from tests.security.world import World

__all__ = ["fast_password_hashing"]


def _move(world: World, role: str, ref: str, action: str, comment: str | None = None) -> object:
    return world.client.post(
        f"/api/v1/datasets/{ref}/transitions",
        json={"action": action, "comment": comment},
        headers=world.headers[role],
    )


def test_draft_to_review_to_published_records_who_did_what(world: World) -> None:
    submitted = _move(world, "editor", "ds-draft", "submit", "llest per revisar")
    assert submitted.status_code == 200 and submitted.json()["state"] == "review"
    approved = _move(world, "org_admin", "ds-draft", "approve", "correcte")
    assert approved.status_code == 200 and approved.json()["state"] == "published"
    assert world.client.get("/api/v1/datasets/ds-draft").status_code == 200  # now public
    history = world.client.get("/api/v1/datasets/ds-draft/transitions").json()
    assert [(h["action"], h["from_state"], h["to_state"], h["comment"]) for h in history] == [
        ("submit", "draft", "review", "llest per revisar"),
        ("approve", "review", "published", "correcte"),
    ]
    assert [h["actor_id"] for h in history] == [world.user_ids["editor"], world.user_ids["org_admin"]]


def test_editors_cannot_approve_and_rejections_need_a_reason(world: World) -> None:
    _move(world, "editor", "ds-draft", "submit")
    refused = _move(world, "editor", "ds-draft", "approve")
    assert refused.status_code == 403
    no_reason = _move(world, "org_admin", "ds-draft", "reject")
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "comment"
    rejected = _move(world, "org_admin", "ds-draft", "reject", "falta la llicència")
    assert rejected.json()["state"] == "draft"


def test_the_submitter_cannot_approve_their_own_dataset(world: World) -> None:
    _move(world, "org_admin", "ds-draft", "submit")
    own = _move(world, "org_admin", "ds-draft", "approve")
    assert own.status_code == 403 and "another administrator" in own.json()["error"]
    # Site administrators may, unless the site says otherwise.
    assert _move(world, "site_admin", "ds-draft", "approve").status_code == 200
    _move(world, "site_admin", "ds-b-draft", "submit")
    assert _move(world, "site_admin", "ds-b-draft", "approve").status_code == 200


def test_the_site_can_hold_site_admins_to_four_eyes_too(world: World) -> None:
    strict = replace(world.portal, workflow=WorkflowPolicy(sysadmin_may_approve_own=False))
    client = TestClient(create_app(world.portal.settings, portal=strict))
    headers = world.headers["site_admin"]
    client.post("/api/v1/datasets/ds-draft/transitions", json={"action": "submit"}, headers=headers)
    own = client.post("/api/v1/datasets/ds-draft/transitions", json={"action": "approve"}, headers=headers)
    assert own.status_code == 403


def test_transitions_from_the_wrong_state_conflict(world: World) -> None:
    response = _move(world, "org_admin", "ds-draft", "approve")
    assert response.status_code == 409 and "only from review" in response.json()["error"]
    assert _move(world, "editor", "ds-public", "withdraw").json()["state"] == "withdrawn"
    assert world.client.get("/api/v1/datasets/ds-public").status_code == 404
    bad = world.client.post(
        "/api/v1/datasets/ds-draft/transitions", json={"action": "publish"}, headers=world.headers["editor"]
    )
    assert bad.status_code == 422


def test_review_required_stops_editors_publishing_directly(world: World) -> None:
    editor, admin = world.headers["editor"], world.headers["org_admin"]
    # Without the rule (the default) editors publish directly, as before.
    direct = world.client.post("/api/v1/datasets", json=dataset_payload(name="direct"), headers=editor)
    assert direct.status_code == 201
    rule = world.client.put(
        "/api/v1/organizations/guardia-urbana/policy", json={"review_required": True}, headers=admin
    )
    assert rule.json() == {"review_required": True, "effective": True, "site_default": False}
    refused = world.client.post("/api/v1/datasets", json=dataset_payload(name="direct-2"), headers=editor)
    assert refused.status_code == 403 and refused.json()["errors"][0]["field"] == "state"
    patched = world.client.patch("/api/v1/datasets/ds-draft", json={"state": "published"}, headers=editor)
    assert patched.status_code == 403
    draft = world.client.post(
        "/api/v1/datasets", json=dataset_payload(name="direct-2", state="draft"), headers=editor
    )
    assert draft.status_code == 201
    # Editing an already published dataset stays possible; administrators publish directly.
    assert (
        world.client.patch("/api/v1/datasets/ds-public", json={"version": "2"}, headers=editor).status_code
        == 200
    )
    assert (
        world.client.patch(
            "/api/v1/datasets/ds-draft", json={"state": "published"}, headers=admin
        ).status_code
        == 200
    )


def test_the_site_wide_setting_applies_where_an_organisation_has_no_rule(world: World) -> None:
    settings = world.portal.settings.model_copy(update={"review_required": True})
    strict = replace(world.portal, settings=settings, workflow=WorkflowPolicy(review_required=True))
    client = TestClient(create_app(settings, portal=strict))
    editor = world.headers["editor"]
    assert (
        client.post("/api/v1/datasets", json=dataset_payload(name="x-1"), headers=editor).status_code == 403
    )
    client.put(
        "/api/v1/organizations/guardia-urbana/policy",
        json={"review_required": False},
        headers=world.headers["org_admin"],
    )
    assert (
        client.post("/api/v1/datasets", json=dataset_payload(name="x-1"), headers=editor).status_code == 201
    )
