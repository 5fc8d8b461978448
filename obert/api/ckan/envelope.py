"""CKAN's response envelope and error shape, and how obert's errors map onto CKAN's types and codes."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from obert.errors import (
    BadRequest,
    Conflict,
    FieldError,
    Forbidden,
    Invalid,
    NotFound,
    ObertError,
    RateLimited,
    TooLarge,
    Unauthorized,
    msg,
)
from obert.i18n import localize, negotiate
from obert.types import Lang

# obert's field names as CKAN clients know them, for the field keys of a Validation Error.
_CKAN_FIELDS = {
    "description": "notes",
    "organization": "owner_org",
    "keywords": "tags",
    "license": "license_id",
    "landing_page": "url",
    "visibility": "private",
}


def action_name(request: Request) -> str:
    return request.url.path.rstrip("/").rsplit("/", 1)[-1]


def help_url(request: Request, action: str) -> str:
    base = request.app.state.portal.settings.base_url.rstrip("/")
    return f"{base}/api/3/action/help_show?name={action}"


def success(request: Request, result: Any) -> JSONResponse:
    action = action_name(request)
    return JSONResponse({"help": help_url(request, action), "success": True, "result": result})


def ckan_error_response(request: Request, exc: ObertError) -> JSONResponse:
    # English unless the client asks for Catalan or Spanish; CKAN's kinds and prefixes ("Not found: ")
    # stay English, as CKAN clients read them.
    lang = negotiate(request.headers.get("accept-language"), "en")
    status, kind = _kind(exc)
    error: dict[str, Any] = {"__type": kind, "message": _message(exc, kind, lang)}
    for field_error in exc.errors:
        error.setdefault(_ckan_field(field_error), []).append(localize(field_error.message, lang))
    body = {"help": help_url(request, action_name(request)), "success": False, "error": error}
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
    return JSONResponse(body, status_code=status, headers=headers)


def _kind(exc: ObertError) -> tuple[int, str]:
    if isinstance(exc, NotFound):
        return 404, "Not Found Error"
    if isinstance(exc, Unauthorized | Forbidden):
        return 403, "Authorization Error"
    if isinstance(exc, Invalid | Conflict):
        return 409, "Validation Error"
    if isinstance(exc, BadRequest):
        return 400, "Bad Request"
    # CKAN itself has no names for these (its proxy answers them); ckanapi raises CKANAPIError for both.
    if isinstance(exc, TooLarge):
        return 413, "Request Too Large Error"
    if isinstance(exc, RateLimited):
        return 429, "Rate Limit Error"
    return exc.status, "Internal Error" if exc.status >= 500 else "Error"


def _message(exc: ObertError, kind: str, lang: Lang) -> str:
    # CKAN prefixes messages with their kind, and ckanapi strips everything up to the first ": ".
    text = localize(exc.message, lang)
    if kind == "Not Found Error":
        return f"Not found: {text}"
    if kind == "Authorization Error":
        return f"Access denied: {text}"
    if kind == "Bad Request":
        return f"Bad request - {text}"
    return text


def _ckan_field(error: FieldError) -> str:
    head = error.field.split(".", 1)[0]
    return _CKAN_FIELDS.get(head, head)


def missing(field: str) -> Invalid:
    return Invalid(msg("{field} is missing", field=field), errors=[FieldError(field, "Missing value")])
