"""Rendering a page with what every page needs: language, site look, and where the reader is."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from obert.settings import Settings
from obert.types import Lang
from obert.web.templating import render


def site_context(request: Request) -> dict[str, Any]:
    """Context shared by every page, error pages included."""
    settings: Settings = request.app.state.portal.settings
    query = request.url.query
    return {
        "request": request,
        "path": request.url.path,
        # The language switcher links to this same page and query in another language.
        "here": request.url.path + (f"?{query}" if query else ""),
        "site_name": settings.site_name,
        "logo_url": settings.logo_url,
        "timezone": settings.timezone,  # dates and times on pages are the city's
    }


def page(request: Request, template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    lang: Lang = getattr(request.state, "lang", request.app.state.portal.settings.default_lang)
    html = render(lang, template, **{**site_context(request), **context})
    return HTMLResponse(
        html,
        status_code=status_code,
        headers={"Content-Language": lang, "Vary": "Accept-Language, Cookie"},
    )
