"""OGC API's own error form, declared on its routes rather than chosen by path.

Every route of the face is an `OgcRoute`: whatever its endpoint raises (obert's errors, FastAPI's request
validation, Starlette's HTTP errors) becomes OGC's exception document ``{"code", "description"}`` with
the status OGC asks for (400 for any bad parameter, where obert's own API says 422), or the site's error
page when the reader asked for HTML. Nothing here needs the app's handlers or a list of path prefixes.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, Protocol

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from obert.api.ogc.params import output_format
from obert.errors import BadRequest, FieldError, ObertError, RateLimited
from obert.faces import Face, FaceRoute

_CODES = {
    400: "InvalidParameterValue",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    406: "NotAcceptable",
    413: "TooLarge",
    429: "TooManyRequests",
    503: "ServiceUnavailable",
}


class PageRenderer(Protocol):
    """How the face draws an HTML page in the site's look (obert.web.respond.page, wired by the app)."""

    def __call__(
        self, request: Request, template: str, *, status_code: int = 200, **context: Any
    ) -> Response: ...


def ogc_status(exc: ObertError) -> int:
    """OGC's status for an obert error: every kind of bad input is a 400 there."""
    return 400 if exc.status in (400, 409, 422) else exc.status


def exception_body(status: int, message: str, errors: list[FieldError]) -> dict[str, Any]:
    detail = "; ".join(f"{e.field}: {e.message}" for e in errors)
    return {
        "code": _CODES.get(status, "ServerError"),
        "description": f"{message} ({detail})" if detail else message,
        "status": status,
    }


def error_response(request: Request, exc: ObertError, html: PageRenderer) -> Response:
    status = ogc_status(exc)
    body = exception_body(status, exc.message, exc.errors)
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
    if _wants_html(request):
        return html(request, "error.html", status_code=status, status=status, message=body["description"])
    return JSONResponse(body, status_code=status, headers=headers)


def _wants_html(request: Request) -> bool:
    try:
        return output_format(request.query_params, request.headers.get("accept", "")) == "html"
    except ObertError:  # a bad `f` is answered in JSON
        return False


def _refusal(request: Request, exc: ObertError) -> Response:
    """A refusal before the endpoint runs (budget, body limit), in OGC's JSON form."""
    status = ogc_status(exc)
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
    body = exception_body(status, exc.message, exc.errors)
    response: Response = JSONResponse(body, status_code=status, headers=headers)
    return response


# The OGC API face: readable from any site, errors in OGC's form, unmatched addresses under its prefix.
OGC = Face("ogc", render=_refusal, cors=True, namespace=("/api/ogc",))


def route_class(html: PageRenderer) -> type[APIRoute]:
    """The route class of the face: its endpoints' errors in OGC's form, pages drawn by `html`."""

    class OgcRoute(FaceRoute):
        face = OGC

        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()

            async def answer(request: Request) -> Response:
                try:
                    return await handler(request)
                except ObertError as exc:
                    return error_response(request, exc, html)
                except RequestValidationError as exc:
                    errors = [
                        FieldError(
                            ".".join(str(p) for p in e.get("loc", ())[1:]) or "request", str(e.get("msg"))
                        )
                        for e in exc.errors()
                    ]
                    return error_response(
                        request, BadRequest("the request is not valid", errors=errors), html
                    )
                except HTTPException as exc:
                    error = ObertError(str(exc.detail) or "error")
                    error.status = exc.status_code
                    return error_response(request, error, html)

            return answer

    return OgcRoute
