"""The SPARQL graph says what the published DCAT says: the quads derived for each public dataset, kept in
step change by change, are the triples the DCAT-AP builder gives an anonymous reader, and nothing of a
dataset that reader may not see."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
import sqlalchemy as sa
from rdflib import BNode, Graph, URIRef
from rdflib.compare import isomorphic, to_isomorphic

import obert
from obert.auth import ANONYMOUS, SYSTEM
from obert.catalog import datasets, resources
from obert.catalog.access import visible_to
from obert.catalog.models import DatasetInput, ResourceInput
from obert.catalog.organizations import list_organizations
from obert.catalog.rows import datasets_from_rows
from obert.dcat.context import CatalogInfo, DistributionLink, GraphContext
from obert.dcat.dataset import add_dataset
from obert.dcat.terms import DCAT, DCATAP, Profile
from obert.demo import catalog_settings, load_demo
from obert.portal import Portal, build_portal
from obert.settings import Settings
from obert.sparql import CatalogueGraph
from obert.sparql.derive import KnownLinks
from obert.storage.tables.catalog import datasets as datasets_table
from obert.tableservice.originals import downloads
from tests.conftest import dataset_payload

HVD = "c_164e0bf5"
_SERVICE_MARKS = {DCATAP.hvdCategory, DCATAP.applicableLegislation}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    settings = Settings(mode="test", data_dir=tmp_path_factory.mktemp("derive"), **catalog_settings())
    portal = build_portal(settings)
    load_demo(portal)
    yield portal
    portal.close()


def _published(portal: Portal) -> Graph:
    """What the DCAT-AP builder states of every dataset an anonymous reader sees, services' HVD marks
    left out (the SPARQL graph states those once per service, in a graph of their own)."""
    info = CatalogInfo.from_settings(portal.settings)
    with portal.store.read() as conn:
        rows = conn.execute(sa.select(datasets_table).where(visible_to(ANONYMOUS))).all()
        found = datasets_from_rows(conn, rows)
    every = [r for item in found for r in item.resources]
    links = {
        rid: DistributionLink(link.url, link.original, link.format, link.serves_table, link.positions)
        for rid, link in downloads(
            store=portal.store, actor=ANONYMOUS, found=every, base_url=info.base_url
        ).items()
    }
    publishers = {o.id: o for o in list_organizations(store=portal.store, limit=1000).items}
    context = GraphContext(catalog=info, publishers=publishers, links=links)
    graph = Graph()
    for item in found:
        add_dataset(graph, item, context=context, profile=Profile.DCAT_AP)
    # As the SPARQL store keeps them (it stores an xsd:nonNegativeInteger as an xsd:integer).
    kept = ox.Store()
    kept.load(graph.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
    data = ox.serialize([quad.triple for quad in kept], format=ox.RdfFormat.N_TRIPLES)
    return _without_service_marks(Graph().parse(data=data, format="nt"))


def _derived(graph: CatalogueGraph) -> Graph:
    """The SPARQL graph's quads as one rdflib graph (the union of its named graphs), marks left out."""
    with graph.current() as store:  # the union of every named graph
        data = ox.serialize([quad.triple for quad in store], format=ox.RdfFormat.N_TRIPLES)
    return _without_service_marks(Graph().parse(data=data, format="nt"))


def _without_service_marks(graph: Graph) -> Graph:
    services = set(graph.subjects(predicate=None, object=DCAT.DataService))
    for s, p, o in list(graph):
        if p in _SERVICE_MARKS and s in services:
            graph.remove((s, p, o))
    return graph


def _differences(left: Graph, right: Graph) -> str:
    a: set[Any] = set(to_isomorphic(left))
    b: set[Any] = set(to_isomorphic(right))
    named, other = _named(left), _named(right)
    if named != other:
        a, b = named, other  # the differences without blank nodes, which say more
    only_left = sorted(str(t) for t in a - b)[:5]
    only_right = sorted(str(t) for t in b - a)[:5]
    return f"only derived: {only_left}\nonly published: {only_right}"


def _named(graph: Graph) -> set[tuple[Any, Any, Any]]:
    return {t for t in graph if not any(isinstance(x, BNode) for x in t)}


def _create(portal: Portal, name: str, **fields: Any) -> str:
    data = DatasetInput.model_validate(dataset_payload(name=name, organization=None, **fields))
    return datasets.create_dataset(store=portal.store, actor=SYSTEM, data=data).id


def _subjects(graph: Graph, dataset_id: str) -> bool:
    node = URIRef(f"{graph_base(graph)}/dataset/{dataset_id}")
    return (node, None, None) in graph


def graph_base(graph: Graph) -> str:
    for s in graph.subjects(predicate=None, object=DCAT.Dataset):
        return str(s).rsplit("/dataset/", 1)[0]
    return ""


def test_the_demo_catalogue_derived_is_the_published_dcat(demo: Portal) -> None:
    graph = CatalogueGraph(store=demo.store, info=CatalogInfo.from_settings(demo.settings))
    derived, published = _derived(graph), _published(demo)
    assert len(published) > 1000
    assert isomorphic(derived, published), _differences(derived, published)


