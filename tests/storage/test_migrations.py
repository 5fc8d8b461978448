from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from obert.storage import Store, migrate
from obert.storage.tables import metadata
from obert.storage.tables.catalog import organizations


def test_upgrade_builds_an_empty_database_matching_the_schema(database_url: str) -> None:
    store = Store(database_url)
    assert migrate.current_revision(store) is None
    migrate.upgrade(store)
    assert migrate.current_revision(store) == migrate.head_revision()
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == [], "schema.py and the migrations disagree: write a migration"
    store.dispose()


def test_upgrading_an_existing_database_keeps_its_data(database_url: str) -> None:
    """A database made by the first release, with data in it, upgrades to the latest schema intact."""
    store = Store(database_url)
    migrate.upgrade(store, "0001_catalogue")
    now = datetime.now(UTC)
    with store.begin() as conn:
        conn.execute(
            organizations.insert().values(
                id="o1",
                name="kept",
                state="active",
                title={"ca": "Es queda"},
                description={},
                created_at=now,
                updated_at=now,
            )
        )
    migrate.upgrade(store)
    assert migrate.current_revision(store) == migrate.head_revision()
    migrate.upgrade(store)  # already at head: nothing happens, nothing is lost
    with store.read() as conn:
        assert conn.execute(sa.select(organizations.c.title)).scalar_one() == {"ca": "Es queda"}
    store.dispose()


def test_downgrade_to_base_and_back(database_url: str) -> None:
    store = Store(database_url)
    migrate.upgrade(store)
    migrate.downgrade(store, "base")
    assert migrate.current_revision(store) is None
    with store.engine.connect() as conn:
        assert "datasets" not in sa.inspect(conn).get_table_names()
    migrate.upgrade(store)
    assert migrate.current_revision(store) == migrate.head_revision()
    store.dispose()
