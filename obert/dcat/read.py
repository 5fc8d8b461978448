"""Reading a dcat:Dataset back from a graph into obert's input fields, through the same vocabularies.

The harvester builds on this; the round-trip test holds the writer and the reader to each other.
"""

from __future__ import annotations

from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from obert.catalog.vocabulary import vocabulary
from obert.dcat.terms import DCAT, DCT, VCARD


def read_dataset(graph: Graph, node: URIRef) -> dict[str, Any]:
    """The DatasetInput fields `graph` states about the dataset `node` (the ones obert writes)."""
    data: dict[str, Any] = {
        "title": _texts(graph, node, DCT.title),
        "description": _texts(graph, node, DCT.description),
        "keywords": _keywords(graph, node),
        "themes": _codes(graph, node, DCAT.theme, "data-theme"),
        "languages": _codes(graph, node, DCT.language, "language"),
    }
    for field, predicate, vocab in (
        ("frequency", DCT.accrualPeriodicity, "frequency"),
        ("access_rights", DCT.accessRights, "access-right"),
    ):
        codes = _codes(graph, node, predicate, vocab)
        if codes:
            data[field] = codes[0]
    for field, predicate in (("issued", DCT.issued), ("modified", DCT.modified)):
        value = graph.value(node, predicate)
        if isinstance(value, Literal):
            data[field] = str(value)
    if isinstance(landing := graph.value(node, DCAT.landingPage), URIRef):
        data["landing_page"] = str(landing)
    if (period := graph.value(node, DCT.temporal)) is not None:
        start, end = graph.value(period, DCAT.startDate), graph.value(period, DCAT.endDate)
        data["temporal"] = {"start": str(start) if start else None, "end": str(end) if end else None}
    if (card := graph.value(node, DCAT.contactPoint)) is not None:
        email = graph.value(card, VCARD.hasEmail)
        contact = {
            "name": str(name) if (name := graph.value(card, VCARD.fn)) else None,
            "email": str(email).removeprefix("mailto:") if email else None,
            "url": str(url) if (url := graph.value(card, VCARD.hasURL)) else None,
        }
        data["contact_point"] = {k: v for k, v in contact.items() if v}
    licences = {
        code
        for dist in graph.objects(node, DCAT.distribution)
        for code in _codes(graph, dist, DCT.license, "licence")
    }
    if len(licences) == 1:
        data["license"] = licences.pop()
    return data


def _texts(graph: Graph, node: Node, predicate: URIRef) -> dict[str, str]:
    return {
        (value.language or ""): str(value)
        for value in graph.objects(node, predicate)
        if isinstance(value, Literal)
    }


def _keywords(graph: Graph, node: Node) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for value in graph.objects(node, DCAT.keyword):
        if isinstance(value, Literal):
            out.setdefault(value.language or "", []).append(str(value))
    return {lang: sorted(words) for lang, words in out.items()}


def _codes(graph: Graph, node: Node, predicate: URIRef, vocab: str) -> list[str]:
    codes = []
    for value in graph.objects(node, predicate):
        concept = vocabulary(vocab).get(str(value))
        if concept is not None:
            codes.append(concept.code)
    return sorted(codes)
