"""The catalogue's public datasets as RDF quads for the SPARQL store, made by the DCAT-AP graph builder.

Each dataset's own statements (the dataset, its Data Package and Croissant pages, their blank nodes) go
into a named graph of their own, and its distributions' (the distributions, their blank nodes and the
services' `servesDataset` of the dataset) into a second one (`#distributions`), so changing or removing
the dataset replaces exactly them, and a change to the dataset's own fields replaces only the first.
What datasets share (concepts, schemes, publishers, licences, the services' descriptions) goes into one
named graph per subject, replaced whenever a dataset states it again: the same triple is never in two
graphs, so queries over the union of graphs count each once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import cast

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.term import Node
from sqlalchemy.engine import Connection

from obert.auth import ANONYMOUS
from obert.catalog.models import Dataset, Organization, Resource
from obert.dcat.context import CatalogInfo, DistributionLink, GraphContext
from obert.dcat.dataset import add_dataset_fields, add_distributions, distribution_inputs
from obert.dcat.terms import DCAT, DCATAP, FOAF, Profile, made_once
from obert.storage import Store
from obert.tableservice.originals import Download, downloads, downloads_in

Subject = ox.NamedNode | ox.BlankNode
Term = ox.NamedNode | ox.BlankNode | ox.Literal
# The shape of the derived graph: raised whenever derivation changes what it states, so that snapshots
# made by an older obert are not loaded by a newer one (they are built again instead).
SHAPE = 5  # 5: distributions in a graph of their own (4: the tools' pages in the dataset's graph)


@dataclass(frozen=True, slots=True)
class DatasetQuads:
    """One dataset's statements: its own named graph, its distributions' (None: they are kept as they
    are, not derived again), and the shared subjects it states."""

    graph: ox.NamedNode
    own: list[ox.Quad]
    distributions: list[ox.Quad] | None
    shared: dict[ox.NamedNode, list[ox.Quad]]


def graph_name(info: CatalogInfo, dataset_id: str) -> ox.NamedNode:
    return ox.NamedNode(info.dataset_uri(dataset_id))


def distributions_graph(info: CatalogInfo, dataset_id: str) -> ox.NamedNode:
    """The named graph of a dataset's distributions (and the services' `servesDataset` of it), apart from
    the dataset's own fields, so a change to either part leaves the other as it is."""
    return ox.NamedNode(info.dataset_uri(dataset_id) + "#distributions")


class KnownDistributions:
    """For each dataset derived lately, what its distributions' statements read of it
    (`dcat.dataset.distribution_inputs`), so that a change to the dataset's own fields keeps the
    distributions in the graph rather than reading its resources and deriving them again.

    A dataset's distributions are kept only while no row of the activity log names one of its resources
    (every change to a resource or its versions appends one, in its own transaction: the resources table
    is written only by `catalog.resources`, and a new dataset's resources come with its creation, when
    it has no entry here yet; the graph forgets the dataset when it reads such a row, before it derives
    anything), and while these inputs are the same (a rename, a new licence, rights or HVD categories
    derive them again)."""

    def __init__(self, size: int = 100_000) -> None:
        # The inputs, and whether the dataset has any distribution (so the graph need not be asked).
        self._inputs: dict[str, tuple[tuple[object, ...], bool]] = {}
        self._size = size  # a small tuple each; the oldest go first

    def kept(self, dataset: Dataset) -> bool | None:
        """None when `dataset`'s distributions are to be derived again; else whether it has any."""
        found = self._inputs.get(dataset.id)
        if found is None or found[0] != distribution_inputs(dataset):
            return None
        return found[1]

    def keep(self, dataset: Dataset) -> None:
        self._inputs.pop(dataset.id, None)
        self._inputs[dataset.id] = (distribution_inputs(dataset), bool(dataset.resources))
        while len(self._inputs) > self._size:
            del self._inputs[next(iter(self._inputs))]

    def forget(self, dataset_ids: Iterable[str]) -> None:
        for did in dataset_ids:
            self._inputs.pop(did, None)

    def __contains__(self, dataset_id: object) -> bool:
        return dataset_id in self._inputs

    def __len__(self) -> int:
        return len(self._inputs)


class KnownLinks:
    """The download link an anonymous reader is given for each resource derived lately, kept between
    catch-ups so that a change to a dataset alone does not read its resources' versions again.

    An entry holds only until a row of the activity log names its resource: every change to what a
    resource's link may be (a version published, held or purged, a table dropped, the resource edited)
    appends a `resource` or `resource_version` row in its own transaction, and the graph forgets the
    resource's link when it reads that row, before it derives anything (so a held or withdrawn original
    is never linked from a link kept from before). The resource's own fields the link is made of are
    the entry's key besides, so an edit of them is a miss whatever the log says."""

    def __init__(self, size: int = 50_000) -> None:
        self._links: dict[str, tuple[tuple[str | None, ...], DistributionLink]] = {}
        self._size = size  # a few hundred bytes each; the oldest go first

    def get(self, resource: Resource) -> DistributionLink | None:
        found = self._links.get(resource.id)
        if found is None or found[0] != _link_key(resource):
            return None
        return found[1]

    def keep(self, resource: Resource, link: DistributionLink) -> None:
        self._links.pop(resource.id, None)
        self._links[resource.id] = (_link_key(resource), link)
        while len(self._links) > self._size:
            del self._links[next(iter(self._links))]

    def forget(self, resource_ids: Iterable[str]) -> None:
        for rid in resource_ids:
            self._links.pop(rid, None)

    def __len__(self) -> int:
        return len(self._links)


