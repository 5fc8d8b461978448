"""A process starts its SPARQL graph from the snapshot in the data dir and the log since, rather than
deriving the whole catalogue again; a snapshot of another catalogue, or one that does not cover what the
log asks for, is never taken for this one."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import pytest

from obert.auth import SYSTEM
from obert.catalog import datasets
from obert.catalog.models import DatasetInput
from obert.dcat.context import CatalogInfo
from obert.portal import Portal
from obert.sparql import CatalogueGraph, request_rebuild, snapshot_path
from obert.sparql import snapshot as snapshots
from tests.conftest import dataset_payload


def _graph(portal: Portal, info: CatalogInfo | None = None) -> CatalogueGraph:
    return CatalogueGraph(
        store=portal.store,
        info=info or CatalogInfo.from_settings(portal.settings),
        snapshot=snapshot_path(portal.settings.data_dir),
    )


def _create(portal: Portal, name: str, **fields: Any) -> str:
    data = DatasetInput.model_validate(dataset_payload(name=name, organization=None, **fields))
    return datasets.create_dataset(store=portal.store, actor=SYSTEM, data=data).id


def _names(graph: CatalogueGraph) -> set[str]:
    query = "SELECT ?d { ?d a <http://www.w3.org/ns/dcat#Dataset> }"
    with graph.current() as store:
        found = store.query(query, use_default_graph_as_union=True)
        return {s["d"].value.rsplit("/", 1)[-1] for s in found}  # type: ignore[index, union-attr]


class NoBuilding:
    """Fails the test if the graph derives the whole catalogue."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, graph: CatalogueGraph) -> None:
        def refuse() -> Any:
            raise AssertionError("the whole catalogue was derived again")

        monkeypatch.setattr(graph, "_public_batches", refuse)


def test_a_new_process_starts_from_the_snapshot_and_the_log_since(
    portal: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _create(portal, "before-the-snapshot")
    hidden = _create(portal, "made-private-later")
    built = _graph(portal)
    built.rebuild(write_snapshot=True)
    path = snapshot_path(portal.settings.data_dir)
    assert path.exists() and not list(path.parent.glob(".*.part"))  # written in one step
    later = _create(portal, "after-the-snapshot")
    draft = _create(portal, "a-draft", state="draft")
    datasets.patch_dataset(store=portal.store, actor=SYSTEM, ref=hidden, patch={"visibility": "private"})

    started = _graph(portal)
    NoBuilding(monkeypatch, started)
    started.sync()
    assert started.base == built.base
    assert _names(started) == {first, later}  # the private and the draft one are not in it
    assert draft not in _names(started)


def test_a_process_without_a_snapshot_writes_one(portal: Portal, caplog: pytest.LogCaptureFixture) -> None:
    made = _create(portal, "only-dataset")
    with caplog.at_level(logging.INFO, logger="obert.sparql"):
        _graph(portal).sync()
    # A fresh data directory has no snapshot yet: that is no warning for the operator.
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
    tag = snapshots.read_tag(snapshot_path(portal.settings.data_dir))
    assert tag is not None and tag.datasets == 1
    assert made in _names(_graph(portal))


def test_a_snapshot_of_another_catalogue_is_not_loaded(
    portal: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    _create(portal, "one")
    _graph(portal).rebuild(write_snapshot=True)
    path = snapshot_path(portal.settings.data_dir)
    elsewhere = replace(CatalogInfo.from_settings(portal.settings), base_url="http://elsewhere.example")
    assert snapshots.load(path, store=portal.store, info=elsewhere) is None
    # Nor one whose last activity row is not this database's (a restore, another database).
    tag = snapshots.read_tag(path)
    assert tag is not None
    text = path.read_bytes().replace(tag.last_at.encode(), b"2001-01-01T00:00:00+00:00")  # type: ignore[union-attr]
    path.write_bytes(text)
    info = CatalogInfo.from_settings(portal.settings)
    assert snapshots.load(path, store=portal.store, info=info) is None
    graph = _graph(portal)
    graph.sync()  # built from the catalogue instead
    assert graph.size > 0


def test_a_snapshot_of_an_older_shape_is_built_again(portal: Portal, monkeypatch: pytest.MonkeyPatch) -> None:
    """A snapshot an older obert wrote (its pages still had a dct:format, which the per-format example
    would count) is not loaded: the graph is derived again, in the shape of this obert."""
    _create(
        portal, "one", resources=[{"name": "data", "format": "CSV", "download_url": "http://e.org/a.csv"}]
    )
    monkeypatch.setattr(snapshots, "SHAPE", snapshots.SHAPE - 1)
    _graph(portal).rebuild(write_snapshot=True)
    monkeypatch.undo()
    path = snapshot_path(portal.settings.data_dir)
    # The old shape, as such a snapshot holds it: a page with a format.
    page = "<http://testserver/dataset/one/datapackage.json>"
    with path.open("a") as out:
        out.write(f'{page} <http://purl.org/dc/terms/format> "application/json" {page} .\n')
    info = CatalogInfo.from_settings(portal.settings)
    assert snapshots.load(path, store=portal.store, info=info) is None
    graph = _graph(portal)
    graph.sync()
    with graph.current() as store:
        formats = store.query(
            "SELECT ?s { ?s <http://purl.org/dc/terms/format> ?f }", use_default_graph_as_union=True
        )
        subjects = {s["s"].value for s in formats}  # type: ignore[index, union-attr]
    assert len(subjects) == 1 and "/resource/" in next(iter(subjects))


def test_obert_sparql_rebuild_has_running_processes_load_its_snapshot(
    portal: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    _create(portal, "first")
    running = _graph(portal)
    running.sync()
    second = _create(portal, "second")
    # What `obert sparql rebuild` does.
    command = _graph(portal)
    command.rebuild(write_snapshot=True)
    request_rebuild(store=portal.store, covered=command.base)

    NoBuilding(monkeypatch, running)
    report = running.sync()
    assert report.rebuilt and running.base == command.base
    assert second in _names(running)
    # A process that started from that snapshot already holds what the request asks for.
    fresh = _graph(portal)
    NoBuilding(monkeypatch, fresh)
    fresh.sync()
    assert not fresh.sync().rebuilt


def test_a_file_that_is_not_a_snapshot_is_ignored(portal: Portal) -> None:
    path = snapshot_path(portal.settings.data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("<urn:a> <urn:b> <urn:c> .\n")
    made = _create(portal, "real")
    graph = _graph(portal)
    graph.sync()
    assert _names(graph) == {made}
    assert snapshots.read_tag(path) is not None  # replaced by a snapshot of the graph built
