"""Route matching by the path's first segment.

Starlette's router tries the app's routes in order until one matches. obert has over two hundred
(the native API, two CKAN prefixes, OGC, DCAT, SPARQL, then the site's pages), and FastAPI keeps each
included router as one route that tries its own in turn, so a page such as `/datasets` was checked
against ~215 routes (~0.25 ms of CPU) before it ran.

`index_routes(router)` installs a dispatcher in front of the app's router that hands each request to a
view of the router holding only the routes that can match a path with the request's first two segments
(`/datasets` → (datasets, ""), `/api/v1/datastore/x/rows` → (api, v1)): the routes whose template starts
with those literal segments or has a parameter in their place, in their original order. Every other
route's template fixes a different literal segment there, so its regular expression cannot match; the
winner (the first full match, else the first partial one for a 405), the trailing-slash redirect (`/x`
and `/x/` have the same key) and the 404 are those of the whole router. URLs, route order and the
OpenAPI document do not change: the routes list is untouched, and reverse lookups (`url_path_for`) still
see every route. Routes added to the app's router later are seen (the views are rebuilt); a router must
have its routes when it is included, as FastAPI required before 0.16x.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Host, Mount, Router
from starlette.types import Receive, Scope, Send

ANY = "{any}"  # a template's segment that holds a parameter (never a literal segment)
Key = tuple[str, str]  # the first two segments of a path ("" for a missing second one)


def template_key(path: str) -> Key:
    """The first two segments a route template fixes: `/dataset/{ref}` → (dataset, ANY), `/api` → (api, "")
    (which `/api` and `/api/` have), `/{name}` or `/catalog.{suffix}` → (ANY, ANY)."""
    parts = path[1:].split("/", 2) if path.startswith("/") else [ANY]
    first = ANY if "{" in parts[0] else parts[0]
    if first == ANY:
        return ANY, ANY
    second = parts[1] if len(parts) > 1 else ""
    return first, ANY if "{" in second else second


def request_key(route_path: str) -> Key:
    """The first two segments of a request's path. `/x` and `/x/` have the same key, so the trailing-slash
    redirect's second lookup stays within the view of the first."""
    parts = route_path[1:].split("/", 2)
    return parts[0], parts[1] if len(parts) > 1 else ""


def route_keys(route: BaseRoute) -> frozenset[Key]:
    """The keys of the paths `route` can match ((ANY, ANY) when it cannot be told)."""
    contexts = getattr(route, "effective_route_contexts", None)  # FastAPI's included routers
    if contexts is not None:
        if list(route.effective_low_priority_routes()):  # type: ignore[attr-defined]
            return frozenset({(ANY, ANY)})
        return frozenset(_leaf_key(leaf) for leaf in contexts())
    return frozenset({_leaf_key(route)})


def _leaf_key(leaf: Any) -> Key:
    route = getattr(leaf, "starlette_route", None) or leaf
    if isinstance(route, Host):
        return ANY, ANY
    if isinstance(route, Mount):  # matches everything below its path
        return (template_key(route.path)[0], ANY) if route.path else (ANY, ANY)
    path = getattr(leaf, "path_format", None) or getattr(leaf, "path", None)
    if not isinstance(path, str) or not path.startswith("/"):
        return ANY, ANY
    return template_key(path)


def _fits(keys: frozenset[Key], first: str, second: str | None) -> bool:
    # second None: any second segment that no template names literally under `first`.
    return any(a in (ANY, first) and (b == ANY or (second is not None and b == second)) for a, b in keys)


class SegmentIndex:
    """Per request key, a view of `router` with the routes that can match it; rebuilt when routes are
    added to the router."""

    def __init__(self, router: Router) -> None:
        self.router = router
        self._version: object = None
        self._views: dict[Key, Router] = {}
        self._by_first: dict[str, Router] = {}
        self._others: Router = router

    def view(self, key: Key) -> Router:
        version = (len(self.router.routes), getattr(self.router, "_routes_version", None))
        if version != self._version:
            self._build(version)
        view = self._views.get(key)
        if view is None:
            view = self._by_first.get(key[0], self._others)
        return view

    def _build(self, version: object) -> None:
        tagged = [(route, route_keys(route)) for route in self.router.routes]
        literal = {k for _, keys in tagged for k in keys if k[0] != ANY}
        self._views = {
            (a, b): self._view(r for r, keys in tagged if _fits(keys, a, b)) for a, b in literal if b != ANY
        }
        self._by_first = {
            a: self._view(r for r, keys in tagged if _fits(keys, a, None)) for a in {a for a, _ in literal}
        }
        self._others = self._view(r for r, keys in tagged if any(a == ANY for a, _ in keys))
        self._version = version

    def _view(self, routes: Iterable[BaseRoute]) -> Router:
        view = copy.copy(self.router)
        view.routes = list(routes)
        return view

    def candidates(self, route_path: str) -> list[BaseRoute]:
        """The routes a request for `route_path` is matched against, in order (tests, benchmarks)."""
        return self.view(request_key(route_path)).routes


class SegmentDispatch:
    """The router's entry (its `middleware_stack`): the request's first segment picks the view."""

    def __init__(self, router: Router) -> None:
        self.router = router
        self.index = SegmentIndex(router)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route_path = _route_path(scope) if scope["type"] == "http" else None
        if route_path is None:
            await self.router.app(scope, receive, send)
            return
        scope.setdefault("router", self.router)  # reverse lookups see every route, not the view's
        await self.index.view(request_key(route_path)).app(scope, receive, send)


def _route_path(scope: Scope) -> str | None:
    path = get_route_path(scope)  # what the routes' patterns are matched against
    return path if path.startswith("/") else None


def index_routes(router: Router) -> SegmentDispatch:
    """Put the first-segment dispatcher in front of `router` (call once its routes are added)."""
    if router.middleware_stack != router.app:
        raise RuntimeError("the router already has middleware of its own; route it through that")
    dispatch = SegmentDispatch(router)
    router.middleware_stack = dispatch
    return dispatch
