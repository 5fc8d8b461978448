"""Namespaces, profiles and the typed vocabulary nodes DCAT-AP validators expect to find in the graph.

The SEMIC range and vocabulary shapes check the class of every IRI a dataset links to. A validator
working offline cannot dereference the EU vocabularies, so each linked IRI is typed (and, for concepts,
placed in its scheme) in the graph itself.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache, lru_cache
from typing import Protocol

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.term import Node

from obert.catalog.vocabulary import NAMES, vocabulary

_Triple = tuple[URIRef, URIRef, Node]


class _Namespace(Namespace):
    """rdflib's Namespace with each term made once: rdflib makes (and checks) a new URIRef at every use
    (a few microseconds), and the DCAT builder names a few dozen terms for every dataset it states.
    A term named as an attribute (`DCAT.Dataset`) is kept on the namespace itself, so the next use is a
    plain attribute lookup (through `__getattr__` and the cache it still cost ~2.5 us)."""

    @property
    def title(self) -> URIRef:  # type: ignore[override]
        return self.term("title")

    def term(self, name: str) -> URIRef:
        return _namespace_term(self, name) if isinstance(name, str) else super().term(name)

    def __getattr__(self, name: str) -> URIRef:
        if name.startswith("__"):  # Python's special names, as rdflib's Namespace
            raise AttributeError(name)
        found = self.__dict__[name] = self.term(name)  # only names that are not str's own reach here
        return found


@cache  # the terms obert names: a few hundred at most
def _namespace_term(namespace: Namespace, name: str) -> URIRef:
    return URIRef(namespace + name)


# rdflib's RDF, RDFS, SKOS and XSD are closed namespaces whose every term is looked up through their
# metaclass (~2.5 us a use); the builder names rdf:type alone a dozen times per dataset. The same IRIs.
RDF = _Namespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#")
RDFS = _Namespace("http://www.w3.org/2000/01/rdf-schema#")
SKOS = _Namespace("http://www.w3.org/2004/02/skos/core#")
XSD = _Namespace("http://www.w3.org/2001/XMLSchema#")
DCAT = _Namespace("http://www.w3.org/ns/dcat#")
DCT = _Namespace("http://purl.org/dc/terms/")
FOAF = _Namespace("http://xmlns.com/foaf/0.1/")
VCARD = _Namespace("http://www.w3.org/2006/vcard/ns#")
ADMS = _Namespace("http://www.w3.org/ns/adms#")
LOCN = _Namespace("http://www.w3.org/ns/locn#")
SPDX = _Namespace("http://spdx.org/rdf/terms#")
DQV = _Namespace("http://www.w3.org/ns/dqv#")
HYDRA = _Namespace("http://www.w3.org/ns/hydra/core#")
GSP = _Namespace("http://www.opengis.net/ont/geosparql#")
PV = _Namespace("https://piveau.eu/ns/voc#")
DCATAP = _Namespace("http://data.europa.eu/r5r/")
ELI = _Namespace("http://data.europa.eu/eli/ontology#")
IANA_MEDIA = "https://www.iana.org/assignments/media-types/"
SECTOR_SCHEME = URIRef("http://datos.gob.es/kos/sector-publico/sector")
THEME_SCHEME = URIRef("http://publications.europa.eu/resource/authority/data-theme")
# The standards obert's own descriptions of a dataset for tools follow (its Data Package and Croissant).
TABULAR_DATA_PACKAGE = "https://specs.frictionlessdata.io/tabular-data-package/"
CROISSANT = "http://mlcommons.org/croissant/1.0"

PREFIXES = {
    "dcat": DCAT,
    "dct": DCT,
    "foaf": FOAF,
    "vcard": VCARD,
    "adms": ADMS,
    "locn": LOCN,
    "spdx": SPDX,
    "dqv": DQV,
    "hydra": HYDRA,
    "gsp": GSP,
    "skos": SKOS,
    "pv": PV,
    "dcatap": DCATAP,
    "eli": ELI,
}


class Triples(Protocol):
    """Where the DCAT builder states its triples: an rdflib Graph for the published documents, or the
    SPARQL graph's plain collector (one builder, so the two cannot say different things)."""

    def add(self, triple: tuple[Node, Node, Node], /) -> object: ...


class Profile(StrEnum):
    """The application profiles obert speaks: SEMIC DCAT-AP, and Spain's profile for datos.gob.es."""

    DCAT_AP = "dcat-ap"
    DCAT_AP_ES = "dcat-ap-es"

    @property
    def uri(self) -> str:
        return PROFILE_URIS[self]