def _link_key(resource: Resource) -> tuple[str | None, ...]:
    # What `tableservice.originals.downloads` reads of the resource itself (the rest is its versions').
    return (
        resource.dataset_name,
        resource.upload,
        resource.checksum,
        resource.download_url,
        resource.access_url,
        resource.format,
    )


def derive(
    found: Sequence[Dataset],
    *,
    store: Store,
    info: CatalogInfo,
    publishers: dict[str, Organization],
    conn: Connection | None = None,
    known: KnownLinks | None = None,
    kept: Mapping[str, bool] | None = None,
    distributed: KnownDistributions | None = None,
) -> list[DatasetQuads]:
    """The quads of `found` (public datasets) as an anonymous reader sees them; with `conn`, their
    download links are read in that transaction (the one `found` was read in); with `known`, the links
    it holds are used and those read are kept in it. The datasets in `kept` (read without their
    resources) keep their distributions as they are; each says whether it has any. With `distributed`,
    the inputs of the distributions derived here are kept in it."""
    kept = kept or {}
    every = [r for item in found if item.id not in kept for r in item.resources]
    links: dict[str, DistributionLink] = {}
    missing = every
    if known is not None:
        missing = []
        for resource in every:
            link = known.get(resource)
            if link is None:
                missing.append(resource)
            else:
                links[resource.id] = link
    given: dict[str, Download]
    if not missing:
        given = {}
    elif conn is not None:
        given = downloads_in(conn, actor=ANONYMOUS, found=missing, base_url=info.base_url)
    else:
        given = downloads(store=store, actor=ANONYMOUS, found=missing, base_url=info.base_url)
    by_id = {r.id: r for r in missing}
    for rid, download in given.items():
        link = DistributionLink(
            download.url, download.original, download.format, download.serves_table, download.positions
        )
        links[rid] = link
        if known is not None:
            known.keep(by_id[rid], link)
    context = GraphContext(catalog=info, publishers=publishers, links=links)
    out = []
    for item in found:
        out.append(_one(item, context, kept.get(item.id)))
        if distributed is not None and item.id not in kept:
            distributed.keep(item)
    return out


class _Collected(list[tuple[Node, Node, Node]]):
    """The builder's triples as it states them (duplicates included: the store keeps each once). Cheaper
    than an rdflib Graph, whose indexes the quads never need."""

    def add(self, triple: tuple[Node, Node, Node], /) -> None:
        self.append(triple)


def _one(dataset: Dataset, context: GraphContext, has_distributions: bool | None) -> DatasetQuads:
    fields = _Collected()
    node = add_dataset_fields(
        fields, dataset, context=context, profile=Profile.DCAT_AP, has_distributions=has_distributions
    )
    name = graph_name(context.catalog, dataset.id)
    shared: dict[ox.NamedNode, list[ox.Quad]] = defaultdict(list)
    # Converted first, and told apart as pyoxigraph terms, whose comparisons cost a fraction of rdflib's.
    subject = _node(node)
    own = _split(fields, subject, name, shared)
    distributions = None
    if has_distributions is None:  # derived again
        parts = _Collected()
        add_distributions(parts, node, dataset, context=context, profile=Profile.DCAT_AP)
        distributions = _split(parts, subject, distributions_graph(context.catalog, dataset.id), shared)
    return DatasetQuads(name, own, distributions, dict(shared))


def _split(
    triples: Sequence[tuple[Node, Node, Node]],
    subject: Subject,
    name: ox.NamedNode,
    shared: dict[ox.NamedNode, list[ox.Quad]],
) -> list[ox.Quad]:
    """The quads of `triples` that are the dataset's own, in graph `name`; the shared subjects' statements
    are added to `shared`."""
    converted: list[tuple[Subject, ox.NamedNode, Term]] = []
    made: list[_Made | None] = []
    for triple in triples:
        found = _MADE.get(id(triple))
        if found is not None and found.triple is triple:
            converted.append(found.terms)
            made.append(found)
        else:
            converted.append((_node(triple[0]), _predicate(triple[1]), _term(triple[2])))
            made.append(None)
    owned = _owned(converted, subject)
    own: list[ox.Quad] = []
    for (s, p, o), triple, kept in zip(converted, triples, made, strict=True):
        mine = s in owned
        if not mine and p in _SERVICE_MARKS:
            # A service is part of a High-Value Dataset through each HVD dataset it serves: the same
            # statement from every such dataset, which a union of graphs would count once per dataset.
            # Here the dataset and its distributions say it, and the service's servesDataset links them.
            continue
        if mine or o == subject:  # a service's servesDataset of this dataset belongs to the dataset
            own.append(ox.Quad(s, p, o, name))
        else:
            assert isinstance(s, ox.NamedNode)  # blank nodes are all the dataset's own
            if kept is None:
                quad = _shared_quad(s, p, o) if type(o) is ox.Literal else ox.Quad(s, p, o, s)
                if made_once(triple[0]):
                    _keep(_Made(triple, (s, p, o), quad))
                shared[s].append(quad)
            else:
                shared[s].append(kept.quad)
    return own


