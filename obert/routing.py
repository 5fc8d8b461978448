"""Route matching by the path's first segments.

Starlette's router tries the app's routes in order until one matches. obert has over two hundred
(the native API, two CKAN prefixes, OGC, DCAT, SPARQL, then the site's pages), and FastAPI keeps each
included router as one route that tries its own in turn, so a page such as `/datasets` was checked
against ~215 routes (~0.25 ms of CPU) before it ran.

`index_routes(router)` installs a dispatcher in front of the app's router that hands each request to a
view of the router holding only the routes that can match a path with the request's first three segments
(`/datasets` → (datasets, "", ""), `/api/v1/datastore/x/rows` → (api, v1, datastore)): the routes whose
template starts with those literal segments or has a parameter in their place, in their original order.
Every other route's template fixes a different literal segment there, so its regular expression cannot
match; the winner (the first full match, else the first partial one for a 405), the trailing-slash
redirect (`/x` and `/x/` have the same key) and the 404 are those of the whole router. The third segment
matters for the native API, whose twenty routers all start with `/api/v1`. URLs, route order and the
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
DEPTH = 3
Key = tuple[str, str, str]  # the first three segments of a path ("" for a missing one)


def template_key(path: str) -> Key:
    """The first three segments a route template fixes: `/dataset/{ref}` → (dataset, ANY, ANY), `/api` →
    (api, "", "") (which `/api` and `/api/` have), `/{name}` or `/catalog.{suffix}` → (ANY, ANY, ANY).
    Past a parameter every segment is ANY (a `:path` parameter spans segments)."""
    parts = path[1:].split("/", DEPTH) if path.startswith("/") else [ANY]
    key: list[str] = []
    for i in range(DEPTH):
        part = parts[i] if i < len(parts) else ""
        if "{" in part:
            key += [ANY] * (DEPTH - i)
            break
        key.append(part)
    return key[0], key[1], key[2]


def request_key(route_path: str) -> Key:
    """The first three segments of a request's path. `/x` and `/x/` have the same key, so the
    trailing-slash redirect's second lookup stays within the view of the first."""
    parts = [*route_path[1:].split("/", DEPTH)[:DEPTH], "", ""]
    return parts[0], parts[1], parts[2]


def route_keys(route: BaseRoute) -> frozenset[Key]:
    """The keys of the paths `route` can match ((ANY, ANY, ANY) when it cannot be told)."""
    contexts = getattr(route, "effective_route_contexts", None)  # FastAPI's included routers
    if contexts is not None:
        if list(route.effective_low_priority_routes()):  # type: ignore[attr-defined]
            return frozenset({(ANY, ANY, ANY)})
        return frozenset(_leaf_key(leaf) for leaf in contexts())
    return frozenset({_leaf_key(route)})


def _leaf_key(leaf: Any) -> Key:
    route = getattr(leaf, "starlette_route", None) or leaf
    if isinstance(route, Host):
        return ANY, ANY, ANY
    if isinstance(route, Mount):  # matches everything below its path
        return (template_key(route.path)[0], ANY, ANY) if route.path else (ANY, ANY, ANY)
    path = getattr(leaf, "path_format", None) or getattr(leaf, "path", None)
    if not isinstance(path, str) or not path.startswith("/"):
        return ANY, ANY, ANY
    return template_key(path)


def _fits(keys: frozenset[Key], first: str, second: str | None, third: str | None) -> bool:
    # None: a segment that no template names literally there (under the segments before it). A key has
    # no literal segment after an ANY (template_key), so ANY in the second place covers the third.
    return any(
        a in (ANY, first)
        and (b == ANY or (second is not None and b == second))
        and (c == ANY or (third is not None and c == third))
        for a, b, c in keys
    )


class SegmentIndex:
    """Per request key, a view of `router` with the routes that can match it; rebuilt when routes are
    added to the router."""

    def __init__(self, router: Router) -> None:
        self.router = router
        self._version: object = None
        self._views: dict[Key, Router] = {}
        self._by_two: dict[tuple[str, str], Router] = {}
        self._by_first: dict[str, Router] = {}
        self._others: Router = router

    def view(self, key: Key) -> Router:
        version = (len(self.router.routes), getattr(self.router, "_routes_version", None))
        if version != self._version:
            self._build(version)
        view = self._views.get(key)
        if view is None:
            view = self._by_two.get((key[0], key[1]))
        if view is None:
            view = self._by_first.get(key[0], self._others)
        return view

    def _build(self, version: object) -> None:
        tagged = [(route, route_keys(route)) for route in self.router.routes]
        literal = {k for _, keys in tagged for k in keys if k[0] != ANY}

        def view(first: str, second: str | None, third: str | None) -> Router:
            return self._view(r for r, keys in tagged if _fits(keys, first, second, third))

        self._views = {(a, b, c): view(a, b, c) for a, b, c in literal if c != ANY}
        self._by_two = {(a, b): view(a, b, None) for a, b, _ in literal if b != ANY}
        self._by_first = {a: view(a, None, None) for a in {k[0] for k in literal}}
        self._others = self._view(r for r, keys in tagged if any(k[0] == ANY for k in keys))
        self._version = version

    def _view(self, routes: Iterable[BaseRoute]) -> Router:
        view = copy.copy(self.router)
        view.routes = list(routes)
        return view

    def candidates(self, route_path: str) -> list[BaseRoute]:
        """The routes a request for `route_path` is matched against, in order (tests, benchmarks)."""
        return self.view(request_key(route_path)).routes


class SegmentDispatch:
    """The router's entry (its `middleware_stack`): the request's first segments pick the view."""

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
    """Put the dispatcher by first segments in front of `router` (call once its routes are added)."""
    if router.middleware_stack != router.app:
        raise RuntimeError("the router already has middleware of its own; route it through that")
    dispatch = SegmentDispatch(router)
    router.middleware_stack = dispatch
    return dispatch
