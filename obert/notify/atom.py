"""Atom 1.0 (RFC 4287) documents of events, in one language."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from obert.i18n import pick
from obert.notify.events import Event
from obert.types import Lang

ATOM = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml; charset=utf-8"


@dataclass(frozen=True, slots=True)
class FeedInfo:
    title: str
    self_url: str  # the feed's own address, with its query
    alternate_url: str  # the page the feed follows
    base_url: str
    site_name: str


def atom_feed(*, info: FeedInfo, events: Sequence[Event], lang: Lang, now: datetime) -> bytes:
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": lang})
    _text(feed, "id", info.self_url)
    _text(feed, "title", info.title)
    # An empty feed has nothing newer than "now"; otherwise it changed when its newest entry did.
    _text(feed, "updated", (events[0].at if events else now).isoformat())
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", info.site_name)
    _text(author, "uri", info.base_url)
    ET.SubElement(
        feed, f"{{{ATOM}}}link", {"rel": "self", "type": "application/atom+xml", "href": info.self_url}
    )
    ET.SubElement(
        feed, f"{{{ATOM}}}link", {"rel": "alternate", "type": "text/html", "href": info.alternate_url}
    )
    _text(feed, "generator", "obert")
    host = urlsplit(info.base_url).hostname or "localhost"
    base = info.base_url.rstrip("/")
    for event in events:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        # tag: URIs (RFC 4151) keep an entry's id stable whatever address the feed is read from.
        _text(entry, "id", f"tag:{host},{event.at.date().isoformat()}:obert/activity/{event.id}")
        _text(entry, "title", event.summary[lang])
        _text(entry, "updated", event.at.isoformat())
        _text(entry, "published", event.at.isoformat())
        org = event.dataset.organization
        entry_author = ET.SubElement(entry, f"{{{ATOM}}}author")
        _text(entry_author, "name", pick(org["title"], lang)[0] if org else info.site_name)
        ET.SubElement(
            entry,
            f"{{{ATOM}}}link",
            {"rel": "alternate", "type": "text/html", "href": f"{base}/{lang}/dataset/{event.dataset.name}"},
        )
        ET.SubElement(entry, f"{{{ATOM}}}category", {"term": event.type.value})
        for theme in event.dataset.themes:
            ET.SubElement(entry, f"{{{ATOM}}}category", {"term": theme, "scheme": THEME_SCHEME})
        _text(entry, "summary", _summary(event, lang))
    body: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return body


THEME_SCHEME = "http://publications.europa.eu/resource/authority/data-theme"


def _summary(event: Event, lang: Lang) -> str:
    text = event.summary[lang]
    description = pick(event.dataset.description, lang)[0]
    return f"{text}. {description}" if description and event.type.value == "dataset.created" else text


def _text(parent: ET.Element, tag: str, value: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}")
    element.text = value
    return element
