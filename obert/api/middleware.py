"""ASGI middleware that guards every request: budgets, body sizes, CORS for reads, security headers.

Pure ASGI (no BaseHTTPMiddleware) so streamed downloads and exports pass through untouched. Refusals are
built by the `respond` callable the app hands in, so they take the one error shape of the face they hit.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from fastapi import HTTPException
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from obert.auth.users import token_secret
from obert.errors import FieldError, Invalid, ObertError, RateLimited, TooLarge
from obert.ratelimit import RateLimiter
from obert.settings import Settings

Respond = Callable[[Scope, ObertError], Response]
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
UNMETERED = ("/static/", "/health")
READ_HEADERS = "Accept, Accept-Language, Content-Type, If-None-Match"
PERMISSIONS = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
_EXPENSIVE = re.compile(r"/(sql|export|exports|query)(\.[a-z]+)?(/|$)")


class RateLimitMiddleware:
    """Budgets per account (all of its tokens together) or, without a live token, per address, for
    reads, writes, SQL/exports and sign-in.

    Keyed by the token itself, a budget was renewed by minting another token; `owner_of` names the
    account behind a token (a database lookup, remembered for OWNER_SECONDS)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        limiter: RateLimiter,
        settings: Settings,
        respond: Respond,
        owner_of: Callable[[str], str | None],
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.settings = settings
        self.respond = respond
        self.owners = TokenOwners(owner_of)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.settings.rate_limits_enabled:
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith(UNMETERED):
            await self.app(scope, receive, send)
            return
        budget_name, budget = self._budget(scope["method"], path)
        try:
            self.limiter.hit(budget, budget_name, await self._client_key(scope))
        except RateLimited as exc:
            await self.respond(scope, exc)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _budget(self, method: str, path: str) -> tuple[str, str]:
        s = self.settings
        if path.rstrip("/") == "/login" and method == "POST":
            return "login", s.rate_limit_login
        if _EXPENSIVE.search(path):
            return "sql", s.rate_limit_sql
        if method in READ_METHODS:
            return "read", s.rate_limit_reads
        return "write", s.rate_limit_writes

    async def _client_key(self, scope: Scope) -> str:
        auth = Headers(scope=scope).get("authorization", "").strip()
        if auth:
            owner = await self.owners.owner(token_secret(auth))
            if owner is not None:
                return "user:" + owner
        # No token, or one that is made up, revoked or expired: the caller's address pays.
        client = scope.get("client")
        return "ip:" + (client[0] if client else "unknown")


OWNER_SECONDS = 60.0
OWNERS_KEPT = 10_000


class TokenOwners:
    """Which account a token belongs to, looked up once a minute at most per token (a revoked token
    stops counting for its account within that minute). Only digests of tokens are kept."""

    def __init__(self, owner_of: Callable[[str], str | None]) -> None:
        self._owner_of = owner_of
        self._known: dict[str, tuple[str, float]] = {}

    async def owner(self, secret: str) -> str | None:
        digest = hashlib.sha256(secret.encode()).hexdigest()
        now = time.monotonic()
        known = self._known.get(digest)
        if known is not None and known[1] > now:
            return known[0]
        try:
            owner = await run_in_threadpool(self._owner_of, secret)
        except ObertError:  # the database is away: the address pays, and the request fails anyway
            return None
        if owner is not None:
            if len(self._known) >= OWNERS_KEPT:
                self._known.clear()
            self._known[digest] = (owner, now + OWNER_SECONDS)
        return owner


class BodyLimitMiddleware:
    """413 before the body is read when Content-Length says it is too big, and as soon as a streamed body
    passes the limit otherwise. Uploads (paths ending in /upload) have their own, larger limit."""

    def __init__(self, app: ASGIApp, *, max_body: int, max_upload: int, respond: Respond) -> None:
        self.app = app
        self.max_body = max_body
        self.max_upload = max_upload
        self.respond = respond

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in READ_METHODS:
            await self.app(scope, receive, send)
            return
        limit = self.max_upload if scope["path"].rstrip("/").endswith("/upload") else self.max_body
        declared = Headers(scope=scope).get("content-length")
        if declared is not None:
            if not declared.isdigit():
                bad = Invalid("bad header", errors=[FieldError("Content-Length", "not a number")])
                await self.respond(scope, bad)(scope, receive, send)
                return
            if int(declared) > limit:
                await self.respond(scope, _too_large(limit))(scope, receive, send)
                return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    # Raised inside the app's body parsing, which hands HTTPExceptions to the error handler.
                    raise HTTPException(413, _too_large(limit).message)
            return message

        await self.app(scope, counted, send)


def _too_large(limit: int) -> TooLarge:
    return TooLarge(f"the request body is larger than the {limit:,} bytes this address accepts")


class ReadOnlyCorsMiddleware:
    """Cross-origin reads of the JSON API from any site, without credentials; nothing else is shared."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        method = scope["method"]
        if origin and method == "OPTIONS" and "access-control-request-method" in headers:
            wanted = headers["access-control-request-method"].upper()
            if wanted in ("GET", "HEAD"):
                preflight = Response(
                    status_code=204,
                    headers={
                        "Access-Control-Allow-Origin": "*",
                        "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
                        "Access-Control-Allow-Headers": READ_HEADERS,
                        "Access-Control-Max-Age": "600",
                    },
                )
            else:  # writes are never made from other sites' pages
                preflight = Response(status_code=403)
            await preflight(scope, receive, send)
            return
        if not origin or method not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                out["Access-Control-Allow-Origin"] = "*"
                out["Access-Control-Expose-Headers"] = "Retry-After, Content-Disposition"
            await send(message)

        await self.app(scope, receive, send_with_cors)


class SecurityHeadersMiddleware:
    """The headers every response carries: a strict CSP (no inline script or style), no sniffing, no
    framing, a tight referrer policy, and HSTS when the portal is served over HTTPS."""

    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.headers = security_headers(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                for key, value in self.headers.items():
                    if key not in out:
                        out[key] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


def security_headers(settings: Settings) -> dict[str, str]:
    img = "'self' data:"
    if settings.map_tile_url:
        tiles = urlsplit(settings.map_tile_url)
        img += f" {tiles.scheme}://{tiles.netloc}"
    csp = (
        f"default-src 'self'; img-src {img}; object-src 'none'; frame-ancestors 'none'; "
        "base-uri 'self'; form-action 'self'"
    )
    headers = {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "Permissions-Policy": PERMISSIONS,
        "Cross-Origin-Opener-Policy": "same-origin",
        "X-Frame-Options": "DENY",
    }
    if settings.base_url.startswith("https://"):
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return headers
