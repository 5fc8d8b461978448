"""Route matching by the path's first segment picks the same route as trying every route in order."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI, Request
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute, Match

from obert.app import create_app
from obert.routing import ANY, SegmentDispatch, index_routes, request_key, template_key
from obert.settings import Settings

METHODS = ("GET", "POST", "PATCH", "DELETE")
ODD_PATHS = (
    *("/nothing", "/nothing/here", "/ca", "/api", "/api/", "/api/4/x", "//dataset/x", "/static", "/static/"),
    *("/catalog.ttl", "/dataset/x.ttl", "/api/3/action/x", "/api/action/x/", "/api/ogc", "/api/ogc/", ""),
    *("/api/v1", "/api/v1/", "/api/v1/nothing", "/api/v1/nothing/x", "/api/v1/datasets/", "/api/v1//x"),
)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    root = tmp_path_factory.mktemp("routing")
    return create_app(Settings(mode="test", data_dir=Path(root), secret_key=secrets.token_urlsafe(32)))


def _dispatch(app: FastAPI) -> SegmentDispatch:
    dispatch = app.router.middleware_stack
    assert isinstance(dispatch, SegmentDispatch)
    return dispatch


def _templates(routes: list[BaseRoute]) -> Iterator[str]:
    for route in routes:
        contexts = getattr(route, "effective_route_contexts", None)
        if contexts is not None:
            for leaf in contexts():
                yield str(getattr(leaf.starlette_route, "path", None) or leaf.path_format)
        else:
            yield str(getattr(route, "path", "/"))


def _concrete(template: str) -> Iterator[str]:
    """Addresses a template matches (and near misses): parameters filled, a trailing slash added or not."""
    filled = re.sub(r"\{[^}:]+:path\}", "a/b.csv", template)
    filled = re.sub(r"\{[^}]+\}", "x1", filled)
    yield filled or "/"
    yield filled.rstrip("/") + "/"
    if filled.endswith("/") and filled != "/":
        yield filled.rstrip("/")
    yield filled + "/more"


def _winner(routes: list[BaseRoute], path: str, method: str) -> tuple[int, Match] | None:
    """What Starlette's loop picks: the first full match, else the first partial one (its position)."""
    scope: dict[str, Any] = {"type": "http", "path": path, "root_path": "", "method": method, "headers": []}
    partial = None
    for position, route in enumerate(routes):
        match, _ = route.matches(dict(scope))
        if match == Match.FULL:
            return position, match
        if match == Match.PARTIAL and partial is None:
            partial = (position, match)
    return partial


def test_keys_of_templates_and_requests() -> None:
    assert template_key("/dataset/{ref}") == ("dataset", ANY, ANY)
    assert template_key("/dataset/{ref}/resource/{res}") == ("dataset", ANY, ANY)
    assert template_key("/") == ("", "", "")
    assert template_key("/datasets") == ("datasets", "", "")
    assert template_key("/api/ogc/") == ("api", "ogc", "")
    assert template_key("/api/v1/datastore/{ref}/rows") == ("api", "v1", "datastore")
    assert template_key("/api/v1/datastore/export.{fmt}") == ("api", "v1", "datastore")
    assert template_key("/api/3/action/{name}") == ("api", "3", "action")
    assert template_key("/api/{rest:path}") == ("api", ANY, ANY)
    assert template_key("/catalog.{suffix}") == (ANY, ANY, ANY)
    assert template_key("/{name}/x") == (ANY, ANY, ANY)
    assert request_key("/api") == request_key("/api/") == ("api", "", "")
    assert request_key("/api/v1") == request_key("/api/v1/") == ("api", "v1", "")
    assert request_key("/api/v1/datasets") == request_key("/api/v1/datasets/") == ("api", "v1", "datasets")
    assert request_key("/api/v1/datastore/x/rows") == ("api", "v1", "datastore")
    assert request_key("/") == ("", "", "")


def test_a_page_is_matched_against_few_routes(app: FastAPI) -> None:
    index = _dispatch(app).index
    everything = len(list(_templates(app.router.routes)))
    assert everything > 200
    for path in ("/", "/datasets", "/dataset/x", "/dataset/x/resource/y"):
        assert len(list(_templates(index.candidates(path)))) < 40, path
    for path in ("/api/3/action/datastore_search", "/health/live"):
        assert len(list(_templates(index.candidates(path)))) < 60, path
    # The native API's routers all start with /api/v1: its third segment picks among them.
    assert len(index.candidates("/api/v1/datastore/x/rows")) <= 6
    assert len(list(_templates(index.candidates("/api/v1/datastore/x/rows")))) < 60


def test_every_address_of_every_route_finds_the_same_route(app: FastAPI) -> None:
    index = _dispatch(app).index
    routes = list(app.router.routes)
    paths = {p for t in _templates(routes) for p in _concrete(t)}
    paths |= set(ODD_PATHS)
    compared = 0
    for path in sorted(paths):
        view = index.candidates(path)
        for method in METHODS:
            full = _winner(routes, path, method)
            indexed = _winner(view, path, method)
            got = (view[indexed[0]], indexed[1]) if indexed else None
            want = (routes[full[0]], full[1]) if full else None
            assert got == want, (method, path)
            compared += 1
    assert compared > 1000


def test_pages_api_redirects_and_misses_answer_as_before(app: FastAPI) -> None:
    client = TestClient(app)
    assert client.get("/health/live").status_code == 200
    assert client.get("/api", follow_redirects=False).headers["location"] == "/api/docs"
    assert client.get("/api/v1/no-such-thing").json()["status"] == 404
    missing_page = client.get("/no-such-page")
    assert missing_page.status_code == 404 and missing_page.headers["content-type"].startswith("text/html")
    assert client.delete("/health/live").status_code == 405
    assert client.get("/static/obert.css").status_code == 200


def test_routes_added_after_indexing_are_found() -> None:
    app = FastAPI()
    app.get("/one")(lambda: {"n": 1})
    index_routes(app.router)
    client = TestClient(app)
    assert client.get("/two").status_code == 404
    app.get("/two")(lambda: {"n": 2})
    assert client.get("/two").json() == {"n": 2}
    router = APIRouter()
    router.add_api_route("/three/{n}", lambda n: {"n": n})
    app.include_router(router)
    assert client.get("/three/3").json() == {"n": "3"}


def test_reverse_lookups_see_every_route() -> None:
    app = FastAPI()

    @app.get("/a")
    def a(request: Request) -> str:
        return str(request.url_for("b_route", ref="y"))

    @app.get("/b/{ref}", name="b_route")
    def b(ref: str) -> str:
        return ref

    index_routes(app.router)
    assert TestClient(app).get("/a").json() == "http://testserver/b/y"
