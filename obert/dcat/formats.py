"""The RDF serialisations obert serves, by file suffix and by media type."""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import Graph

from obert.dcat.terms import PREFIXES


@dataclass(frozen=True, slots=True)
class RdfFormat:
    suffix: str
    media_type: str
    rdflib_name: str


FORMATS = (
    RdfFormat("ttl", "text/turtle", "turtle"),
    RdfFormat("rdf", "application/rdf+xml", "xml"),
    RdfFormat("jsonld", "application/ld+json", "json-ld"),
)
BY_SUFFIX = {f.suffix: f for f in FORMATS}
BY_MEDIA_TYPE = {f.media_type: f for f in FORMATS} | {"application/x-turtle": BY_SUFFIX["ttl"]}


def serialize(graph: Graph, fmt: RdfFormat) -> bytes:
    if fmt.rdflib_name == "json-ld":
        context = {prefix: str(ns) for prefix, ns in PREFIXES.items()}
        return graph.serialize(format="json-ld", context=context, auto_compact=True).encode("utf-8")
    return graph.serialize(format=fmt.rdflib_name, encoding="utf-8")


def preferences(accept: str) -> list[str]:
    """The media types of an Accept header, most wanted first (by q, then order; q=0 left out)."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept.split(",")):
        media, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > 0 and media.strip():
            ranked.append((-q, position, media.strip().lower()))
    return [media for _, _, media in sorted(ranked)]


def negotiate(accept: str) -> RdfFormat | None:
    """The RDF format an Accept header prefers over HTML, or None when it wants a page (or anything)."""
    for media in preferences(accept):
        if media in BY_MEDIA_TYPE:
            return BY_MEDIA_TYPE[media]
        if media in ("text/html", "application/xhtml+xml"):
            return None
    return None
