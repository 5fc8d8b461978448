"""create_app(settings): the ASGI application with its faces, middleware and one error handler per face."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope

from obert.api import dcat
from obert.api import openapi as api_openapi
from obert.api.ckan.envelope import ckan_error_response, is_ckan
from obert.api.ckan.routes import mount as mount_ckan
from obert.api.errors import http_error_response, obert_error_response, validation_error_response
from obert.api.middleware import (
    BodyLimitMiddleware,
    RateLimitMiddleware,
    ReadOnlyCorsMiddleware,
    SecurityHeadersMiddleware,
)
from obert.api.system import router as system_router
from obert.api.v1 import audit as v1_audit
from obert.api.v1 import datasets as v1_datasets
from obert.api.v1 import datastore as v1_datastore
from obert.api.v1 import datastore_map as v1_datastore_map
from obert.api.v1 import events as v1_events
from obert.api.v1 import harvest as v1_harvest
from obert.api.v1 import index as v1_index
from obert.api.v1 import members as v1_members
from obert.api.v1 import organizations as v1_organizations
from obert.api.v1 import privacy as v1_privacy
from obert.api.v1 import quality as v1_quality
from obert.api.v1 import resources as v1_resources
from obert.api.v1 import schema_changes as v1_schema_changes
from obert.api.v1 import search as v1_search
from obert.api.v1 import stats as v1_stats
from obert.api.v1 import subscriptions as v1_subscriptions
from obert.api.v1 import tokens as v1_tokens
from obert.api.v1 import transitions as v1_transitions
from obert.api.v1 import watch as v1_watch
from obert.auth.users import token_owner
from obert.errors import BadRequest, Invalid, NotFound, ObertError, RateLimited
from obert.observe.requests import RequestObserver, RouteCapture
from obert.portal import Portal, build_portal
from obert.settings import Settings
from obert.stats.usage import flush as flush_usage
from obert.web import (
    account,
    brand,
    browse,
    feeds,
    harvest_pages,
    pages,
    publish,
    publish_release,
    seo,
    stats_page,
)
from obert.web.language import LanguageMiddleware
from obert.web.respond import page
from obert.web.templating import render
from obert.web.usage import UsageMiddleware

log = logging.getLogger("obert")
STATIC = Path(__file__).parent / "web" / "static"
API_PREFIXES = ("/api/", "/health", "/metrics", "/catalog.")
RDF_SUFFIXES = (".ttl", ".rdf", ".jsonld")  # /dataset/<name>.ttl: machines read these, so errors are JSON
OPENAPI_TAGS = [
    {"name": "datasets", "description": "DCAT-AP datasets: create, read, list, replace, patch, delete."},
    {"name": "resources", "description": "Files and links of a dataset; a tabular upload queues an ingest."},
    {"name": "organizations", "description": "Publishers."},
    {
        "name": "datastore",
        "description": (
            "Every tabular resource (CSV, TSV, XLSX, ODS, JSON, GeoJSON, Parquet) becomes a typed table "
            "with a version per upload. Address a table by its resource's id or name; add `?version=N` to "
            "any route to read an older version. Rows answer `{fields, data, count, next}`."
        ),
    },
    {"name": "jobs", "description": "Background work (ingests) and its progress."},
]


def create_app(settings: Settings, *, portal: Portal | None = None) -> FastAPI:
    portal = portal or build_portal(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The embedded mode runs background jobs in the web process; scale-out leaves them to `obert worker`.
        runner = (
            portal.job_runner(settings.job_threads) if settings.job_threads and portal.job_handlers else None
        )
        if runner:
            runner.start()
        app.state.job_runner = runner
        app.state.shutting_down = False
        stop_flushing = threading.Event()
        flusher = threading.Thread(
            target=_flush_usage_every,
            args=(portal, settings.usage_flush_seconds, stop_flushing),
            name="obert-usage",
            daemon=True,
        )
        flusher.start()
        yield
        # Uvicorn has stopped accepting and finished the requests in flight by now.
        app.state.shutting_down = True
        stop_flushing.set()
        flusher.join()
        if runner:
            runner.stop(settings.job_shutdown_grace_seconds)

    app = FastAPI(
        lifespan=lifespan,
        title="obert API",
        version="1",
        description=(
            "The open data portal's native API: catalogue (DCAT-AP), resources and organisations, and the "
            "datastore, where every tabular resource is a versioned table to filter, aggregate, query with "
            "SQL and export."
        ),
        openapi_tags=OPENAPI_TAGS,
        openapi_url="/api/v1/openapi.json",
        docs_url=None,
        redoc_url=None,
        generate_unique_id_function=api_openapi.operation_id,  # ops: readable operation ids
    )
    app.state.portal = portal
    api_openapi.install(app, tags=OPENAPI_TAGS)  # ops: security scheme, tag order, examples

    for module in (
        v1_index,
        v1_search,
        v1_transitions,
        v1_datasets,
        v1_members,
        v1_organizations,
        v1_resources,
        v1_tokens,
        v1_audit,
        v1_quality,
        v1_datastore,
        v1_datastore_map,
        v1_privacy,
        v1_schema_changes,
        v1_harvest,
        v1_subscriptions,
        v1_events,
        v1_watch,
        v1_stats,
    ):
        app.include_router(module.router)
    app.include_router(system_router)
    mount_ckan(app)
    app.include_router(dcat.router)  # before the pages: /dataset/<name>.ttl is not a dataset page
    app.include_router(pages.router)
    app.include_router(browse.router)
    app.include_router(brand.router)
    app.include_router(seo.router)
    app.include_router(feeds.router)
    app.include_router(stats_page.router)
    app.include_router(account.router)
    app.include_router(publish.router)
    app.include_router(publish_release.router)
    app.include_router(harvest_pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/api/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        # Our own page: FastAPI's helper inlines a script, which the Content-Security-Policy forbids.
        return HTMLResponse(render("en", "api_docs.html", openapi_url="/api/v1/openapi.json"))

    @app.get("/api", include_in_schema=False)
    def api_root() -> RedirectResponse:
        return RedirectResponse("/api/docs")

    _install_error_handlers(app)
    # Added innermost first. Outermost: security headers (so refusals carry them too), then CORS, the
    # language (so refusals are in the visitor's language), budgets, RDF negotiation, metrics, usage
    # counts, then body limits. All are pure ASGI; body limits sit innermost all the same, since a
    # BaseHTTPMiddleware between them and the app would wrap the mid-stream 413 in an exception group that
    # FastAPI's body parser turns into a 400.
    app.add_middleware(RouteCapture)  # ops: innermost, hands the route that answered to RequestObserver
    app.add_middleware(
        BodyLimitMiddleware,
        max_body=settings.max_body_bytes,
        max_upload=settings.max_upload_bytes,
        respond=_refusal,
    )
    app.add_middleware(UsageMiddleware, counter=portal.usage)
    app.add_middleware(dcat.RdfNegotiation)
    app.add_middleware(
        RateLimitMiddleware,
        limiter=portal.limiter,
        settings=settings,
        respond=_refusal,
        owner_of=lambda secret: token_owner(store=portal.store, secret=secret),
    )
    app.add_middleware(LanguageMiddleware, default=settings.default_lang)
    app.add_middleware(ReadOnlyCorsMiddleware)
    app.add_middleware(  # ops: request id, one log event and the metrics per request
        RequestObserver,
        metrics=portal.metrics,
        log_requests=settings.access_log,
        client_ip=settings.log_client_ip,
        pool=portal.store.pool_usage,
    )
    app.add_middleware(SecurityHeadersMiddleware, settings=settings)
    return app


def _flush_usage_every(portal: Portal, seconds: float, stop: threading.Event) -> None:
    # Counts live in memory between flushes; the last flush runs when the server stops.
    while not stop.wait(seconds):
        try:
            flush_usage(portal.store, portal.usage)
        except ObertError as exc:  # the database is away: the counts wait for the next flush
            log.warning("usage counts not flushed: %s", exc.message)
    try:
        flush_usage(portal.store, portal.usage)
    except ObertError as exc:
        log.warning("usage counts lost at shutdown: %s", exc.message)


def _refusal(scope: Scope, exc: ObertError) -> Response:
    """The response of a request refused by middleware, in the shape of the face it was sent to."""
    request = Request(scope)
    if _is_api(request):
        return obert_error_response(exc)
    if exc.status == 401 and request.method == "GET":
        # A signed-out visitor who follows a link to a staff page is sent to sign in, then back.
        lang = getattr(request.state, "lang", "ca")
        return RedirectResponse(f"/{lang}/login?next={quote(request.url.path)}", status_code=303)
    response = _html_error(request, exc.status, exc.message)
    if isinstance(exc, RateLimited):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIXES) or request.url.path.endswith(RDF_SUFFIXES)


def _html_error(request: Request, status: int, message: str) -> Response:
    return page(request, "error.html", status=status, status_code=status, message=message)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ObertError)
    async def obert_error(request: Request, exc: ObertError) -> Response:
        if is_ckan(request.url.path):
            return ckan_error_response(request, exc)
        if _is_api(request):
            return obert_error_response(exc)
        return _refusal(request.scope, exc)

    @app.exception_handler(RequestValidationError)
    async def request_invalid(request: Request, exc: RequestValidationError) -> Response:
        if is_ckan(request.url.path):
            return ckan_error_response(request, Invalid("the request is not valid"))
        if _is_api(request):
            return validation_error_response(exc)
        return _html_error(request, 400, "the address has a bad parameter")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        detail = str(exc.detail) if exc.detail else "error"
        if exc.status_code == 404:
            detail = f"nothing at {request.url.path}"
        if is_ckan(request.url.path):
            error = NotFound(detail) if exc.status_code == 404 else BadRequest(detail)
            return ckan_error_response(request, error)
        if _is_api(request):
            return http_error_response(exc.status_code, detail)
        return _html_error(request, exc.status_code, detail)
