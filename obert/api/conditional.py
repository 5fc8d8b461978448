"""HTTP's read semantics for every GET route, in one pure ASGI middleware: HEAD, validators (ETag),
conditional requests (304) and caching rules that proxies and CDNs can follow.

- HEAD is served by the GET route with the body left out; the route stops as soon as its headers are out
  (a streamed export is not computed for nothing).
- A complete answer sent in one piece (every JSON, RDF and page answer) gets a strong ETag, the digest of
  its bytes, unless its route set one (files and exports do, from what identifies their bytes).
- `If-None-Match` (or, without it, `If-Modified-Since` against the route's `Last-Modified`) answers 304.
- A route that can tell cheaply whether the caller's copy is current (dataset and resource reads, from
  obert.catalog.revision) asks `revalidate` first and answers 304 without building its answer; it
  stamps its full answer with the same validators (`stamped`).
- Cache-Control, when the route set none: errors and redirects `no-store`; answers that set a cookie
  `private, no-store`; answers to a caller who names themselves (a token, a session cookie) `private,
  no-cache`, since they may hold what only that caller may see; anything else `public, max-age=N`. The
  request headers a face's answers depend on go in `Vary`.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from obert.catalog.revision import Revision
from obert.deps import SESSION_COOKIE
from obert.faces import Face, face_of, route_rules

KEPT_BY_304 = ("etag", "last-modified", "cache-control", "vary", "content-location", "expires")
NO_STORE_STATUSES = frozenset({302, 303, 307})


class _Finished(Exception):
    """The answer is complete (a HEAD, a 304): whatever the route still sends is not wanted."""


class HttpSemantics:
    def __init__(self, app: ASGIApp, *, max_age: int, default_face: Face) -> None:
        self.app = app
        self.max_age = max_age
        self.default_face = default_face

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        head = scope["method"] == "HEAD"
        outer = scope
        if head:  # a copy: the server must still know that no body follows the headers
            scope = {**scope, "method": "GET"}
        asked = Headers(scope=scope)
        identified = bool(asked.get("authorization", "").strip()) or SESSION_COOKIE in asked.get("cookie", "")
        held: Message | None = None
        finished = False

        async def send_semantics(message: Message) -> None:
            nonlocal held, finished
            if finished:
                raise _Finished
            if message["type"] == "http.response.start":
                held = message
                return
            if held is None or message["type"] != "http.response.body":
                await send(message)
                return
            start, held = held, None
            if head and "route" in scope:  # for the middleware around this one (metrics)
                outer["route"] = scope["route"]
            body: bytes = message.get("body", b"")
            more = bool(message.get("more_body", False))
            headers = MutableHeaders(scope=start)
            status = int(start["status"])
            if status == 200 and not more and "etag" not in headers:
                headers["ETag"] = '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'
            self._cache_rules(scope, headers, status, identified)
            if status in (200, 206) and _not_modified(asked, headers):
                kept = [(k, v) for k, v in start["headers"] if k.decode("latin-1").lower() in KEPT_BY_304]
                await send({"type": "http.response.start", "status": 304, "headers": kept})
                finished = True
            elif head:
                await send(start)
                finished = True
            else:
                await send(start)
                await send(message)
                return
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            if more:
                raise _Finished

        try:
            await self.app(scope, receive, send_semantics)
        except _Finished:
            pass
        except BaseExceptionGroup as group:
            _, rest = group.split(_Finished)
            if rest is not None:
                raise
        if held is not None:  # a start with no body message at all
            await send(held)
            await send({"type": "http.response.body", "body": b"", "more_body": False})

    def _cache_rules(self, scope: Scope, headers: MutableHeaders, status: int, identified: bool) -> None:
        face = face_of(scope, self.default_face)
        if status < 400 and status not in NO_STORE_STATUSES:
            vary = [v.strip() for v in headers.get("vary", "").split(",") if v.strip()]
            missing = [v for v in face.vary if v.lower() not in {x.lower() for x in vary}]
            if missing:
                headers["Vary"] = ", ".join([*vary, *missing])
        current = headers.get("cache-control") or route_rules(scope.get("route")).cache
        if current is not None:
            headers["Cache-Control"] = current
            if identified and "public" in current:  # a route's public rule never covers a named caller
                headers["Cache-Control"] = current.replace("public", "private")
            return
        if status >= 400 or status in NO_STORE_STATUSES:
            headers["Cache-Control"] = "no-store"
        elif "set-cookie" in headers:
            headers["Cache-Control"] = "private, no-store"
        elif identified:
            headers["Cache-Control"] = "private, no-cache"
        else:
            headers["Cache-Control"] = f"public, max-age={self.max_age}"


def revalidate(request: Request, revision: Revision | None) -> Response | None:
    """A 304 for a GET (or HEAD) whose validators match `revision`, before anything else is read; None
    when the answer must be built (then give it `stamped`). Cache-Control and Vary are added around the
    route, as for any answer: private for a caller who names themselves."""
    if revision is None or request.method not in ("GET", "HEAD"):
        return None
    headers = _validators(revision)
    if not _not_modified(request.headers, MutableHeaders(headers)):
        return None
    return Response(status_code=304, headers=headers)


def stamped(response: Response, revision: Revision | None) -> Response:
    """`response` with `revision`'s ETag and Last-Modified (instead of a digest of its bytes)."""
    if revision is not None:
        response.headers.update(_validators(revision))
    return response


def _validators(revision: Revision) -> dict[str, str]:
    return {
        "ETag": revision.etag,
        "Last-Modified": format_datetime(revision.modified.astimezone(UTC), usegmt=True),
    }


def _not_modified(asked: Headers, answer: MutableHeaders) -> bool:
    wanted = asked.get("if-none-match")
    if wanted is not None:
        etag = answer.get("etag")
        if etag is None:
            return False
        tags = {t.strip().removeprefix("W/") for t in wanted.split(",")}
        return "*" in tags or etag.removeprefix("W/") in tags
    since = _date(asked.get("if-modified-since"))
    modified = _date(answer.get("last-modified"))
    if since is None or modified is None:
        return False
    try:
        return modified <= since
    except TypeError:  # a date without a zone: not one HTTP sends, so no match
        return False


def _date(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
