"""The native API's one error shape: {"ok": false, "status", "error", "errors": [{"field", "message"}]}."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from obert.errors import FieldError, Invalid, ObertError, RateLimited


def error_body(status: int, message: str, errors: Sequence[FieldError] = ()) -> dict[str, Any]:
    return {
        "ok": False,
        "status": status,
        "error": message,
        "errors": [{"field": e.field, "message": e.message} for e in errors],
    }


def obert_error_response(exc: ObertError) -> JSONResponse:
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
    if exc.status == 401:
        headers = {"WWW-Authenticate": "Bearer"}
    return JSONResponse(
        error_body(exc.status, exc.message, exc.errors), status_code=exc.status, headers=headers
    )


def invalid_from(exc: RequestValidationError) -> Invalid:
    """FastAPI's validation error as obert's, one FieldError per bad parameter (for every face)."""
    errors = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ())]
        if loc and loc[0] in ("body", "query", "path", "header"):
            loc = loc[1:] if len(loc) > 1 else loc
        errors.append(
            FieldError(".".join(loc) or "body", str(err.get("msg", "invalid")).removeprefix("Value error, "))
        )
    return Invalid("the request is not valid", errors=errors)


def http_error_response(status: int, detail: str) -> JSONResponse:
    return JSONResponse(error_body(status, detail), status_code=status)
