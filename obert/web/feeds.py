"""Atom feeds of changes: the whole portal, a publisher, a theme, a dataset, a saved search.

Feeds are read by anonymous clients, so they show only what anyone may see: public datasets' changes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode

from fastapi import Request, Response

from obert.auth import ANONYMOUS
from obert.catalog import datasets, organizations
from obert.catalog.vocabulary import vocabulary
from obert.deps import PortalDep
from obert.errors import FieldError, Invalid, NotFound
from obert.i18n import as_lang, pick
from obert.notify.atom import MEDIA_TYPE, FeedInfo, atom_feed
from obert.notify.query import Scope, public_events
from obert.notify.search import SavedSearch
from obert.notify.wording import feed_title
from obert.portal import Portal
from obert.types import Lang
from obert.web.face import PAGES

router = PAGES.router(include_in_schema=False)
ENTRIES = 50


def feed_lang(request: Request, lang: str | None) -> Lang:
    """`?lang=` when given, else the page language (from the /ca/ prefix, the cookie or the browser)."""
    if lang is None:
        page_lang: Lang = request.state.lang
        return page_lang
    chosen = as_lang(lang)
    if chosen is None or len(lang) != 2:
        raise Invalid("unknown language", errors=[FieldError("lang", "use ca, es or en")])
    return chosen


def _respond(
    request: Request, portal: Portal, lang: Lang, *, scope: Scope, title: str, alternate: str
) -> Response:
    base = portal.settings.base_url.rstrip("/")
    query = urlencode({**dict(request.query_params), "lang": lang})
    info = FeedInfo(
        title=f"{title} · {portal.settings.site_name}",
        self_url=f"{base}{request.url.path}?{query}",
        alternate_url=f"{base}/{lang}{alternate}",
        base_url=base,
        site_name=portal.settings.site_name,
    )
    events = public_events(portal.store, scope=scope, limit=ENTRIES)
    body = atom_feed(info=info, events=events, lang=lang, now=datetime.now(UTC))
    return Response(
        body, media_type=MEDIA_TYPE, headers={"Content-Language": lang, "Vary": "Accept-Language, Cookie"}
    )


@router.get("/feeds/datasets.atom")
def portal_feed(request: Request, portal: PortalDep, lang: str | None = None) -> Response:
    chosen = feed_lang(request, lang)
    return _respond(
        request, portal, chosen, scope=Scope(), title=feed_title("portal", chosen), alternate="/datasets"
    )


@router.get("/feeds/organization/{ref}.atom")
def organization_feed(request: Request, portal: PortalDep, ref: str, lang: str | None = None) -> Response:
    chosen = feed_lang(request, lang)
    org = organizations.get_organization(store=portal.store, ref=ref)
    return _respond(
        request,
        portal,
        chosen,
        scope=Scope(organization_id=org.id),
        title=feed_title("organization", chosen, pick(org.title, chosen)[0]),
        alternate=f"/organization/{org.name}",
    )


@router.get("/feeds/theme/{code}.atom")
def theme_feed(request: Request, portal: PortalDep, code: str, lang: str | None = None) -> Response:
    chosen = feed_lang(request, lang)
    concept = vocabulary("data-theme").get(code)
    if concept is None:
        raise NotFound(f"no EU data theme '{code}'")
    return _respond(
        request,
        portal,
        chosen,
        scope=Scope(theme=concept.code),
        title=feed_title("theme", chosen, concept.label_in(chosen)),
        alternate="/datasets",
    )


@router.get("/feeds/dataset/{ref}.atom")
def dataset_feed(request: Request, portal: PortalDep, ref: str, lang: str | None = None) -> Response:
    chosen = feed_lang(request, lang)
    dataset = datasets.get_dataset(store=portal.store, actor=ANONYMOUS, ref=ref)
    return _respond(
        request,
        portal,
        chosen,
        scope=Scope(dataset_id=dataset.id),
        title=feed_title("dataset", chosen, pick(dataset.title, chosen)[0]),
        alternate=f"/dataset/{dataset.name}",
    )


@router.get("/feeds/search.atom")
def search_feed(
    request: Request,
    portal: PortalDep,
    q: str | None = None,
    theme: str | None = None,
    organization: str | None = None,
    lang: str | None = None,
) -> Response:
    chosen = feed_lang(request, lang)
    search = SavedSearch.parse(q=q, theme=theme, organization=organization)
    label = " · ".join(part for part in (search.q, search.theme, search.organization) if part) or "*"
    return _respond(
        request,
        portal,
        chosen,
        scope=Scope(search=search),
        title=feed_title("search", chosen, label),
        alternate="/datasets",
    )
