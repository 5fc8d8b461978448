"""The city's look as CSS custom properties, served as a stylesheet (the content security policy forbids
inline styles, so the colours cannot be written into the page)."""

from __future__ import annotations

import hashlib

from fastapi import Request
from fastapi.responses import Response

from obert.settings import Settings
from obert.web.face import PAGES

router = PAGES.router(include_in_schema=False)


def brand_css(settings: Settings) -> str:
    # Settings only accept #rrggbb colours, so nothing else can reach the stylesheet.
    return (
        ":root {\n"
        f"  --brand: {settings.brand_color};\n"
        f"  --brand-ink: {settings.brand_ink};\n"
        f"  --link: {settings.link_color};\n"
        "}\n"
    )


@router.get("/brand.css")
def brand_stylesheet(request: Request) -> Response:
    css = brand_css(request.app.state.portal.settings)
    etag = '"' + hashlib.sha256(css.encode()).hexdigest()[:16] + '"'
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers={"ETag": etag})
    return Response(
        css, media_type="text/css", headers={"ETag": etag, "Cache-Control": "public, max-age=3600"}
    )
