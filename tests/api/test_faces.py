"""Faces declared on their routes: which budget a CKAN action spends, which face answers an address."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from obert.api.ckan.face import action_body, action_budget
from obert.api.face import NATIVE
from obert.faces import Budget, FaceRoute


def _scope(path: str, content_type: str = "application/json") -> dict[str, object]:
    return {
        "type": "http",
        "path": path,
        "method": "POST",
        "headers": [(b"content-type", content_type.encode())],
    }


@pytest.mark.parametrize(
    ("action", "budget"),
    [
        ("package_show", "read"),
        ("package_search", "read"),
        ("current_package_list_with_resources", "read"),
        ("organization_list_for_user", "read"),
        ("format_autocomplete", "read"),
        ("datastore_search", "read"),
        ("datastore_info", "read"),
        ("status_show", "read"),
        ("datastore_search_sql", "sql"),
        ("package_create", "write"),
        ("resource_patch", "write"),
        ("package_revise", "write"),
        ("datastore_upsert", "write"),
        ("no_such_action", "write"),
    ],
)
def test_ckan_calls_spend_the_budget_of_their_action_whatever_the_method(action: str, budget: Budget) -> None:
    route = NATIVE.route_class("/x", endpoint=lambda: None)
    assert action_budget(_scope(f"/api/3/action/{action}"), route) == budget


def test_only_a_multipart_resource_upload_takes_the_upload_limit() -> None:
    route = NATIVE.route_class("/x", endpoint=lambda: None)
    multipart = "multipart/form-data; boundary=x"
    assert action_body(_scope("/api/action/resource_create", multipart), route) == "upload"
    assert action_body(_scope("/api/action/resource_create"), route) == "body"
    assert action_body(_scope("/api/action/package_create", multipart), route) == "body"


def test_each_face_answers_its_own_unknown_addresses(client: TestClient) -> None:
    native = client.get("/api/v1/no-such-thing")
    assert native.status_code == 404 and native.json()["ok"] is False
    ckan = client.post("/api/3/action/no_such_action", json={})
    assert ckan.json()["success"] is False
    page = client.get("/no-such-page")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    rdf = client.get("/dataset/no-such-dataset.ttl")
    assert rdf.status_code == 404 and rdf.json()["ok"] is False  # DCAT's route, though pages share /dataset/


def _leaves(routes: list[Any]) -> Iterator[Any]:
    for route in routes:
        inner = getattr(route, "original_router", None)  # FastAPI keeps included routers as such
        if inner is not None:
            yield from _leaves(list(inner.routes))
        else:
            yield route


def test_every_api_route_belongs_to_a_face(client: TestClient) -> None:
    """A router built with a bare APIRouter() would serve without budgets or body limits: build it with
    its face's `router()` (obert.faces)."""
    app_own = {
        "/api/docs",
        "/api/docs/reference",
        "/api",
    }  # redirects to the API's documentation, defined in create_app
    routes = [r for r in _leaves(list(client.app.routes)) if isinstance(r, APIRoute)]  # type: ignore[attr-defined]
    faceless = [r.path for r in routes if not isinstance(r, FaceRoute) and r.path not in app_own]
    assert faceless == []
    assert len(routes) > 100
