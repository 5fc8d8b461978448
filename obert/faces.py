"""Faces: each public face of the portal (native API, CKAN, DCAT, pages, and any standard added later)
declares on its own routes how it answers errors, how large a body it takes, which request budget a call
spends and whether other sites may read it.

A face is a `Face` value; its routers come from `face.router(...)`, whose routes are `FaceRoute`s. When the
router has matched a request (and before anything reads its body), the route applies its face's rules:
CORS preflight, the request budget, the body limit. The app's error handlers ask `face_of(scope)` which
renderer to use. A single route can refine its face's rules with the `@rules(...)` decorator (an export
spends the expensive budget; an upload takes the larger body limit). Adding a face is declaring a `Face`
and building its routers with it: no list of paths to extend anywhere.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

from fastapi import APIRouter, HTTPException, Request
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from obert.auth.users import token_secret
from obert.errors import FieldError, Invalid, ObertError, RateLimited, TooLarge
from obert.ratelimit import RateLimiter
from obert.settings import Settings

Budget = Literal["read", "write", "sql", "login"]
BodyKind = Literal["body", "upload"]
Renderer = Callable[[Request, ObertError], Response]
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
READ_HEADERS = "Accept, Accept-Language, Content-Type, If-None-Match, If-Modified-Since, If-Range, Range"
EXPOSED_HEADERS = (
    "Retry-After, Content-Disposition, Content-Length, Content-Range, Accept-Ranges, ETag, Last-Modified"
)
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class RouteRules:
    """One route's refinement of its face's rules; None keeps the face's choice. `budget` may be a
    function of the request (an export of a whole version is a file read; a filtered one is a query)."""

    budget: Budget | Callable[[Scope], Budget] | None = None
    body: BodyKind | None = None
    cors: bool | None = None
    metered: bool = True
    cache: str | None = None  # the route's Cache-Control when its answer sets none (e.g. "no-store")


DEFAULT_RULES = RouteRules()


def rules(
    *,
    budget: Budget | Callable[[Scope], Budget] | None = None,
    body: BodyKind | None = None,
    cors: bool | None = None,
    metered: bool = True,
    cache: str | None = None,
) -> Callable[[F], F]:
    """Declare a route's own budget, body limit, CORS, metering or caching (under the route decorator)."""

    def mark(endpoint: F) -> F:
        endpoint.__face_rules__ = RouteRules(budget, body, cors, metered, cache)  # type: ignore[attr-defined]
        return endpoint

    return mark


def route_rules(route: object) -> RouteRules:
    rules_: RouteRules = getattr(getattr(route, "endpoint", None), "__face_rules__", DEFAULT_RULES)
    return rules_


def budget_by_method(scope: Scope, route: APIRoute) -> Budget:
    return "read" if scope["method"] in READ_METHODS else "write"


def ordinary_body(scope: Scope, route: APIRoute) -> BodyKind:
    return "body"


@dataclass(frozen=True)
class Face:
    """How one face answers: its error renderer, budgets, body limits, CORS and caching rules.

    `namespace` names the path prefixes whose unmatched addresses (a 404 with no route) the face answers;
    `sessions` says whether a browser's session cookie identifies the caller (pages) or only tokens do;
    `vary` lists the request headers its answers depend on, for caches."""

    name: str
    render: Renderer
    budget: Callable[[Scope, APIRoute], Budget] = budget_by_method
    body: Callable[[Scope, APIRoute], BodyKind] = ordinary_body
    cors: bool = False
    sessions: bool = False
    namespace: tuple[str, ...] = ()
    vary: tuple[str, ...] = ("Authorization",)
    # How a request FastAPI could not validate is told: 422 with a FieldError per parameter (APIs), or
    # a plain 400 about the address (pages, whose visitors did not write the parameters themselves).
    field_errors: bool = True
    route_class: type[APIRoute] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        route_class = type(f"{self.name.title()}Route", (FaceRoute,), {"face": self})
        object.__setattr__(self, "route_class", route_class)

    def router(self, **kwargs: Any) -> APIRouter:
        """An APIRouter whose routes belong to this face."""
        return APIRouter(route_class=self.route_class, **kwargs)

    def __hash__(self) -> int:
        return hash(self.name)


@dataclass
class Guard:
    """What the routes need at request time to apply their face's rules (kept in app.state.guard)."""

    settings: Settings
    limiter: RateLimiter
    owner_of: Callable[[str], str | None]
    owners: TokenOwners = field(init=False)

    def __post_init__(self) -> None:
        self.owners = TokenOwners(self.owner_of)

    def budget_text(self, name: Budget) -> str:
        s = self.settings
        return {
            "read": s.rate_limit_reads,
            "write": s.rate_limit_writes,
            "sql": s.rate_limit_sql,
            "login": s.rate_limit_login,
        }[name]

    def body_limit(self, kind: BodyKind) -> int:
        return self.settings.max_upload_bytes if kind == "upload" else self.settings.max_body_bytes

    async def spend(self, scope: Scope, name: Budget) -> RateLimited | None:
        if not self.settings.rate_limits_enabled:
            return None
        try:
            self.limiter.hit(self.budget_text(name), name, await self.client_key(scope))
        except RateLimited as exc:
            return exc
        return None

    async def client_key(self, scope: Scope) -> str:
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


