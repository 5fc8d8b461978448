"""The route template of a request, for log events and metric labels (a bounded set, unlike paths)."""

from __future__ import annotations

from starlette.types import Scope

UNMATCHED = "unmatched"


def route_template(scope: Scope) -> str:
    """The template of the route that answered, with the prefix it was included under.

    A router included under a prefix (the CKAN face answers under /api/3/action and /api/action) leaves
    its own path in the scope, `/package_show`: the prefix is the part of the request path before the
    route's pattern matches, so the two CKAN prefixes stay apart and every unknown action is one label.
    """
    route = scope.get("route")
    template = getattr(route, "path", None)
    if not isinstance(template, str):
        return UNMATCHED
    path: str = scope.get("path", "")
    if path == template or not template.startswith("/"):
        return template
    pattern = getattr(route, "path_regex", None)
    if pattern is None:
        return template
    start = path.find("/", 1)
    while start != -1:
        if pattern.fullmatch(path[start:]):
            return path[:start] + template
        start = path.find("/", start + 1)
    return template


_SEARCH_FACES = {
    "/api/v1/search": "api",
    "/api/3/action/package_search": "ckan",
    "/api/action/package_search": "ckan",
    "/datasets": "page",
}
_DATASTORE_TAILS = {
    "/rows": "rows",
    "/aggregate": "aggregate",
    "/export.{fmt}": "export",
    "/features": "features",
    "/datastore/sql": "sql",
    "/datastore_search": "ckan_search",
    "/datastore_search_sql": "ckan_sql",
}


def search_face(template: str) -> str | None:
    """The face a catalogue search was asked on, or None when the route is no search."""
    return _SEARCH_FACES.get(template)


def datastore_operation(template: str) -> str | None:
    """The datastore read a route answers (`rows`, `sql`, `ckan_search`…), or None."""
    if not template.startswith(("/api/v1/datastore/", "/api/3/action/", "/api/action/")):
        return None
    return next((op for tail, op in _DATASTORE_TAILS.items() if template.endswith(tail)), None)
