"""Language in the URL (/ca/..., /es/..., /en/...) or negotiated from the cookie and the browser."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from obert.i18n import as_lang, negotiate
from obert.types import LANGS, Lang


class LanguageMiddleware:
    """Strips a leading language segment from the path and records the page language in scope state."""

    def __init__(self, app: ASGIApp, *, default: Lang) -> None:
        self.app = app
        self.default = default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        segment = path.split("/", 2)[1] if path.startswith("/") else ""
        state = scope.setdefault("state", {})
        if segment in LANGS:
            rest = path[len(segment) + 1 :] or "/"
            scope = {**scope, "path": rest, "raw_path": rest.encode()}
            state["lang"] = segment
            state["lang_in_url"] = True
        else:
            headers = dict(scope.get("headers") or [])
            cookie_lang = _cookie_lang(headers.get(b"cookie", b"").decode("latin-1"))
            accept = headers.get(b"accept-language", b"").decode("latin-1")
            state["lang"] = cookie_lang or negotiate(accept, self.default)
            state["lang_in_url"] = False
        await self.app(scope, receive, send)


def _cookie_lang(cookie: str) -> Lang | None:
    for part in cookie.split(";"):
        key, _, value = part.strip().partition("=")
        if key == "lang":
            return as_lang(value)
    return None
