"""/stats: the public usage statistics page, the HTML twin of /api/v1/stats."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from obert.auth import ANONYMOUS
from obert.catalog.vocabulary import vocabulary
from obert.deps import PortalDep
from obert.stats.usage import portal_usage
from obert.types import Lang
from obert.web.face import PAGES
from obert.web.templating import render

router = PAGES.router(include_in_schema=False)


@router.get("/stats", response_class=HTMLResponse)
def stats(request: Request, portal: PortalDep) -> HTMLResponse:
    lang: Lang = request.state.lang
    report = portal_usage(store=portal.store, actor=ANONYMOUS)
    html = render(
        lang,
        "stats.html",
        request=request,
        path=request.url.path,
        site_name=portal.settings.site_name,
        timezone=portal.settings.timezone,
        vocabulary=vocabulary,
        report=report,
    )
    return HTMLResponse(html, headers={"Content-Language": lang, "Vary": "Accept-Language, Cookie"})
