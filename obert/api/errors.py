"""The native API's one error shape: {"ok": false, "status", "error", "errors": [{"field", "message"}]}.

Messages are English unless the client asks for Catalan or Spanish with Accept-Language."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from obert.errors import FieldError, Invalid, ObertError, RateLimited, msg
from obert.i18n import localize, negotiate
from obert.i18n.validation import validation_message
from obert.types import Lang


def api_lang(accept_language: str | None) -> Lang:
    """The language of an API answer: English unless the client asks for another of ours."""
    return negotiate(accept_language, "en")


def error_body(
    status: int, message: str, errors: Sequence[FieldError] = (), lang: Lang = "en"
) -> dict[str, Any]:
    return {
        "ok": False,
        "status": status,
        "error": localize(message, lang),
        "errors": [{"field": e.field, "message": localize(e.message, lang)} for e in errors],
    }


def obert_error_response(exc: ObertError, lang: Lang = "en") -> JSONResponse:
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
    if exc.status == 401:
        headers = {"WWW-Authenticate": "Bearer"}
    return JSONResponse(
        error_body(exc.status, exc.message, exc.errors, lang), status_code=exc.status, headers=headers
    )


def invalid_from(exc: RequestValidationError) -> Invalid:
    """FastAPI's validation error as obert's, one FieldError per bad parameter (for every face), each
    message translatable."""
    errors = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ())]
        if loc and loc[0] in ("body", "query", "path", "header"):
            loc = loc[1:] if len(loc) > 1 else loc
        errors.append(FieldError(".".join(loc) or "body", validation_message(err)))
    return Invalid(msg("the request is not valid"), errors=errors)


def http_error_response(status: int, detail: str, lang: Lang = "en") -> JSONResponse:
    return JSONResponse(error_body(status, detail, (), lang), status_code=status)
