"""create_datasets: many datasets in one transaction, all or nothing, with the caller's rows."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from obert.auth import SYSTEM
from obert.catalog.datasets import create_dataset, create_datasets, get_dataset
from obert.catalog.models import DatasetInput
from obert.errors import Conflict
from obert.portal import Portal
from obert.storage.tables.catalog import activity, datasets


def _input(name: str, **extra: object) -> DatasetInput:
    return DatasetInput.model_validate(
        {
            "name": name,
            "title": {"ca": name},
            "resources": [{"download_url": f"https://x.org/{name}.csv"}],
            **extra,
        }
    )


def _count(portal: Portal, table: sa.Table) -> int:
    with portal.store.read() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def test_many_are_created_with_resources_and_activity(portal: Portal) -> None:
    create_dataset(store=portal.store, actor=SYSTEM, data=_input("older"))
    seen: list[str] = []
    created = create_datasets(
        store=portal.store,
        actor=SYSTEM,
        items=[_input("a-1"), _input("a-2", resources=[])],
        then=lambda conn, made: seen.extend(d.name for d in made),
    )
    assert [d.name for d in created] == ["a-1", "a-2"] == seen
    assert get_dataset(store=portal.store, actor=SYSTEM, ref="a-1").resources[0].name == "a-1-1"
    assert _count(portal, activity) == 3


def test_a_taken_name_creates_none(portal: Portal) -> None:
    create_dataset(store=portal.store, actor=SYSTEM, data=_input("taken"))
    with pytest.raises(Conflict, match="taken"):
        create_datasets(store=portal.store, actor=SYSTEM, items=[_input("fresh"), _input("taken")])
    with pytest.raises(Conflict):
        create_datasets(store=portal.store, actor=SYSTEM, items=[_input("twin"), _input("twin")])
    assert _count(portal, datasets) == 1


def test_the_callers_rows_roll_back_with_them(portal: Portal) -> None:
    def boom(conn: sa.Connection, made: list[object]) -> None:
        raise Conflict("the caller refused")

    with pytest.raises(Conflict):
        create_datasets(store=portal.store, actor=SYSTEM, items=[_input("b-1")], then=boom)
    assert _count(portal, datasets) == 0