@dataclass(frozen=True, slots=True)
class _Made:
    triple: tuple[Node, Node, Node]
    terms: tuple[Subject, ox.NamedNode, Term]
    quad: ox.Quad


# A shared subject's statements as quads, kept by the identity of the builder's triple: the shipped
# vocabularies' concepts and schemes are stated as the very same tuples every time (`made_once`), so their
# quads are made once rather than for every dataset derived. Each entry holds its triple, so its id cannot
# be another object's while it is kept; bounded by the vocabularies' size, emptied if ever full.
_MADE: dict[int, _Made] = {}
_MOST_MADE = 50_000


def _keep(made: _Made) -> None:
    if len(_MADE) >= _MOST_MADE:
        _MADE.clear()
    _MADE[id(made.triple)] = made


# A shared subject's statement of a text (a publisher's name, in each language), as a quad, kept by its terms:
# the same for every dataset the subject is stated for. pyoxigraph's Quad() tries each kind of term in
# turn and a literal object costs it two failed tries (~3 us), finding the quad again a quarter of that.
# Emptied when full.
_SHARED_TEXTS: dict[tuple[ox.NamedNode, ox.NamedNode, ox.Literal], ox.Quad] = {}
_MOST_SHARED_TEXTS = 20_000


def _shared_quad(s: ox.NamedNode, p: ox.NamedNode, o: ox.Literal) -> ox.Quad:
    key = (s, p, o)
    quad = _SHARED_TEXTS.get(key)
    if quad is None:
        if len(_SHARED_TEXTS) >= _MOST_SHARED_TEXTS:
            _SHARED_TEXTS.clear()
        quad = _SHARED_TEXTS[key] = ox.Quad(s, p, o, s)
    return quad


_SERVICE_MARKS = frozenset(ox.NamedNode(str(p)) for p in (DCATAP.hvdCategory, DCATAP.applicableLegislation))


# The subjects a dataset links to that are its alone: its distributions, and its Data Package and Croissant
# pages (whose IRIs hold its name, so they must leave the graph with it).
_OWN_LINKS = frozenset(ox.NamedNode(str(p)) for p in (DCAT.distribution, FOAF.page))


def _owned(converted: Sequence[tuple[Subject, ox.NamedNode, Term]], subject: Subject) -> set[Term]:
    owned: set[Term] = {subject}
    for s, p, o in converted:
        if type(s) is ox.BlankNode:
            owned.add(s)
        elif p in _OWN_LINKS and s == subject:
            owned.add(o)
    return owned


# The IRIs datasets share (concepts, schemes, licences, publishers, services) are converted once per
# process rather than once per catch-up; emptied when full, so it never outgrows a few megabytes. Keyed
# by the IRI as a plain string: looking up an equal rdflib term that is another object calls rdflib's
# `__eq__` (Python), which costs several times the copy.
_IRIS: dict[str, ox.NamedNode] = {}
_MOST_IRIS = 20_000
_PREDICATES: dict[str, ox.NamedNode] = {}  # the DCAT builder's few dozen properties
_LITERALS: dict[int, tuple[Literal, ox.Literal]] = {}
_MOST_LITERALS = 20_000


def _term(term: Node) -> Term:
    if type(term) is URIRef:
        key = str.__str__(term)
        iri = _IRIS.get(key)
        if iri is None:
            if len(_IRIS) >= _MOST_IRIS:
                _IRIS.clear()
            iri = _IRIS[key] = ox.NamedNode(key)
        return iri
    if type(term) is Literal:
        # Found by identity, not by value (hashing an rdflib literal costs about what converting it
        # does): the builder's texts and dates are made once while in use (`text_literal`,
        # `date_literal`), so an edited dataset's other texts, and its publisher's name, are the very
        # same objects as last time. Each entry holds its literal, so its id is no other object's.
        found = _LITERALS.get(id(term))
        if found is not None and found[0] is term:
            return found[1]
        literal = cast(ox.Literal, _convert(term))
        if len(_LITERALS) >= _MOST_LITERALS:
            _LITERALS.clear()
        _LITERALS[id(term)] = (term, literal)
        return literal
    # A blank node is converted each time: its label makes the same pyoxigraph node every time.
    return _convert(term)


def _node(term: Node) -> Subject:
    return cast(Subject, _term(term))  # rdflib refuses a literal subject or predicate


def _predicate(term: Node) -> ox.NamedNode:
    key = str.__str__(term)
    found = _PREDICATES.get(key)
    if found is None:
        found = _PREDICATES[key] = ox.NamedNode(key)
    return found


def _convert(term: Node) -> Term:
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=cast(ox.NamedNode, _term(term.datatype)))
        return ox.Literal(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    return ox.NamedNode(str(term))
