"""The SPARQL graph follows the catalogue: what is public is in it, what is not never is, on SQLite and
PostgreSQL, in every process that holds a copy."""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

import pytest
import sqlalchemy as sa

from obert.auth import SYSTEM
from obert.auth.audit import append
from obert.catalog import datasets, resources, workflow
from obert.catalog.models import DatasetInput, ResourceInput
from obert.dcat.context import CatalogInfo
from obert.portal import Portal
from obert.sparql import CatalogueGraph, request_rebuild
from obert.storage.tables.catalog import datasets as datasets_table
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
