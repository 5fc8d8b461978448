"""/sitemap.xml (every public dataset and publisher page, in each language, with hreflang alternates;
an index of sitemaps for a catalogue too large for one) and /robots.txt."""

from __future__ import annotations

from datetime import datetime
from xml.etree import ElementTree as ET

from fastapi.responses import PlainTextResponse, Response

from obert.auth import ANONYMOUS
from obert.catalog import browse, datasets, organizations
from obert.catalog.common import MAX_PAGE
from obert.deps import PortalDep
from obert.errors import NotFound
from obert.portal import Portal
from obert.types import LANGS
from obert.web.face import PAGES

router = PAGES.router(include_in_schema=False)
SITEMAP = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML = "http://www.w3.org/1999/xhtml"


# A sitemap holds at most 50,000 URLs (sitemaps.org), and each dataset is a URL per language. A catalogue
# with more datasets than this gets a sitemap index at /sitemap.xml, of sitemaps of this many datasets each:
# at 100,000 datasets the single sitemap was 139 MB, and cost 37 s of CPU at each crawler's visit.
DATASETS_PER_SITEMAP = 5_000


@router.get("/sitemap.xml")
def sitemap(portal: PortalDep) -> Response:
    """Every public page, or, for a large catalogue, the index of the sitemaps that list them."""
    base = portal.settings.base_url.rstrip("/")
    parts = _parts(portal)
    if parts == 1:
        return _xml(_urlset(portal, base, 1))
    index = ET.Element(f"{{{SITEMAP}}}sitemapindex")
    for part in range(1, parts + 1):
        ET.SubElement(
            ET.SubElement(index, f"{{{SITEMAP}}}sitemap"), f"{{{SITEMAP}}}loc"
        ).text = f"{base}/sitemap/{part}.xml"
    return _xml(index)


@router.get("/sitemap/{part:int}.xml")
def sitemap_part(portal: PortalDep, part: int) -> Response:
    """One sitemap of a large catalogue's index: the site's own pages and publishers in the first."""
    if not 1 <= part <= _parts(portal):
        raise NotFound(f"no sitemap {part}")
    return _xml(_urlset(portal, portal.settings.base_url.rstrip("/"), part))


def _parts(portal: Portal) -> int:
    # Anonymous on purpose: the sitemap lists what anyone may see, whoever asks for it.
    count = datasets.count_datasets(store=portal.store, actor=ANONYMOUS)
    return max(1, -(-count // DATASETS_PER_SITEMAP))


def _urlset(portal: Portal, base: str, part: int) -> ET.Element:
    ET.register_namespace("", SITEMAP)
    ET.register_namespace("xhtml", XHTML)
    root = ET.Element(f"{{{SITEMAP}}}urlset")
    if part == 1:
        for path in ("/", "/datasets", "/organizations", "/about"):
            _page(root, base, path, None)
    stamps = browse.public_dataset_stamps(
        store=portal.store, offset=(part - 1) * DATASETS_PER_SITEMAP, limit=DATASETS_PER_SITEMAP
    )
    for name, updated_at in stamps:
        _page(root, base, f"/dataset/{name}", updated_at)
    if part == 1:
        for org in organizations.list_organizations(store=portal.store, limit=MAX_PAGE).items:
            if org.dataset_count:
                _page(root, base, f"/organization/{org.name}", org.updated_at)
    return root


def _xml(root: ET.Element) -> Response:
    ET.register_namespace("", SITEMAP)
    return Response(ET.tostring(root, encoding="utf-8", xml_declaration=True), media_type="application/xml")


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
