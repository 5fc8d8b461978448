"""create_app(settings): the ASGI application with its faces, middleware and one error handler per face."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from obert.api import dcat, interchange, sparql
from obert.api import openapi as api_openapi
from obert.api.ckan.routes import mount as mount_ckan
from obert.api.conditional import HttpSemantics
from obert.api.errors import invalid_from
from obert.api.middleware import SecurityHeadersMiddleware
from obert.api.ogc import ogc_router
from obert.api.system import router as system_router
from obert.api.v1 import audit as v1_audit
from obert.api.v1 import datasets as v1_datasets
from obert.api.v1 import datastore as v1_datastore
from obert.api.v1 import datastore_map as v1_datastore_map
from obert.api.v1 import events as v1_events
from obert.api.v1 import groups as v1_groups
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
from obert.errors import BadRequest, NotFound, ObertError, TooLarge, msg
from obert.faces import Guard, face_of, faces_of
from obert.observe.requests import RequestObserver, RouteCapture
from obert.portal import Portal, build_portal
from obert.routing import index_routes
from obert.settings import Settings
from obert.stats.usage import flush as flush_usage
from obert.web import (
    account,
    brand,
    browse,
    chart_pages,
    feeds,
    harvest_pages,
    pages,
    publish,
    publish_release,
    publish_resources,
    seo,
    sparql_page,
    stats_page,
)
from obert.web.face import PAGES
from obert.web.language import LanguageMiddleware
from obert.web.respond import page
from obert.web.templating import render
from obert.web.usage import UsageMiddleware

log = logging.getLogger("obert")
STATIC = Path(__file__).parent / "web" / "static"
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
        if settings.mode != "test":
            # The SPARQL graph is loaded (or built) now rather than by the first query; tests start it
            # when they query.
            portal.sparql.graph.start()
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
            "SQL and export. Tables with positions are also served to GIS programs as OGC API - Features "
            "collections at [/api/ogc](/api/ogc)."
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
        v1_groups,
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
    app.include_router(ogc_router(html=page))  # OGC API - Features: its routes answer errors in OGC's form
    mount_ckan(app)
    app.include_router(interchange.router)
    app.include_router(dcat.router)  # before the pages: /dataset/<name>.ttl is not a dataset page
    app.include_router(sparql.router)
    app.include_router(sparql_page.router)
    app.include_router(pages.router)
    app.include_router(chart_pages.router)
    app.include_router(browse.router)
    app.include_router(brand.router)
    app.include_router(seo.router)
    app.include_router(feeds.router)
    app.include_router(stats_page.router)
    app.include_router(account.router)
    app.include_router(publish.router)
    app.include_router(publish_resources.router)
    app.include_router(publish_release.router)
    app.include_router(harvest_pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/api/docs", include_in_schema=False)
    def api_docs(request: Request) -> HTMLResponse:
        # A page of the site, in the reader's language (/ca/api/docs too), that leads to the reference.
        return page(request, "api_docs.html", openapi_url="/api/v1/openapi.json")

    @app.get("/api/docs/reference", include_in_schema=False)
    def api_reference() -> HTMLResponse:
        # Swagger UI, in English, on a page of its own (its markup brings its own landmarks). Our own page:
        # FastAPI's helper inlines a script, which the Content-Security-Policy forbids.
        return HTMLResponse(render("en", "api_reference.html", openapi_url="/api/v1/openapi.json"))

    @app.get("/api", include_in_schema=False)
    def api_root() -> RedirectResponse:
        return RedirectResponse("/api/docs")

    _install_error_handlers(app)
    index_routes(app.router)  # a request is matched against the routes of its first path segment only
    # Each face's routes apply its budgets, body limits and CORS (obert.faces); they read these at
    # request time, and the error handlers find the face of an unmatched address among app.state.faces.
    app.state.guard = Guard(
        settings=settings,
        limiter=portal.limiter,
        owner_of=lambda secret: token_owner(store=portal.store, secret=secret),
    )
    app.state.faces = faces_of(list(app.routes))
    # Added innermost first; all pure ASGI. Outermost: security headers (so refusals carry them too), the
    # language (so refusals are in the visitor's language), RDF negotiation, metrics, usage counts, then
    # HTTP's read semantics (HEAD, ETag, 304, Cache-Control) right around the routes, where the scope it
    # sees is the one the router fills in.
    app.add_middleware(RouteCapture)  # innermost: hands the route that answered to RequestObserver
    app.add_middleware(HttpSemantics, max_age=settings.http_max_age, default_face=PAGES)
    app.add_middleware(UsageMiddleware, counter=portal.usage)
    app.add_middleware(dcat.RdfNegotiation)
    app.add_middleware(LanguageMiddleware, default=settings.default_lang)
    app.add_middleware(  # request id, one log event and the metrics per request
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


def _install_error_handlers(app: FastAPI) -> None:
    """One handler per kind of error; the face of the route (or of the address) renders it."""

    @app.exception_handler(ObertError)
    async def obert_error(request: Request, exc: ObertError) -> Response:
        return face_of(request.scope, PAGES).render(request, exc)

    @app.exception_handler(RequestValidationError)
    async def request_invalid(request: Request, exc: RequestValidationError) -> Response:
        face = face_of(request.scope, PAGES)
        error = invalid_from(exc) if face.field_errors else BadRequest(msg("the address has a bad parameter"))
        return face.render(request, error)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        detail = str(exc.detail) if exc.detail else "error"
        error: ObertError
        if exc.status_code == 404:
            error = NotFound(msg("nothing at {path}", path=request.url.path))
        elif exc.status_code == 413:
            error = TooLarge(detail)
        else:
            error = BadRequest(detail)
            error.status = exc.status_code
        response = face_of(request.scope, PAGES).render(request, error)
        for name, value in (exc.headers or {}).items():  # Allow: of a 405
            response.headers[name] = value
        return response
