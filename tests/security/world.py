"""A small catalogue with one account per role, shared by the security and account tests.

Organisation A (`guardia-urbana`) has an admin, an editor and a member; organisation B (`medi-ambient`)
has its own admin. A holds a public published dataset, a private one, a draft and one in review, each
with an uploaded file; B holds a draft.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient

from obert.app import create_app
from obert.auth import Role, Scope
from obert.auth.users import create_token, create_user, set_membership
from obert.portal import Portal
from obert.stats.usage import flush
from tests.conftest import bearer, dataset_payload, organization_payload

PASSWORD = "correct horse battery"
ROLES = ("anonymous", "read_token", "member", "editor", "org_admin", "other_admin", "site_admin")


@dataclass
class World:
    client: TestClient
    portal: Portal
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    user_ids: dict[str, str] = field(default_factory=dict)
    orgs: dict[str, dict[str, Any]] = field(default_factory=dict)
    datasets: dict[str, dict[str, Any]] = field(default_factory=dict)
    uploads: dict[str, str] = field(default_factory=dict)  # dataset key → download path
    token_ids: dict[str, str] = field(default_factory=dict)

    def fill(self, template: str) -> str:
        """Put the world's names and ids into a surface's path template."""
        values = {f"file_{k}": v for k, v in self.uploads.items()}
        values |= {f"res_{k}": d["resources"][0]["id"] for k, d in self.datasets.items()}
        values |= {f"token_{k}": v for k, v in self.token_ids.items()}
        values |= {f"user_{k}": v for k, v in self.user_ids.items()}
        return template.format(**values)


def build_world(client: TestClient, portal: Portal) -> World:
    world = World(client, portal)
    store = portal.store
    for name, sysadmin in (
        ("site_admin", True),
        ("org_admin", False),
        ("editor", False),
        ("member", False),
        ("other_admin", False),
    ):
        user = create_user(store=store, name=name.replace("_", "-"), password=PASSWORD, sysadmin=sysadmin)
        world.user_ids[name] = user.id
        token = create_token(store=store, user_ref=user.id, name=f"token-of-{user.name}")
        world.headers[name] = bearer(token.secret)
        world.token_ids[name] = token.id
    # A read-only token of an account with no role anywhere: it may read what the public reads.
    reader = create_user(store=store, name="reader", password=PASSWORD)
    world.user_ids["read_token"] = reader.id
    read_only = create_token(store=store, user_ref=reader.id, name="r", scope=Scope.READ)
    world.headers["read_token"] = bearer(read_only.secret)
    world.token_ids["read_token"] = read_only.id
    world.headers["anonymous"] = {}
    admin = world.headers["site_admin"]
    for key, payload in (
        ("a", organization_payload()),
        ("b", organization_payload(name="medi-ambient", title={"ca": "Medi Ambient"})),
    ):
        response = client.post("/api/v1/organizations", json=payload, headers=admin)
        assert response.status_code == 201, response.text
        world.orgs[key] = response.json()
    a, b = world.orgs["a"]["id"], world.orgs["b"]["id"]
    for name, org_id, role in (
        ("org_admin", a, Role.ADMIN),
        ("editor", a, Role.EDITOR),
        ("member", a, Role.MEMBER),
        ("other_admin", b, Role.ADMIN),
    ):
        set_membership(store=store, user_id=world.user_ids[name], organization_id=org_id, role=role)
    for key, org, overrides in (
        ("public", "guardia-urbana", {"state": "published", "visibility": "public"}),
        ("private", "guardia-urbana", {"state": "published", "visibility": "private"}),
        ("draft", "guardia-urbana", {"state": "draft", "visibility": "public"}),
        ("review", "guardia-urbana", {"state": "review", "visibility": "public"}),
        ("b_draft", "medi-ambient", {"state": "draft", "visibility": "public"}),
    ):
        payload = dataset_payload(
            name=f"ds-{key.replace('_', '-')}",
            organization=org,
            resources=[{"name": f"res-{key.replace('_', '-')}", "format": "CSV", "title": {"ca": key}}],
            **overrides,
        )
        response = client.post("/api/v1/datasets", json=payload, headers=admin)
        assert response.status_code == 201, response.text
        world.datasets[key] = response.json()
        resource = world.datasets[key]["resources"][0]
        upload = client.post(
            f"/api/v1/resources/{resource['id']}/upload",
            files={"file": ("data.csv", io.BytesIO(b"a,b\n1,2\n"), "text/csv")},
            headers=admin,
        )
        assert upload.status_code == 200, upload.text
        world.uploads[key] = upload.json()["url"].removeprefix("http://testserver")
        # A visit to every dataset, so that usage statistics have something to hide.
        portal.usage.add("dataset", world.datasets[key]["id"], "view")
    flush(store, portal.usage)
    # The uploads are read into tables (and checked for personal data), as a running portal would.
    runner = portal.job_runner(1)
    while runner.run_once():
        pass
    return world


WORLD_FIELDS = ("headers", "user_ids", "orgs", "datasets", "uploads", "token_ids")


def world_facts(portal: Portal) -> dict[str, Any]:
    """Build the world in `portal` and keep what every copy of it shares: ids, names and token secrets (the
    recipe tests/demo_copy.py makes once per process and copies)."""
    made = build_world(TestClient(create_app(portal.settings, portal=portal)), portal)
    return {name: getattr(made, name) for name in WORLD_FIELDS}


def login(client: TestClient, name: str, password: str = PASSWORD) -> TestClient:
    """Sign `client` in through the real form (CSRF included); returns it for chaining."""
    page = client.get("/en/login")
    token = csrf_of(page.text)
    response = client.post(
        "/en/login",
        data={"name": name, "password": password, "csrf_token": token, "next": "/publish"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return client


def csrf_of(html: str) -> str:
    marker = 'name="csrf_token" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]
