"""SPARQL 1.1 Protocol at /sparql: queries by GET (`query=`) and POST (a form, or the query itself as
`application/sparql-query`), over the public catalogue graph.

The face answers errors as the protocol does, in plain text: 400 for a malformed query, an update or a
query past its budget, 429 (with Retry-After) past the caller's request budget, 503 when busy; each in
the language the caller's Accept-Language asks for, as far as obert has the message in it. Its routes
carry their own error rendering (`SparqlRoute`), so nothing else in the app needs to know where SPARQL
lives.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from obert.api.errors import api_lang
from obert.deps import PortalDep
from obert.errors import BadRequest, Invalid, ObertError, RateLimited, msg
from obert.faces import Face, FaceRoute
from obert.i18n import localize, localized
from obert.sparql import Reply
from obert.types import Lang

PAGE = "/sparql/editor"  # the query page, for a browser that opens /sparql itself
_FORM = "application/x-www-form-urlencoded"
_QUERY_BODY = "application/sparql-query"
_UPDATE_BODY = "application/sparql-update"
_READ_ONLY = msg("SPARQL updates are not accepted: this endpoint is read-only")


def _refusal(request: Request, exc: ObertError) -> Response:
    response: Response = refusal(exc, api_lang(request.headers.get("accept-language")))
    return response


# The SPARQL face: queries are readable from any site and spend the expensive (SQL) budget; errors are
# plain text as the protocol has them.
SPARQL = Face(
    "sparql",
    render=_refusal,
    cors=True,
    namespace=("/sparql",),
    budget=lambda scope, route: "sql",
)


class SparqlRoute(FaceRoute):
    """A route that answers every error in the SPARQL protocol's own form."""

    face = SPARQL

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await handle(request)
            except ObertError as exc:
                return _refusal(request, exc)
            except RequestValidationError as exc:
                problem = str(exc.errors()[0].get("msg", "invalid parameter"))
                return _refusal(request, BadRequest(msg("bad request: {problem}", problem=problem)))

        return handler


router = APIRouter(tags=["sparql"], route_class=SparqlRoute)
QueryParam = Annotated[str | None, Query(description="a SPARQL 1.1 query (SELECT, ASK, CONSTRUCT, DESCRIBE)")]
FormatParam = Annotated[
    str | None,
    Query(
        description="json, xml, csv or tsv for SELECT and ASK; turtle, json-ld, n-triples or rdf+xml for "
        "CONSTRUCT and DESCRIBE; without it, the Accept header chooses"
    ),
]


@router.get(
    "/sparql",
    summary="SPARQL 1.1 query over the public catalogue graph (DCAT-AP)",
    responses={400: {"description": "malformed query, update or query past its budget (text/plain)"}},
    description=(
        "SPARQL 1.1 Protocol over the public catalogue graph (datasets, distributions, publishers, "
        "themes, data services; never private or draft datasets). SELECT and ASK answer as JSON, XML, CSV "
        "or TSV; CONSTRUCT and DESCRIBE as Turtle, JSON-LD, N-Triples or RDF/XML, by `format` or Accept. "
        "Updates and SERVICE are refused; a query has a time budget and a cap on its results."
    ),
)
async def sparql_get(
    request: Request,
    portal: PortalDep,
    query: QueryParam = None,
    format: FormatParam = None,  # the protocol's own parameter name
    update: Annotated[str | None, Query(include_in_schema=False)] = None,
) -> Response:
    if update is not None:
        raise Invalid(_READ_ONLY)
    if query is None:
        if "text/html" in request.headers.get("accept", ""):
            return RedirectResponse(PAGE, status_code=303)
        raise BadRequest(msg("send a SPARQL query in the `query` parameter"))
    return await _answer(portal, query, format, request)


@router.post(
    "/sparql",
    summary="SPARQL 1.1 query sent in the body (a form, or application/sparql-query)",
    description="The same query as GET /sparql, sent in the body: a form with `query`, or the query itself "
    "as `application/sparql-query`. Updates are refused.",
)
async def sparql_post(request: Request, portal: PortalDep, format: FormatParam = None) -> Response:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == _UPDATE_BODY:
        raise Invalid(_READ_ONLY)
    if kind == _QUERY_BODY:
        try:
            query = (await request.body()).decode("utf-8")
        except UnicodeDecodeError:
            raise BadRequest(msg("the query is not valid UTF-8")) from None
    elif kind == _FORM:
        form = await request.form()
        if form.get("update") is not None:
            raise Invalid(_READ_ONLY)
        text = form.get("query")
        if not isinstance(text, str):
            raise BadRequest(msg("send a SPARQL query in the `query` form field"))
        query = text
        found = form.get("format")
        format = found if isinstance(found, str) else format
    else:
        raise BadRequest(
            msg(
                "send the query as {media_type} or as the `query` field of a {form} form",
                media_type=_QUERY_BODY,
                form=_FORM,
            )
        )
    return await _answer(portal, query, format, request)


async def _answer(portal: PortalDep, query: str, format_param: str | None, request: Request) -> Response:
    reply: Reply = await run_in_threadpool(
        portal.sparql.answer, query=query, format_param=format_param, accept=request.headers.get("accept")
    )
    headers = {"Vary": "Accept", "Cache-Control": "no-store"}
    if reply.truncated:
        headers["Obert-Results-Truncated"] = "true"
    media = reply.format.media_type
    if media.startswith("text/"):
        media += "; charset=utf-8"
    return Response(reply.body, media_type=media, headers=headers)


def refusal(exc: ObertError, lang: Lang) -> PlainTextResponse:
    """An error as the protocol answers it: plain text, in `lang` where obert has the message in it."""
    text, said_in = localized(exc.message, lang)
    details = "; ".join(f"{e.field}: {localize(e.message, lang)}" for e in exc.errors if e.message)
    headers = {"Content-Language": said_in, "Vary": "Accept-Language"}
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(exc.retry_after)
    # Invalid is 422 elsewhere; the protocol answers every refused query 400.
    status = 400 if exc.status == 422 else exc.status
    return PlainTextResponse(
        (f"{text} ({details})" if details else text) + "\n", status_code=status, headers=headers
    )