PROFILE_URIS = {
    Profile.DCAT_AP: "http://data.europa.eu/r5r/",
    Profile.DCAT_AP_ES: "https://datosgobes.github.io/DCAT-AP-ES/",
}


def profile_for(value: str | None) -> Profile | None:
    """The profile named by a `?profile=` token or a profile IRI (as sent in an Accept-Profile link)."""
    if not value:
        return None
    text = value.strip().strip("<>").casefold()
    for profile in Profile:
        if text in (profile.value, profile.uri.casefold(), profile.uri.casefold().rstrip("/")):
            return profile
    return None


def new_graph() -> Graph:
    graph = Graph()
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    return graph


def concept(graph: Triples, vocab: str, code: str, rdf_type: URIRef | None = None) -> URIRef | None:
    """The IRI of `code` in vocabulary `vocab`, stated as a skos:Concept of its scheme (with labels)."""
    found = _concept(vocab, code, rdf_type)
    if found is None:
        return None
    node, triples = found
    for triple in triples:
        graph.add(triple)
    return node


def concept_scheme(graph: Triples, iri: str) -> URIRef:
    """A skos:ConceptScheme with its title, taken from the shipped vocabulary when obert knows it."""
    for triple in _scheme(iri):
        graph.add(triple)
    return URIRef(iri)


def made_once(node: object) -> bool:
    """Whether `node` is a shipped vocabulary's concept or scheme, whose statements are made once per
    process: `concept` and `concept_scheme` state the very same triples (the same objects) every time."""
    return node in _MADE_ONCE


_MADE_ONCE: set[URIRef] = set()


# The shipped vocabularies never change while obert runs, so each concept's and scheme's statements are
# made once (bounded by the vocabularies' size) rather than for every dataset that links to them.
@cache
def _concept(vocab: str, code: str, rdf_type: URIRef | None) -> tuple[URIRef, tuple[_Triple, ...]] | None:
    found = vocabulary(vocab).get(code)
    if found is None:
        return None
    node = URIRef(found.uri)
    _MADE_ONCE.add(node)
    scheme = vocabulary(vocab).scheme
    triples: list[_Triple] = [
        (node, RDF.type, SKOS.Concept),
        *_scheme(scheme),
        (node, SKOS.inScheme, URIRef(scheme)),
    ]
    triples += [(node, SKOS.prefLabel, Literal(text, lang=lang)) for lang, text in found.label.items()]
    if rdf_type is not None:
        triples.append((node, RDF.type, rdf_type))
    return node, tuple(triples)


@cache
def _scheme(iri: str) -> tuple[_Triple, ...]:
    node = URIRef(iri)
    _MADE_ONCE.add(node)
    triples: list[_Triple] = [(node, RDF.type, SKOS.ConceptScheme)]
    for name in NAMES:
        if vocabulary(name).scheme.rstrip("/") == iri.rstrip("/"):
            title = vocabulary(name).title
            triples += [
                (node, DCT.title, Literal(text, lang=lang or None))
                for lang, text in sorted(title.items())
                if text
            ]
    return tuple(triples)


def typed(graph: Triples, iri: str, *rdf_types: URIRef) -> URIRef:
    node = URIRef(iri)
    for rdf_type in rdf_types:
        graph.add((node, RDF.type, rdf_type))
    return node


def localized(graph: Triples, subject: Node, predicate: URIRef, text: dict[str, str]) -> None:
    for lang, value in sorted(text.items()):
        if value:
            graph.add((subject, predicate, text_literal(value, lang or None)))


# rdflib checks a literal's language tag and value when it is made (~2 us, several times that when the
# caches are cold after a catalogue write); a dataset stated again after an edit keeps most of its texts
# (its other languages, its publisher's name), so each text is made once while it is in use.
@lru_cache(maxsize=4096)
def text_literal(value: str, lang: str | None = None) -> Literal:
    """A plain literal, with `lang` as its language tag."""
    return Literal(value, lang=lang)


# rdflib parses a typed literal's text into a Python value when it is made (~15 us for a date-time), and
# most dates stated again (a dataset's issued, a distribution's dates) are the same text as last time.
@lru_cache(maxsize=4096)
def date_literal(value: str) -> Literal:
    """An ISO date as xsd:date, a date-time as xsd:dateTime (both are allowed for dct:issued/modified)."""
    if len(value) == 10:
        return Literal(value, datatype=XSD.date)
    return Literal(value, datatype=XSD.dateTime)


def labelled_node(graph: Triples, rdf_type: URIRef, text: dict[str, str]) -> BNode:
    node = BNode()
    graph.add((node, RDF.type, rdf_type))
    localized(graph, node, RDFS.label, text)
    return node
