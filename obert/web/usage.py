"""Counting dataset use as requests pass: page views, downloads and API calls, per dataset and day.

Only the path and the response status are looked at to decide what to count; the user agent is read to
tell self-declared crawlers apart and then forgotten. Nothing about the person is kept anywhere.
"""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from obert.stats.counter import Kind, RefType, UsageCounter, is_bot

# (path pattern, what its first group names, what a successful GET of it counts as); paths are seen
# after the language prefix is removed.
_RULES: tuple[tuple[re.Pattern[str], RefType, Kind], ...] = (
    (re.compile(r"^/dataset/([^/.]+)/?$"), "dataset", "view"),
    (re.compile(r"^/dataset/[^/]+/resource/([^/]+)/download/"), "resource", "download"),
    (re.compile(r"^/dataset/([^/.]+)\.(?:ttl|rdf|jsonld)$"), "dataset", "api"),
    (re.compile(r"^/api/v1/datasets/([^/]+)(?:/.*)?$"), "dataset", "api"),
    (re.compile(r"^/api/v1/resources/([^/]+)(?:/.*)?$"), "resource", "api"),
)


def classify(path: str) -> tuple[RefType, str, Kind] | None:
    for pattern, ref_type, kind in _RULES:
        match = pattern.match(path)
        if match:
            return ref_type, match.group(1), kind
    return None


def _first_answer(message: Message) -> bool:
    if message["status"] == 200:
        return True
    if message["status"] != 206:
        return False
    ranges = [v for k, v in message.get("headers", []) if k.lower() == b"content-range"]
    return bool(ranges) and ranges[0].startswith(b"bytes 0-")


class UsageMiddleware:
    def __init__(self, app: ASGIApp, *, counter: UsageCounter) -> None:
        self.app = app
        self.counter = counter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # HEAD fetches no data; it counts nothing.
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        target = classify(scope["path"])
        if target is None:
            await self.app(scope, receive, send)
            return
        ref_type, ref, kind = target
        user_agent = dict(scope.get("headers") or []).get(b"user-agent", b"").decode("latin-1")
        counted: Kind = "bot" if is_bot(user_agent) else kind

        async def send_and_count(message: Message) -> None:
            # Only answers that served the dataset count: a 404 for a mistyped name is not a visit, a
            # 304 sent nothing, and of the many ranges a remote reader fetches only the first one counts.
            if message["type"] == "http.response.start" and _first_answer(message):
                self.counter.add(ref_type, ref, counted)
            await send(message)

        await self.app(scope, receive, send_and_count)