def test_each_change_caught_up_is_the_published_dcat(demo: Portal) -> None:
    graph = CatalogueGraph(store=demo.store, info=CatalogInfo.from_settings(demo.settings))
    graph.sync()
    # Multilingual, HVD, contact, period, box: every part the builder states, through the catch-up.
    hvd = _create(
        demo,
        "derive-hvd",
        hvd_categories=[HVD],
        resources=[{"name": "with-url", "format": "CSV", "download_url": "https://example.org/a.csv"}],
    )
    plain = _create(demo, "derive-plain", resources=[])
    private = _create(demo, "derive-private", visibility="private")
    draft = _create(demo, "derive-draft", state="draft")
    resources.create_resource(
        store=demo.store,
        actor=SYSTEM,
        dataset_ref=plain,
        data=ResourceInput(name="no-file", title={"ca": "Sense fitxer", "en": "No file"}, format="JSON"),
    )
    datasets.patch_dataset(
        store=demo.store,
        actor=SYSTEM,
        ref=hvd,
        patch={"title": {"ca": "Nou títol", "es": "Nuevo título", "en": "New title"}},
    )
    derived, published = _derived(graph), _published(demo)
    assert isomorphic(derived, published), _differences(derived, published)
    assert _subjects(derived, hvd) and _subjects(derived, plain)
    assert not _subjects(derived, private) and not _subjects(derived, draft)
    # A public dataset made private, and one deleted, leave the graph with everything of theirs.
    datasets.patch_dataset(store=demo.store, actor=SYSTEM, ref=hvd, patch={"visibility": "private"})
    datasets.delete_dataset(store=demo.store, actor=SYSTEM, ref=plain)
    derived, published = _derived(graph), _published(demo)
    # What they shared with others (a concept, a publisher) may stay; nothing of theirs does.
    left = _named(derived) - _named(published)
    assert _named(published) <= _named(derived)
    assert not [t for t in left if "/dataset/" in str(t[0]) or "/dataset/" in str(t[2])], left
    assert len(derived) - len(_named(derived)) == len(published) - len(_named(published))  # blank nodes'
    assert not _subjects(derived, hvd) and not _subjects(derived, plain)
    with graph.current() as store:
        assert not store.query('ASK { ?r ?p "No file"@en }', use_default_graph_as_union=True)


def test_a_change_to_a_dataset_s_own_fields_keeps_its_distributions_as_the_builder_states_them(
    demo: Portal,
) -> None:
    # Its own fields alone: the distributions are kept. What the distributions read of the dataset (its
    # name, licence, rights, HVD categories): they are derived again. Either way, what the builder states.
    graph = CatalogueGraph(store=demo.store, info=CatalogInfo.from_settings(demo.settings))
    graph.sync()
    ref = _create(
        demo,
        "derive-parts",
        resources=[
            {"name": "parts-a", "format": "CSV", "download_url": "https://example.org/parts.csv"},
            {"name": "parts-b", "format": "JSON", "title": {"en": "B"}, "license": "CC0"},
        ],
    )
    patches: list[dict[str, Any]] = [
        {"title": {"ca": "Parts", "en": "Parts"}},
        {"license": "CC_BYSA_4_0"},
        {"hvd_categories": [HVD]},
        {"description": {"en": "Still an HVD"}},
        {"extras": {"rights": "Ask the city"}},
        {"name": "derive-parts-renamed"},
        {"hvd_categories": []},
        {"keywords": {"en": ["parts"]}},
    ]
    for patch in patches:
        datasets.patch_dataset(store=demo.store, actor=SYSTEM, ref=ref, patch=patch)
        derived, published = _derived(graph), _published(demo)
        # A concept no dataset states any more (an HVD category dropped) may stay; nothing else may.
        left = _named(derived) - _named(published)
        assert _named(published) <= _named(derived), f"{patch}\n{_differences(derived, published)}"
        assert not [t for t in left if "/dataset/" in str(t[0]) or "/dataset/" in str(t[2])], left
        assert len(derived) - len(_named(derived)) == len(published) - len(_named(published)), patch
    with graph.current() as store:
        assert store.query("ASK { ?d <http://purl.org/dc/terms/rights> ?r }", use_default_graph_as_union=True)


def test_a_kept_link_holds_only_for_the_resource_as_it_was_until_forgotten(demo: Portal) -> None:
    with demo.store.read() as conn:
        rows = conn.execute(sa.select(datasets_table).where(visible_to(ANONYMOUS))).all()
        resource = next(r for item in datasets_from_rows(conn, rows) for r in item.resources)
    known = KnownLinks(size=2)
    link = DistributionLink("https://example.org/a.csv", True, "CSV", False, False)
    known.keep(resource, link)
    assert known.get(resource) == link
    # Another file, a renamed dataset (an upload's link holds its name), another format: not this link.
    changes = ({"download_url": "https://example.org/b.csv"}, {"dataset_name": "renamed"}, {"format": "X"})
    for change in changes:
        assert known.get(resource.model_copy(update=change)) is None
    known.forget([resource.id])
    assert known.get(resource) is None
    known.keep(resource, link)
    for n in range(2):
        known.keep(resource.model_copy(update={"id": f"other-{n}"}), link)
    assert len(known) == 2 and known.get(resource) is None  # the oldest went first


def test_only_the_resource_service_writes_the_resources_table() -> None:
    # The graph keeps a dataset's distributions until a log row names one of its resources: every write
    # to the resources table must be one that logs, and those are all in obert.catalog.resources.
    root = Path(obert.__file__).parent
    pattern = re.compile(r"\bresources\.(update|insert|delete)\(|\b(update|insert|delete)\(resources\b")
    writers = {
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if "alembic" not in path.parts and pattern.search(path.read_text(encoding="utf-8"))
    }
    assert writers == {"catalog/resources.py"}, writers
