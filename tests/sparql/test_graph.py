"""The SPARQL graph follows the catalogue: what is public is in it, what is not never is, on SQLite and
PostgreSQL, in every process that holds a copy."""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

import pytest
import sqlalchemy as sa

from obert.auth import SYSTEM
from obert.auth.audit import append
from obert.catalog import datasets, organizations, resources, workflow
from obert.catalog.models import DatasetInput, OrganizationInput, ResourceInput
from obert.datastore.schema import GeoInfo
from obert.dcat.context import CatalogInfo
from obert.ingest.result import IngestResult
from obert.portal import Portal
from obert.sparql import CatalogueGraph, request_rebuild
from obert.storage.tables.catalog import datasets as datasets_table
from obert.tableservice.gate import PERSONAL_DATA, Hold
from obert.tableservice.versions import commit_version, new_version_id
from tests.conftest import dataset_payload


def _graph(portal: Portal) -> CatalogueGraph:
    return CatalogueGraph(store=portal.store, info=CatalogInfo.from_settings(portal.settings))


def _titles(graph: CatalogueGraph, dataset_id: str) -> set[str]:
    iri = f"http://testserver/dataset/{dataset_id}"
    query = f'SELECT ?t {{ <{iri}> <http://purl.org/dc/terms/title> ?t FILTER(LANG(?t) = "en") }}'
    with graph.current() as store:
        return {solution["t"].value for solution in store.query(query, use_default_graph_as_union=True)}  # type: ignore[index, union-attr]


def _create(portal: Portal, name: str, **fields: Any) -> str:
    data = DatasetInput.model_validate(dataset_payload(name=name, organization=None, **fields))
    return datasets.create_dataset(store=portal.store, actor=SYSTEM, data=data).id


def _patch(portal: Portal, ref: str, **patch: Any) -> None:
    datasets.patch_dataset(store=portal.store, actor=SYSTEM, ref=ref, patch=patch)


def test_only_public_datasets_and_every_change_to_them(portal: Portal) -> None:
    graph = _graph(portal)
    draft = _create(portal, "draft-one", state="draft")
    assert _titles(graph, draft) == set()  # built here, without the draft
    _patch(portal, draft, state="published")
    assert _titles(graph, draft) == {"Traffic accidents 2018"}
    _patch(portal, draft, title={"en": "Road accidents", "ca": "Accidents"})
    assert _titles(graph, draft) == {"Road accidents"}
    _patch(portal, draft, visibility="private")
    assert _titles(graph, draft) == set()
    _patch(portal, draft, visibility="public")
    workflow.withdraw(store=portal.store, actor=SYSTEM, ref=draft)
    assert _titles(graph, draft) == set()
    _patch(portal, draft, state="published")
    resources.create_resource(
        store=portal.store,
        actor=SYSTEM,
        dataset_ref=draft,
        data=ResourceInput(name="road-accidents-csv", title={"en": "Accidents CSV"}, format="CSV"),
    )
    distribution = 'ASK { ?d <http://www.w3.org/ns/dcat#distribution> ?r . ?r ?title "Accidents CSV"@en }'
    with graph.current() as store:
        assert store.query(distribution, use_default_graph_as_union=True)
    datasets.delete_dataset(store=portal.store, actor=SYSTEM, ref=draft)
    assert _titles(graph, draft) == set()
    with graph.current() as store:  # nothing of it is left, its distributions included
        assert not store.query('ASK { ?r ?title "Accidents CSV"@en }', use_default_graph_as_union=True)


