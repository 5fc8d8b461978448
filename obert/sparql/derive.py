"""The catalogue's public datasets as RDF quads for the SPARQL store, made by the DCAT-AP graph builder.

Each dataset's own statements (the dataset, its distributions, its Data Package and Croissant pages,
their blank nodes and the services' `servesDataset` of it) go into a named graph of their own, so
changing or removing the dataset replaces exactly them. What datasets share (concepts, schemes,
publishers, licences, the services' descriptions) goes into one named graph per subject, replaced
whenever a dataset states it again: the same triple is never in two graphs, so queries over the union
of graphs count each once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.term import Node
from sqlalchemy.engine import Connection

from obert.auth import ANONYMOUS
from obert.catalog.models import Dataset, Organization
from obert.dcat.context import CatalogInfo, DistributionLink, GraphContext
from obert.dcat.dataset import add_dataset
from obert.dcat.terms import DCAT, DCATAP, FOAF, Profile
from obert.storage import Store
from obert.tableservice.originals import downloads, downloads_in

Subject = ox.NamedNode | ox.BlankNode
Term = ox.NamedNode | ox.BlankNode | ox.Literal
# The shape of the derived graph: raised whenever derivation changes what it states, so that snapshots
# made by an older obert are not loaded by a newer one (they are built again instead).
SHAPE = 4  # 4: the Data Package and Croissant pages are in their dataset's graph (3: dct:conformsTo)


@dataclass(frozen=True, slots=True)
class DatasetQuads:
    """One dataset's statements: its own named graph, and the shared subjects it states."""

    graph: ox.NamedNode
    own: list[ox.Quad]
    shared: dict[ox.NamedNode, list[ox.Quad]]


def graph_name(info: CatalogInfo, dataset_id: str) -> ox.NamedNode:
    return ox.NamedNode(info.dataset_uri(dataset_id))


def derive(
    found: Sequence[Dataset],
    *,
    store: Store,
    info: CatalogInfo,
    publishers: dict[str, Organization],
    conn: Connection | None = None,
) -> list[DatasetQuads]:
    """The quads of `found` (public datasets) as an anonymous reader sees them; with `conn`, their
    download links are read in that transaction (the one `found` was read in)."""
    every = [r for item in found for r in item.resources]
    if conn is not None:
        given = downloads_in(conn, actor=ANONYMOUS, found=every, base_url=info.base_url)
    else:
        given = downloads(store=store, actor=ANONYMOUS, found=every, base_url=info.base_url)
    links = {
        rid: DistributionLink(link.url, link.original, link.format, link.serves_table, link.positions)
        for rid, link in given.items()
    }
    context = GraphContext(catalog=info, publishers=publishers, links=links)
    terms: dict[Node, Term] = {}  # the datasets of a batch share most IRIs: each converted once
    return [_one(item, context, terms) for item in found]


class _Collected(list[tuple[Node, Node, Node]]):
    """The builder's triples as it states them (duplicates included: the store keeps each once). Cheaper
    than an rdflib Graph, whose indexes the quads never need."""

    def add(self, triple: tuple[Node, Node, Node], /) -> None:
        self.append(triple)


def _one(dataset: Dataset, context: GraphContext, terms: dict[Node, Term]) -> DatasetQuads:
    triples = _Collected()
    node = add_dataset(triples, dataset, context=context, profile=Profile.DCAT_AP)
    name = graph_name(context.catalog, dataset.id)
    owned = _owned(triples, node)
    own: list[ox.Quad] = []
    shared: dict[ox.NamedNode, list[ox.Quad]] = defaultdict(list)
    for s, p, o in triples:
        if s not in owned and p in _SERVICE_MARKS:
            # A service is part of a High-Value Dataset through each HVD dataset it serves: the same
            # statement from every such dataset, which a union of graphs would count once per dataset.
            # Here the dataset and its distributions say it, and the service's servesDataset links them.
            continue
        subject, predicate, value = _node(s, terms), _predicate(p), _term(o, terms)
        if s in owned or o == node:  # a service's servesDataset of this dataset belongs to the dataset
            own.append(ox.Quad(subject, predicate, value, name))
        else:
            assert isinstance(subject, ox.NamedNode)  # blank nodes are all the dataset's own
            shared[subject].append(ox.Quad(subject, predicate, value, subject))
    return DatasetQuads(name, own, dict(shared))


_SERVICE_MARKS = frozenset({DCATAP.hvdCategory, DCATAP.applicableLegislation})


# The subjects a dataset links to that are its alone: its distributions, and its Data Package and Croissant
# pages (whose IRIs hold its name, so they must leave the graph with it).
_OWN_LINKS = frozenset({DCAT.distribution, FOAF.page})


def _owned(triples: Sequence[tuple[Node, Node, Node]], node: URIRef) -> set[Node]:
    owned: set[Node] = {node}
    for s, p, o in triples:
        if isinstance(s, BNode):
            owned.add(s)
        elif s == node and p in _OWN_LINKS:
            owned.add(o)
    return owned


# The IRIs datasets share (concepts, schemes, licences, publishers, services) are converted once per
# process rather than once per catch-up; emptied when full, so it never outgrows a few megabytes.
_IRIS: dict[Node, ox.NamedNode] = {}
_MOST_IRIS = 20_000


def _term(term: Node, terms: dict[Node, Term]) -> Term:
    if type(term) is URIRef:
        iri = _IRIS.get(term)
        if iri is None:
            if len(_IRIS) >= _MOST_IRIS:
                _IRIS.clear()
            iri = _IRIS[term] = ox.NamedNode(str(term))
        return iri
    found = terms.get(term)
    if found is None:
        found = terms[term] = _convert(term)
    return found


def _node(term: Node, terms: dict[Node, Term]) -> Subject:
    found = _term(term, terms)
    assert not isinstance(found, ox.Literal)  # rdflib refuses a literal subject or predicate
    return found


@cache  # the DCAT builder's few dozen properties
def _predicate(term: Node) -> ox.NamedNode:
    return ox.NamedNode(str(term))


def _convert(term: Node) -> Term:
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    return ox.NamedNode(str(term))
