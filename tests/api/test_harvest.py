"""/api/v1/harvest: sources managed by administrators and editors, runs queued as jobs, dry runs,
per-item reports, and where a harvested dataset came from."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from obert.auth.users import create_token, create_user, set_membership
from obert.portal import Portal
from tests.conftest import bearer
from tests.harvest.servers import FakeCkan, Server, serve

pytestmark = pytest.mark.settings(http_allowlist="127.0.0.1", harvest_requests_per_second=1000)


@pytest.fixture
def ckan() -> Iterator[tuple[FakeCkan, Server]]:
    fake = FakeCkan(3)
    with serve(fake.route) as server:
        yield fake, server


def _user(portal: Portal, name: str, org_id: str | None = None, role: str | None = None) -> dict[str, str]:
    user = create_user(store=portal.store, name=name, password="correct horse battery")
    if org_id and role:
        from obert.auth import Role

        set_membership(store=portal.store, user_id=user.id, organization_id=org_id, role=Role(role))
    return bearer(create_token(store=portal.store, user_ref=name, name="t").secret)


def test_sources_are_managed_and_run(
    client: TestClient,
    portal: Portal,
    admin: dict[str, str],
    org: dict[str, Any],
    ckan: tuple[FakeCkan, Server],
) -> None:
    _, server = ckan
    body = {
        "name": "city-ckan",
        "type": "ckan",
        "url": server.url,
        "organization": org["name"],
        "every": "1d",
    }
    created = client.post("/api/v1/harvest/sources", json=body, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json()["every"] == "1d" and created.json()["organization"] == "guardia-urbana"
    assert client.get("/api/v1/harvest/sources", headers=admin).json()[0]["name"] == "city-ckan"

    dry = client.post("/api/v1/harvest/sources/city-ckan/run?dry_run=true", headers=admin)
    assert dry.status_code == 200 and dry.json()["counts"] == {"created": 3}
    assert len(dry.json()["items"]) == 3
    assert client.get("/api/v1/datasets", headers=admin).json()["count"] == 0  # nothing written

    queued = client.post("/api/v1/harvest/sources/city-ckan/run", headers=admin)
    again = client.post("/api/v1/harvest/sources/city-ckan/run", headers=admin)
    assert queued.status_code == 202 and again.json()["job_id"] == queued.json()["job_id"]  # never twice
    assert portal.job_runner(1).run_once()

    runs = client.get("/api/v1/harvest/sources/city-ckan/runs", headers=admin).json()
    assert [r["counts"] for r in runs] == [{"created": 3}]
    run = client.get(f"/api/v1/harvest/sources/city-ckan/runs/{runs[0]['id']}", headers=admin).json()
    assert {i["status"] for i in run["items"]} == {"created"}

    dataset = client.get("/api/v1/datasets/generated-1").json()
    assert dataset["extras"]["harvest_source"] == "city-ckan"
    assert dataset["extras"]["harvest_remote_id"] == "00000000-0000-4000-8000-000000000001"
    origin = client.get("/api/v1/datasets/generated-1/harvest").json()
    assert origin[0]["source"] == "city-ckan" and origin[0]["source_url"] == server.url
    page = client.get("/dataset/generated-1")
    assert "city-ckan" in page.text  # the facts list says where it came from

    patched = client.patch("/api/v1/harvest/sources/city-ckan", json={"enabled": False}, headers=admin)
    assert patched.json()["enabled"] is False
    assert client.delete("/api/v1/harvest/sources/city-ckan", headers=admin).status_code == 204
    assert client.get("/api/v1/datasets/generated-1").status_code == 200  # its datasets stay


def test_who_may_manage_sources(
    client: TestClient, portal: Portal, admin: dict[str, str], org: dict[str, Any]
) -> None:
    body = {"name": "src-1", "type": "ckan", "url": "https://data.example.org", "organization": org["name"]}
    assert client.post("/api/v1/harvest/sources", json=body).status_code == 401
    member = _user(portal, "member", org["id"], "member")
    assert client.post("/api/v1/harvest/sources", json=body, headers=member).status_code == 403
    editor = _user(portal, "editor", org["id"], "editor")
    assert client.post("/api/v1/harvest/sources", json=body, headers=editor).status_code == 201
    assert [s["name"] for s in client.get("/api/v1/harvest/sources", headers=editor).json()] == ["src-1"]
    sql = {**body, "name": "db", "type": "sql", "url": "postgresql+psycopg://city@db/erp"}
    assert client.post("/api/v1/harvest/sources", json=sql, headers=editor).status_code == 403
    created = client.post("/api/v1/harvest/sources", json=sql, headers=admin).json()
    assert created["url"] == "postgresql+psycopg://city@db/erp"
    secret = {**sql, "name": "db2", "url": "postgresql+psycopg://city:hunter2@db/erp"}
    assert "hunter2" not in client.post("/api/v1/harvest/sources", json=secret, headers=admin).text


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"every": "often"}, "every"),
        ({"type": "ftp"}, "type"),
        ({"url": "file:///etc/passwd"}, "url"),
        ({"organization": "nobody"}, "organization"),
    ],
)
def test_bad_sources_are_refused_with_the_field(
    client: TestClient, admin: dict[str, str], org: dict[str, Any], patch: dict[str, str], field: str
) -> None:
    body = {"name": "src-1", "type": "ckan", "url": "https://data.example.org", "organization": org["name"]}
    response = client.post("/api/v1/harvest/sources", json=body | patch, headers=admin)
    assert response.status_code == 422, response.text
    assert any(e["field"].endswith(field) for e in response.json()["errors"])
