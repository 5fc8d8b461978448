"""One page of a DCAT source read into records: the part of DCAT harvesting that touches the document.

It runs in a sandbox child (`obert.untrusted.sandbox`), so it takes and returns plain JSON values. It reads
DCAT-AP documents (Turtle, RDF/XML, JSON-LD) the way real Spanish catalogues (DCAT-AP-ES, NTI-RISP) bend
the standard: dct:language as a literal "es", the publisher as a skos:Concept, access URLs as plain
literals, formats as dct:IMT nodes, frequencies as time:DurationDescription, datos.gob.es sectors as
themes, documents with datasets but no dcat:Catalog.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin, urlsplit

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, RDF, RDFS, SKOS

from obert.harvest.mapping import (
    code_in,
    file_format,
    iso_date,
    language_codes,
    licence_code,
    slugify,
    themes_and_sectors,
)
from obert.harvest.models import Record
from obert.untrusted.rdf import MissingContexts, read_graph

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
TIME = Namespace("http://www.w3.org/2006/time#")
SCHEMA = Namespace("http://schema.org/")
DCAT_VERSION = URIRef("http://www.w3.org/ns/dcat#version")  # DCAT 3, unknown to rdflib's closed DCAT
# A frequency given as a duration (NTI-RISP) rather than an EU frequency IRI.
_DURATIONS = {
    ("years", 1): "ANNUAL",
    ("months", 6): "ANNUAL_2",
    ("months", 3): "QUARTERLY",
    ("months", 1): "MONTHLY",
    ("weeks", 1): "WEEKLY",
    ("days", 7): "WEEKLY",
    ("days", 1): "DAILY",
    ("hours", 1): "HOURLY",
}


_WARM_UP = b"""@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
<https://example.org/d> a dcat:Dataset ; dct:title "t"@es ; dct:issued "2024-01-01" ;
  dct:license <http://publications.europa.eu/resource/authority/licence/CC_BY_4_0> ;
  dcat:theme <http://datos.gob.es/kos/sector-publico/sector/medio-ambiente> ;
  dct:language <http://publications.europa.eu/resource/authority/language/SPA> ;
  dct:accrualPeriodicity <http://publications.europa.eu/resource/authority/frequency/DAILY> ;
  dcat:distribution [ dcat:accessURL <https://example.org/f.csv> ; dcat:mediaType "text/csv" ] ."""


def warm_up() -> None:
    """Load what reading a page loads on first use (rdflib's parsers, obert's vocabularies), so that the
    sandbox worker does it once rather than every child (`obert.untrusted.worker`)."""
    graph = read_graph(_WARM_UP, content_type="text/turtle", url="https://example.org/", contexts={})
    for node in graph.subjects(RDF.type, DCAT.Dataset):
        map_dataset(graph, node, lang="es")  # type: ignore[arg-type]
    for fmt, content_type in (("xml", "application/rdf+xml"), ("json-ld", "application/ld+json")):
        content = graph.serialize(format=fmt, encoding="utf-8")
        read_graph(content, content_type=content_type, url="https://example.org/", contexts={})


def read_page(
    content: bytes, content_type: str, url: str, lang: str, contexts: dict[str, bytes]
) -> dict[str, Any]:
    """The page's datasets as `{"items": [...], "next": url | None}`, each item `{"record": {...}}` or
    `{"failure": {"remote_id", "error"}}`; `{"need": [url, ...]}` when a JSON-LD page names remote
    contexts that `contexts` lacks (the caller fetches them through the guard and asks again)."""
    try:
        graph = read_graph(content, content_type=content_type, url=url, contexts=contexts, kind="a DCAT")
    except MissingContexts as missing:
        return {"need": missing.urls}
    items: list[dict[str, Any]] = []
    nodes = {n for n in graph.subjects(RDF.type, DCAT.Dataset) if isinstance(n, URIRef | BNode)}
    for node in sorted(nodes, key=str):
        try:
            record = map_dataset(graph, node, lang=lang)
        except (ValueError, TypeError, KeyError) as exc:
            items.append({"failure": {"remote_id": str(node), "error": str(exc)}})
            continue
        items.append(
            {
                "record": {
                    "remote_id": record.remote_id,
                    "dataset": record.dataset,
                    "publisher": record.publisher,
                    "identifier": record.identifier,
                }
            }
        )
    return {"items": items, "next": _next_page(graph, url)}


def _next_page(graph: Graph, url: str) -> str | None:
    for predicate in (HYDRA.next, HYDRA.nextPage):
        for value in graph.objects(None, predicate):
            return urljoin(url, str(value))
    return None


def map_dataset(graph: Graph, node: URIRef | BNode, *, lang: str) -> Record:
    g = _Reader(graph, lang)
    title = g.texts(node, DCTERMS.title)
    if not title:
        raise ValueError("no dct:title")
    identifier = g.first_str(node, DCTERMS.identifier) or (str(node) if isinstance(node, URIRef) else None)
    theme_values = [str(t) for t in graph.objects(node, DCAT.theme)]
    themes, sectors, other_themes = themes_and_sectors(theme_values)
    distributions = sorted(graph.objects(node, DCAT.distribution), key=str)
    licence_iri = g.first_str(node, DCTERMS.license) or next(
        (g.first_str(d, DCTERMS.license) for d in distributions if g.first_str(d, DCTERMS.license)), None
    )
    extras: dict[str, str] = {}
    if other_themes:
        extras["themes"] = ", ".join(other_themes)
    if licence_iri and not licence_code(licence_iri):
        extras["license_url"] = licence_iri
    for other in graph.objects(node, ADMS.identifier):
        if notation := g.first_str(other, SKOS.notation):
            extras["other_identifier"] = notation
    landing = g.first_url(node, DCAT.landingPage) or g.first_url(node, FOAF.page)
    dataset: dict[str, Any] = {
        "name": _name(identifier, title),
        "title": title,
        "description": g.texts(node, DCTERMS.description),
        "keywords": g.words(node, DCAT.keyword),
        "themes": themes,
        "sectors": sectors,
        "license": licence_code(licence_iri),
        "access_rights": code_in("access-right", g.first_str(node, DCTERMS.accessRights)),
        "frequency": _frequency(graph, node),
        "languages": language_codes([str(v) for v in graph.objects(node, DCTERMS.language)]),
        "issued": iso_date(g.first_str(node, DCTERMS.issued)),
        "modified": iso_date(g.first_str(node, DCTERMS.modified)),
        "landing_page": landing,
        "spatial": _spatial(graph, node),
        "temporal": _temporal(g, node),
        "contact_point": _contact(g, node),
        "conforms_to": [str(v) for v in graph.objects(node, DCTERMS.conformsTo) if _is_url(str(v))],
        "version": g.first_str(node, OWL.versionInfo) or g.first_str(node, DCAT_VERSION),
        "extras": extras,
        "resources": [_distribution(g, d) for d in distributions],
    }
    return Record(
        remote_id=identifier or str(node),
        dataset={k: v for k, v in dataset.items() if v not in (None, "")},
        publisher=_publisher(g, node),
        identifier=identifier,
    )


class _Reader:
    def __init__(self, graph: Graph, lang: str) -> None:
        self.graph = graph
        self.lang = lang

    def texts(self, node: Any, predicate: URIRef) -> dict[str, str]:
        out: dict[str, str] = {}
        for value in self.graph.objects(node, predicate):
            if isinstance(value, Literal) and str(value).strip():
                out.setdefault((value.language or self.lang).lower().split("-")[0], str(value).strip())
        return out

    def words(self, node: Any, predicate: URIRef) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for value in sorted(self.graph.objects(node, predicate), key=str):
            if isinstance(value, Literal) and str(value).strip():
                out.setdefault((value.language or self.lang).lower().split("-")[0], []).append(
                    str(value).strip()
                )
        return out

    def first_str(self, node: Any, predicate: URIRef) -> str | None:
        for value in sorted(self.graph.objects(node, predicate), key=str):
            if str(value).strip():
                return str(value).strip()
        return None

    def first_url(self, node: Any, predicate: URIRef) -> str | None:
        value = self.first_str(node, predicate)
        return value if value and _is_url(value) else None


def _is_url(value: str) -> bool:
    return value.startswith(("http://", "https://")) and " " not in value


def _name(identifier: str | None, title: dict[str, str]) -> str:
    if identifier and _is_url(identifier):
        last = [p for p in urlsplit(identifier).path.split("/") if p and p != "-"]
        if last and len(last[-1]) >= 3:
            return slugify(last[-1])
    return slugify(next(iter(title.values())))


def _frequency(graph: Graph, node: Any) -> str | None:
    for value in graph.objects(node, DCTERMS.accrualPeriodicity):
        if isinstance(value, URIRef) and (code := code_in("frequency", str(value))):
            return code
        for duration in [value, *graph.objects(value, RDF.value)]:
            for unit in ("years", "months", "weeks", "days", "hours"):
                for amount in graph.objects(duration, TIME[unit]):
                    try:
                        number = round(float(str(amount)))
                    except ValueError:
                        continue
                    if found := _DURATIONS.get((unit, number)):
                        return found
    return None


def _spatial(graph: Graph, node: Any) -> dict[str, Any] | None:
    for value in graph.objects(node, DCTERMS.spatial):
        if isinstance(value, URIRef) and _is_url(str(value)):
            return {"uri": str(value)}
    return None


def _temporal(g: _Reader, node: Any) -> dict[str, str] | None:
    for period in g.graph.objects(node, DCTERMS.temporal):
        start = iso_date(g.first_str(period, DCAT.startDate) or g.first_str(period, SCHEMA.startDate))
        end = iso_date(g.first_str(period, DCAT.endDate) or g.first_str(period, SCHEMA.endDate))
        if start or end:
            if start and end and start[:10] > end[:10]:
                return None
            return {k: v for k, v in (("start", start), ("end", end)) if v}
    return None


def _contact(g: _Reader, node: Any) -> dict[str, str] | None:
    for point in g.graph.objects(node, DCAT.contactPoint):
        contact: dict[str, str] = {}
        if name := g.first_str(point, VCARD.fn) or g.first_str(point, VCARD["organization-name"]):
            contact["name"] = name
        email = g.first_str(point, VCARD.hasEmail)
        if email and "@" in email:
            contact["email"] = email.removeprefix("mailto:")
        if url := g.first_url(point, VCARD.hasURL):
            contact["url"] = url
        if contact:
            return contact
    return None


def _publisher(g: _Reader, node: Any) -> dict[str, Any] | None:
    for agent in g.graph.objects(node, DCTERMS.publisher):
        # DCAT-AP says foaf:Agent with foaf:name; datos.gob.es gives a skos:Concept with a prefLabel.
        names = g.texts(agent, FOAF.name) or g.texts(agent, SKOS.prefLabel) or g.texts(agent, RDFS.label)
        if not names:
            continue
        notation = g.first_str(agent, SKOS.notation) or g.first_str(agent, DCTERMS.identifier)
        iri = str(agent) if isinstance(agent, URIRef) and _is_url(str(agent)) else None
        if not notation and iri:
            notation = iri.rstrip("/").rsplit("/", 1)[-1]
        return {
            "name": slugify(notation or next(iter(names.values()))),
            "title": names,
            "identifier": iri,
            "homepage": g.first_url(agent, FOAF.homepage),
        }
    return None


def _distribution(g: _Reader, node: Any) -> dict[str, Any]:
    format_label = None
    media_type = g.first_str(node, DCAT.mediaType)
    for fmt in g.graph.objects(node, DCTERMS.format):
        if isinstance(fmt, URIRef):
            format_label = str(fmt)
        else:
            format_label = g.first_str(fmt, RDFS.label) or str(fmt)
            media_type = media_type or g.first_str(fmt, RDF.value)
    if media_type and "/media-types/" in media_type:
        media_type = media_type.split("/media-types/", 1)[1]
    access = g.first_url(node, DCAT.accessURL)
    download = g.first_url(node, DCAT.downloadURL)
    size = g.first_str(node, DCAT.byteSize)
    return {
        "title": g.texts(node, DCTERMS.title),
        "description": g.texts(node, DCTERMS.description),
        "format": file_format(format_label, media_type, download or access) or _short(format_label),
        "media_type": media_type if media_type and "/" in media_type and len(media_type) < 200 else None,
        "access_url": access or download,
        "download_url": download,
        "byte_size": _size(size),
        "license": licence_code(g.first_str(node, DCTERMS.license)),
        "issued": iso_date(g.first_str(node, DCTERMS.issued)),
        "modified": iso_date(g.first_str(node, DCTERMS.modified)),
    }


def _short(label: str | None) -> str | None:
    if not label:
        return None
    text = label.rstrip("/").rsplit("/", 1)[-1]
    return text[:50] or None


def _size(value: str | None) -> int | None:
    try:
        return int(float(value)) if value is not None and float(value) >= 0 else None
    except ValueError:
        return None
