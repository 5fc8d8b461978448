"""The CKAN face: CKAN's envelope for every answer (413 and 429 included), and budgets by action.

ckanapi sends every call as a POST, reads included, so the method says nothing: the action's name does.
CKAN names its reads `*_show`, `*_list`, `*_search`, `*_autocomplete` and a few more; everything else
changes the catalogue, and an unknown name pays the write budget.
"""

from __future__ import annotations

from fastapi.routing import APIRoute
from starlette.datastructures import Headers
from starlette.types import Scope

from obert.api.ckan.envelope import ckan_error_response
from obert.faces import BodyKind, Budget, Face

SQL_ACTIONS = frozenset({"datastore_search_sql"})
READ_SUFFIXES = ("_show", "_list", "_search", "_autocomplete", "_info", "_count", "_list_for_user")
READ_ACTIONS = frozenset(
    {"site_read", "current_package_list_with_resources", "recently_changed_packages_activity_stream"}
)
# Actions that take a file in a multipart body: the upload limit, as /api/v1/resources/{id}/upload has.
UPLOAD_ACTIONS = frozenset({"resource_create", "resource_update", "resource_patch"})


def action_of(scope: Scope) -> str:
    path: str = scope["path"]
    return path.rstrip("/").rsplit("/", 1)[-1]


def action_budget(scope: Scope, route: APIRoute) -> Budget:
    """The budget a CKAN call spends: by its action, whatever its method."""
    action = action_of(scope)
    if action in SQL_ACTIONS:
        return "sql"
    if action in READ_ACTIONS or action.endswith(READ_SUFFIXES) or action.startswith("am_following_"):
        return "read"
    return "write"


def action_body(scope: Scope, route: APIRoute) -> BodyKind:
    content_type = Headers(scope=scope).get("content-type", "")
    if action_of(scope) in UPLOAD_ACTIONS and content_type.startswith("multipart/"):
        return "upload"
    return "body"


CKAN = Face(
    "ckan",
    render=ckan_error_response,
    budget=action_budget,
    body=action_body,
    cors=True,
    namespace=("/api/3/", "/api/action/"),
)
