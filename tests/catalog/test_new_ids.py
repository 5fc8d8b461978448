"""New datasets and resources get ids that sort in the order they were made, so that writing a batch of
them costs the same whatever the catalogue's size (a harvest's cost per dataset stays flat)."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

import pytest

from obert.auth import SYSTEM
from obert.catalog.datasets import create_dataset, create_datasets, get_dataset
from obert.catalog.models import DatasetInput, ResourceInput
from obert.catalog.resources import create_resource
from obert.portal import Portal


def _input(n: int) -> DatasetInput:
    return DatasetInput.model_validate(
        {
            "name": f"d-{n:06d}",
            "title": {"ca": f"Dades {n}"},
            "resources": [{"download_url": f"https://x.org/{n}.csv"}],
        }
    )


def _batch(portal: Portal, start: int, count: int) -> None:
    create_datasets(store=portal.store, actor=SYSTEM, items=[_input(n) for n in range(start, start + count)])


def test_ids_are_uuids_in_the_order_things_were_made(portal: Portal) -> None:
    first = create_dataset(store=portal.store, actor=SYSTEM, data=_input(1))
    _batch(portal, 2, 3)
    later = create_resource(
        store=portal.store,
        actor=SYSTEM,
        dataset_ref=first.id,
        data=ResourceInput.model_validate({"download_url": "https://x.org/more.csv"}),
    )
    made = [get_dataset(store=portal.store, actor=SYSTEM, ref=f"d-{n:06d}") for n in range(1, 5)]
    ids = [d.id for d in made]
    resource_ids = [first.resources[0].id, *(d.resources[0].id for d in made[1:]), later.id]
    for value in [*ids, *resource_ids]:
        assert str(uuid.UUID(value)) == value  # the same 36-character form as before
    assert ids == sorted(ids) and len(set(ids)) == 4
    assert resource_ids == sorted(resource_ids) and len(set(resource_ids)) == 5


def _pages_written(portal: Portal, database: Path, start: int) -> int:
    """How many pages a batch of 200 new datasets writes (the WAL's frames of its one transaction)."""
    raw = sqlite3.connect(database)
    try:
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        _batch(portal, start, 200)
        return int(raw.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1])
    finally:
        raw.close()


def test_a_batch_writes_about_as_many_pages_into_a_larger_catalogue(portal: Portal) -> None:
    if portal.store.backend != "sqlite":
        pytest.skip("counts SQLite's pages")
    database = Path(portal.store.engine.url.database or "")
    into_empty = _pages_written(portal, database, 0)
    for start in range(200, 2200, 400):
        _batch(portal, start, 400)
    into_larger = _pages_written(portal, database, 2200)
    # With random ids each of the ~7 indexes keyed by a dataset's or resource's id took a page per new
    # row once the catalogue outgrew the batch: 2.5x the pages at 2,200 datasets (1.45x now).
    assert into_larger < 2 * into_empty, (into_empty, into_larger)
