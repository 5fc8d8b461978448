"""One event per request: its id (returned in `X-Request-ID`, and carried into the jobs it queues), the
route template, status, duration and the signed-in account; and the request metrics, labelled alike.

Pure ASGI (no BaseHTTPMiddleware), outermost but for the security headers, so refusals by the other
middleware are logged and counted too. The client's address is logged only with OBERT_LOG_CLIENT_IP.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from obert.metrics import REFUSALS, Metrics
from obert.observe.logs import event
from obert.observe.routes import datastore_operation, route_template, search_face
from obert.requestctx import USER_SCOPE_KEY, bind_request_id, unbind

log = logging.getLogger("obert.request")
HEADER = "X-Request-ID"
# An incoming id is kept when it is short and plain (a proxy's or a client's), so one id follows a request
# through every hop; anything else could forge log lines or bloat them, and is replaced.
_SANE_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{8,128}")
SEEN = "obert.seen"


class RouteCapture:
    """Innermost: hands the route that answered (and the account the request was made as) back to the
    observer, through a dict the observer put in the scope; the scope the router fills may be a copy."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        finally:
            seen = scope.get(SEEN)
            if seen is not None:
                seen.update({k: scope[k] for k in ("route", "path", USER_SCOPE_KEY) if k in scope})


class RequestObserver:
    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: Metrics,
        log_requests: bool = True,
        client_ip: bool = False,
        pool: Callable[[], tuple[int, int]] | None = None,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.log_requests = log_requests
        self.client_ip = client_ip
        self.pool = pool  # (connections in use, connections open) of the database pool

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get("x-request-id", "")
        request_id = incoming if _SANE_ID.fullmatch(incoming) else uuid.uuid4().hex
        token = bind_request_id(request_id)
        seen: dict[str, object] = {}
        scope[SEEN] = seen  # middleware that rewrite the path copy the scope, and this dict with it
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                MutableHeaders(scope=message)[HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            answered = {**scope, **seen}
            template = route_template(answered)
            self._measure(scope, template, status, seconds)
            if self.log_requests:
                self._log(answered, request_id, template, status, seconds)
            unbind(token)

    def _measure(self, scope: Scope, template: str, status: int, seconds: float) -> None:
        metrics = self.metrics
        metrics.requests.labels(scope["method"], template, str(status)).inc()
        metrics.latency.labels(template).observe(seconds)
        if status in REFUSALS:
            metrics.refusals.labels(str(status), template).inc()
        elif status < 400:
            if (face := search_face(template)) is not None:
                metrics.search_latency.labels(face).observe(seconds)
            elif (operation := datastore_operation(template)) is not None:
                metrics.datastore_latency.labels(operation).observe(seconds)
        if self.pool is not None:
            in_use, open_ = self.pool()
            metrics.db_pool.labels("in_use").set(in_use)
            metrics.db_pool.labels("open").set(open_)

    def _log(self, scope: Scope, request_id: str, template: str, status: int, seconds: float) -> None:
        client = scope.get("client")
        fields = event(
            event="request",
            request_id=request_id,
            method=scope["method"],
            route=template,
            path=scope.get("path"),
            status=status,
            duration_ms=round(seconds * 1000, 1),
            user_id=scope.get(USER_SCOPE_KEY),
            client_ip=client[0] if self.client_ip and client else None,
        )
        level = logging.ERROR if status >= 500 else logging.INFO
        log.log(level, "%s %s %d %.1f ms", scope["method"], template, status, seconds * 1000, extra=fields)
