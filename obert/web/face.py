"""The pages' face: errors as a page in the visitor's language, sessions by cookie, nothing shared with
other sites (a download of a public file says so on its own route)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from obert.errors import ObertError, RateLimited
from obert.faces import Face
from obert.i18n import localized
from obert.web.respond import page


def _render(request: Request, exc: ObertError) -> Response:
    if exc.status == 401 and request.method in ("GET", "HEAD"):
        # A signed-out visitor who follows a link to a staff page is sent to sign in, then back.
        lang = getattr(request.state, "lang", "ca")
        return RedirectResponse(f"/{lang}/login?next={quote(request.url.path)}", status_code=303)
    text, text_lang = localized(exc.message, getattr(request.state, "lang", "ca"))
    response = page(
        request,
        "error.html",
        status=exc.status,
        status_code=exc.status,
        message=exc.message and text,
        message_lang=text_lang,
    )
    if isinstance(exc, RateLimited):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


PAGES = Face("pages", render=_render, sessions=True, vary=("Cookie", "Accept-Language"), field_errors=False)