class FaceRoute(APIRoute):
    """A route of a face: applies the face's CORS, budget and body limit once the route is known, before
    the endpoint (or FastAPI's body parsing) runs."""

    face: Face

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        own = route_rules(self)
        face = self.face
        method = scope["method"]
        headers = Headers(scope=scope)
        cors = face.cors if own.cors is None else own.cors
        if cors and method == "OPTIONS" and "access-control-request-method" in headers:
            await _preflight(headers)(scope, receive, send)
            return
        if cors and "origin" in headers and method in ("GET", "HEAD"):
            send = _with_cors(send)
        guard: Guard | None = getattr(scope["app"].state, "guard", None) if "app" in scope else None
        if guard is not None and own.metered:
            chosen = own.budget(scope) if callable(own.budget) else own.budget
            refused = await guard.spend(scope, chosen or face.budget(scope, self))
            if refused is not None:
                await face.render(Request(scope, receive), refused)(scope, receive, send)
                return
        if guard is not None and method not in READ_METHODS:
            limit = guard.body_limit(own.body or face.body(scope, self))
            declared = headers.get("content-length")
            if declared is not None and not declared.isdigit():
                bad = Invalid("bad header", errors=[FieldError("Content-Length", "not a number")])
                await face.render(Request(scope, receive), bad)(scope, receive, send)
                return
            if declared is not None and int(declared) > limit:
                await face.render(Request(scope, receive), too_large(limit))(scope, receive, send)
                return
            receive = _counted(receive, limit)
        await super().handle(scope, receive, send)


def _counted(receive: Receive, limit: int) -> Receive:
    seen = 0

    async def counted() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                # Raised inside FastAPI's body parsing, which hands HTTPExceptions to the error handler.
                raise HTTPException(413, too_large(limit).message)
        return message

    return counted


def too_large(limit: int) -> TooLarge:
    return TooLarge(f"the request body is larger than the {limit:,} bytes this address accepts")


def _preflight(headers: Headers) -> Response:
    wanted = headers["access-control-request-method"].upper()
    if wanted not in ("GET", "HEAD"):  # writes are never made from other sites' pages
        return Response(status_code=403)
    return Response(
        status_code=204,
        headers={
            "Access-Control-Allow-Origin": "*",
            "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
            "Access-Control-Allow-Headers": READ_HEADERS,
            "Access-Control-Max-Age": "600",
        },
    )


def _with_cors(send: Send) -> Send:
    async def send_with_cors(message: Message) -> None:
        if message["type"] == "http.response.start":
            out = MutableHeaders(scope=message)
            out["Access-Control-Allow-Origin"] = "*"
            out["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        await send(message)

    return send_with_cors


def face_of(scope: Scope, default: Face) -> Face:
    """The face that answers this request: its route's, else the face whose namespace holds the path."""
    face: Face | None = getattr(scope.get("route"), "face", None)
    if face is not None:
        return face
    faces: tuple[Face, ...] = getattr(scope["app"].state, "faces", ()) if "app" in scope else ()
    path: str = scope.get("path", "")
    best: tuple[int, Face] = (0, default)
    for candidate in faces:
        for prefix in candidate.namespace:
            if path.startswith(prefix) and len(prefix) > best[0]:
                best = (len(prefix), candidate)
    return best[1]


def faces_of(routes: list[Any]) -> tuple[Face, ...]:
    """Every face that some route declares (what create_app keeps for face_of)."""
    found: dict[str, Face] = {}
    for route in routes:
        face = getattr(route, "face", None)
        if face is None:
            original = getattr(route, "original_router", None)  # FastAPI's included routers
            if original is not None:
                for inner in faces_of(list(original.routes)):
                    found.setdefault(inner.name, inner)
            continue
        found.setdefault(face.name, face)
    return tuple(found.values())


def content_security_policy(settings: Settings, *, frame_ancestors: str) -> str:
    """The site's Content-Security-Policy, with `frame_ancestors` saying which pages may frame it."""
    img = "'self' data:"
    if settings.map_tile_url:
        tiles = urlsplit(settings.map_tile_url)
        img += f" {tiles.scheme}://{tiles.netloc}"
    return (
        f"default-src 'self'; img-src {img}; object-src 'none'; frame-ancestors {frame_ancestors}; "
        "base-uri 'self'; form-action 'self'"
    )
