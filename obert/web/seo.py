"""/sitemap.xml (every public dataset and publisher page, in each language, with hreflang alternates)
and /robots.txt."""

from __future__ import annotations

from datetime import datetime
from xml.etree import ElementTree as ET

from fastapi.responses import PlainTextResponse, Response

from obert.auth import ANONYMOUS
from obert.catalog import organizations
from obert.catalog.common import MAX_PAGE
from obert.catalog.listing import BrowseQuery, browse_datasets
from obert.deps import PortalDep
from obert.types import LANGS
from obert.web.face import PAGES

router = PAGES.router(include_in_schema=False)
SITEMAP = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML = "http://www.w3.org/1999/xhtml"


@router.get("/sitemap.xml")
def sitemap(portal: PortalDep) -> Response:
    base = portal.settings.base_url.rstrip("/")
    ET.register_namespace("", SITEMAP)
    ET.register_namespace("xhtml", XHTML)
    root = ET.Element(f"{{{SITEMAP}}}urlset")
    for path in ("/", "/datasets", "/organizations", "/about"):
        _page(root, base, path, None)
    offset = 0
    while True:
        # Anonymous on purpose: the sitemap lists what anyone may see, whoever asks for it.
        page = browse_datasets(
            store=portal.store,
            actor=ANONYMOUS,
            query=BrowseQuery(offset=offset, limit=MAX_PAGE, include_private=False, sort="name"),
        )
        for dataset in page.items:
            _page(root, base, f"/dataset/{dataset.name}", dataset.updated_at)
        offset += MAX_PAGE
        if offset >= page.count:
            break
    for org in organizations.list_organizations(store=portal.store, limit=MAX_PAGE).items:
        if org.dataset_count:
            _page(root, base, f"/organization/{org.name}", org.updated_at)
    body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return Response(body, media_type="application/xml")


@router.get("/robots.txt", response_class=PlainTextResponse)
def robots(portal: PortalDep) -> str:
    base = portal.settings.base_url.rstrip("/")
    # The APIs are for programs, which have the catalogue's DCAT and CKAN endpoints; crawlers get pages.
    return f"User-agent: *\nAllow: /\nDisallow: /api/\nSitemap: {base}/sitemap.xml\n"


def _page(root: ET.Element, base: str, path: str, modified: datetime | None) -> None:
    """One <url> per language version, each listing all versions (as search engines ask)."""
    suffix = "" if path == "/" else path
    for lang in LANGS:
        url = ET.SubElement(root, f"{{{SITEMAP}}}url")
        ET.SubElement(url, f"{{{SITEMAP}}}loc").text = f"{base}/{lang}{suffix or '/'}"
        if modified is not None:
            ET.SubElement(url, f"{{{SITEMAP}}}lastmod").text = modified.date().isoformat()
        for other in LANGS:
            ET.SubElement(
                url,
                f"{{{XHTML}}}link",
                rel="alternate",
                hreflang=other,
                href=f"{base}/{other}{suffix or '/'}",
            )
        ET.SubElement(url, f"{{{XHTML}}}link", rel="alternate", hreflang="x-default", href=f"{base}{path}")