def test_every_process_keeps_its_own_copy_in_step(portal: Portal) -> None:
    first, second = _graph(portal), _graph(portal)
    first.sync(), second.sync()
    made = _create(portal, "seen-by-both")
    assert _titles(first, made) == _titles(second, made) == {"Traffic accidents 2018"}
    request_rebuild(store=portal.store)
    assert first.sync().rebuilt and second.sync().rebuilt
    assert not first.sync().rebuilt  # once


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_change_that_commits_after_a_later_one_is_not_missed(portal: Portal) -> None:
    """On PostgreSQL an activity id can become visible after higher ids: the graph waits for it."""
    slow = _create(portal, "committed-late")
    graph = _graph(portal)
    graph.sync()
    with ExitStack() as stack:
        conn = stack.enter_context(portal.store.begin())
        conn.execute(
            sa.update(datasets_table)
            .where(datasets_table.c.id == slow)
            .values(title={"en": "Committed late", "ca": "Tard"})
        )
        append(conn, actor_id=None, action="update", object_type="dataset", object_id=slow)  # takes an id
        fast = _create(portal, "committed-first")  # a higher id, committed first
        assert _titles(graph, fast) == {"Traffic accidents 2018"}
        assert _titles(graph, slow) == {"Traffic accidents 2018"}
    assert _titles(graph, slow) == {"Committed late"}


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_the_graph_keeps_up_after_its_connection_to_the_database_is_lost(portal: Portal) -> None:
    """The catch-up keeps a connection between calls; a database restarted meanwhile ends it. The next
    query's catch-up must not fail for it."""
    ref = _create(portal, "before-the-restart")
    graph = _graph(portal)
    assert _titles(graph, ref) == {"Traffic accidents 2018"}
    with portal.store.begin() as conn:  # what a restart does to every connection the graph held
        ended = conn.execute(
            sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar_one()
    assert ended >= 1
    _patch(portal, ref, title={"en": "After the restart", "ca": "Després"})
    assert _titles(graph, ref) == {"After the restart"}


def _downloads(graph: CatalogueGraph) -> set[str]:
    query = "SELECT ?u { ?d <http://www.w3.org/ns/dcat#downloadURL> ?u }"
    with graph.current() as store:
        return {solution["u"].value for solution in store.query(query, use_default_graph_as_union=True)}  # type: ignore[index, union-attr]


def _commit(portal: Portal, resource_id: str, *, sha: str, held: bool) -> None:
    result = IngestResult(
        row_count=1,
        columns=[],
        format="csv",
        encoding="utf-8",
        delimiter=",",
        geo=GeoInfo(),
        sha256=sha,
        byte_size=10,
        elapsed_s=0.0,
    )
    holds = [Hold(PERSONAL_DATA, "personal data", {"columns": []})] if held else []
    commit_version(
        portal.store,
        version_id=new_version_id(),
        resource_id=resource_id,
        result=result,
        source_name="remote.csv",
        created_by=None,
        job_id=None,
        holds=holds,
    )


def test_a_held_version_withdraws_the_original_from_the_graph_at_once(portal: Portal) -> None:
    # A remote file whose table was published: the graph links the file itself. Read again, it now holds
    # personal data and its version is held: from the next query on, the graph links the published table
    # only, whatever else changes (a cached link must not outlive the original's withdrawal).
    graph = _graph(portal)
    dataset_id = _create(portal, "remote-file", resources=[])
    remote = "https://example.org/remote.csv"
    resource = resources.create_resource(
        store=portal.store,
        actor=SYSTEM,
        dataset_ref=dataset_id,
        data=ResourceInput(name="remote", title={"en": "Remote"}, format="CSV", download_url=remote),
    )
    _commit(portal, resource.id, sha="a" * 64, held=False)
    assert remote in _downloads(graph)
    _patch(portal, dataset_id, title={"en": "Remote file", "ca": "Fitxer remot"})
    assert remote in _downloads(graph)
    _commit(portal, resource.id, sha="b" * 64, held=True)
    export = f"http://testserver/api/v1/datastore/{resource.id}/export.csv"
    assert remote not in _downloads(graph) and export in _downloads(graph)
    _patch(portal, dataset_id, title={"en": "Remote file, again", "ca": "Fitxer remot, de nou"})
    assert remote not in _downloads(graph) and export in _downloads(graph)


def test_a_change_to_a_dataset_alone_reads_no_versions_and_a_resource_change_does(portal: Portal) -> None:
    graph = _graph(portal)
    dataset_id = _create(
        portal,
        "links-kept",
        resources=[{"name": "kept-file", "format": "CSV", "download_url": "https://example.org/kept.csv"}],
    )
    graph.sync()
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    sa.event.listen(portal.store.engine, "before_cursor_execute", seen)
    try:
        _patch(portal, dataset_id, title={"en": "Links kept", "ca": "Enllaços"})
        statements.clear()
        assert _titles(graph, dataset_id) == {"Links kept"}
        assert not [s for s in statements if "resource_versions" in s]
        assert "https://example.org/kept.csv" in _downloads(graph)
        resources.patch_resource(
            store=portal.store,
            actor=SYSTEM,
            ref="kept-file",
            patch={"download_url": "https://example.org/b.csv"},
        )
        statements.clear()
        found = _downloads(graph)
        assert [s for s in statements if "resource_versions" in s]
        assert "https://example.org/b.csv" in found and "https://example.org/kept.csv" not in found
    finally:
        sa.event.remove(portal.store.engine, "before_cursor_execute", seen)


def test_a_change_to_a_dataset_s_own_fields_reads_none_of_its_resources(portal: Portal) -> None:
    graph = _graph(portal)
    dataset_id = _create(
        portal,
        "fields-only",
        resources=[{"name": "kept-dist", "format": "CSV", "download_url": "https://example.org/d.csv"}],
    )
    graph.sync()
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(" ".join(statement.split()).lower())

    def reads_resources() -> bool:
        return any("from resources" in s for s in statements)

    sa.event.listen(portal.store.engine, "before_cursor_execute", seen)
    try:
        _patch(portal, dataset_id, title={"en": "Fields only", "ca": "Només camps"})
        statements.clear()
        assert _titles(graph, dataset_id) == {"Fields only"}
        assert not reads_resources(), statements
        assert "https://example.org/d.csv" in _downloads(graph)
        # What the distributions read of their dataset: derived again.
        _patch(portal, dataset_id, license="CC0")
        statements.clear()
        assert _licences(graph, dataset_id) == {
            "http://publications.europa.eu/resource/authority/licence/CC0"
        }
        assert reads_resources()
        # A resource changed: derived again, though its dataset's fields are unchanged since.
        resources.patch_resource(
            store=portal.store,
            actor=SYSTEM,
            ref="kept-dist",
            patch={"download_url": "https://example.org/e.csv"},
        )
        _patch(portal, dataset_id, title={"en": "Fields again", "ca": "Camps"})
        statements.clear()
        found = _downloads(graph)
        assert reads_resources()
        assert "https://example.org/e.csv" in found and "https://example.org/d.csv" not in found
        # Made private and public again: the distributions left with the dataset, and came back with it.
        _patch(portal, dataset_id, visibility="private")
        assert not _downloads(graph) & {"https://example.org/e.csv"}
        assert _licences(graph, dataset_id) == set()
        _patch(portal, dataset_id, visibility="public")
        assert "https://example.org/e.csv" in _downloads(graph)
        resources.delete_resource(store=portal.store, actor=SYSTEM, ref="kept-dist")
        _patch(portal, dataset_id, title={"en": "No files", "ca": "Sense fitxers"})
        assert "https://example.org/e.csv" not in _downloads(graph)
        with graph.current() as store:  # and with no distribution, no Data Package page
            iri = f"http://testserver/dataset/{dataset_id}"
            assert not store.query(
                f"ASK {{ <{iri}> <http://xmlns.com/foaf/0.1/page> ?p }}", use_default_graph_as_union=True
            )
    finally:
        sa.event.remove(portal.store.engine, "before_cursor_execute", seen)


def _licences(graph: CatalogueGraph, dataset_id: str) -> set[str]:
    iri = f"http://testserver/dataset/{dataset_id}"
    dcat, dct = "http://www.w3.org/ns/dcat#", "http://purl.org/dc/terms/"
    query = f"SELECT ?l {{ <{iri}> <{dcat}distribution> ?d . ?d <{dct}license> ?l }}"
    with graph.current() as store:
        return {solution["l"].value for solution in store.query(query, use_default_graph_as_union=True)}  # type: ignore[index, union-attr]


def test_a_publisher_renamed_is_stated_anew_and_one_unchanged_is_left_as_it_is(portal: Portal) -> None:
    # A shared subject (the publisher) is replaced only when what the datasets state of it changes.
    graph = _graph(portal)
    org = organizations.create_organization(
        store=portal.store,
        actor=SYSTEM,
        data=OrganizationInput(name="shared-publisher", title={"en": "Parks", "ca": "Parcs"}),
    )
    first = datasets.create_dataset(
        store=portal.store,
        actor=SYSTEM,
        data=DatasetInput.model_validate(dataset_payload(name="parks-one", organization=org.id)),
    ).id
    graph.sync()
    _patch(portal, first, title={"en": "Parks, one", "ca": "Parcs, u"})
    before = graph.generation
    report = graph.sync()
    assert report.derived == 1 and graph.generation == before + 1
    changes = graph.changes_since(before)
    assert changes is not None
    publisher = f"http://testserver/organization/{org.id}"
    assert publisher not in changes.graphs  # the same statements: not replaced, not sent to the children
    organizations.patch_organization(
        store=portal.store, actor=SYSTEM, ref=org.id, patch={"title": {"en": "Green", "ca": "Verd"}}
    )
    query = f"SELECT ?n {{ <{publisher}> <http://xmlns.com/foaf/0.1/name> ?n }}"
    with graph.current() as store:
        names = {s["n"].value for s in store.query(query, use_default_graph_as_union=True)}  # type: ignore[index, union-attr]
    assert names == {"Green", "Verd"}
