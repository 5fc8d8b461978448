from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from obert.errors import Conflict, Unavailable
from obert.storage import Store, migrate
from obert.storage.tables.catalog import organizations


def _org(name: str) -> dict[str, object]:
    now = datetime.now(UTC)
    return {
        "id": name,
        "name": name,
        "state": "active",
        "title": {"en": name},
        "description": {},
        "created_at": now,
        "updated_at": now,
    }


def test_transactions_commit_or_roll_back_whole(database_url: str) -> None:
    store = Store(database_url)
    migrate.upgrade(store)
    with pytest.raises(RuntimeError), store.begin() as conn:
        conn.execute(organizations.insert().values(_org("a")))
        raise RuntimeError("boom")
    with store.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(organizations)).scalar_one() == 0
    store.dispose()


@pytest.mark.postgres
def test_reads_on_postgresql_open_no_transaction(database_url: str) -> None:
    """A read sends its statements alone: no BEGIN before them and no COMMIT after (two round trips each);
    a write transaction still opens one."""
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's transactions")
    import psycopg

    store = Store(database_url)
    migrate.upgrade(store)

    def status(conn: sa.Connection) -> psycopg.pq.TransactionStatus:
        driver = conn.connection.driver_connection
        assert isinstance(driver, psycopg.Connection)
        return driver.info.transaction_status

    with store.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(organizations)).scalar_one() == 0
        assert status(conn) == psycopg.pq.TransactionStatus.IDLE
    with store.begin() as conn:
        conn.execute(organizations.insert().values(_org("a")))
        assert status(conn) == psycopg.pq.TransactionStatus.INTRANS
    with store.read() as conn:  # the pooled connection is back in transactions' mode, then autocommit again
        assert conn.execute(sa.select(organizations.c.name)).scalars().all() == ["a"]
        assert status(conn) == psycopg.pq.TransactionStatus.IDLE
    store.dispose()


def test_integrity_errors_become_conflicts(database_url: str) -> None:
    store = Store(database_url)
    migrate.upgrade(store)
    with store.begin() as conn:
        conn.execute(organizations.insert().values(_org("a")))
    with pytest.raises(Conflict), store.begin() as conn:
        conn.execute(organizations.insert().values({**_org("a"), "id": "b"}))
    store.dispose()


def test_datetimes_come_back_in_utc(database_url: str) -> None:
    store = Store(database_url)
    migrate.upgrade(store)
    with store.begin() as conn:
        conn.execute(organizations.insert().values(_org("a")))
    with store.read() as conn:
        stamp = conn.execute(sa.select(organizations.c.created_at)).scalar_one()
    assert stamp.tzinfo is not None and stamp.utcoffset().total_seconds() == 0
    store.dispose()


def test_an_unreachable_database_is_unavailable(tmp_path: object) -> None:
    store = Store("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
    with pytest.raises(Unavailable):
        store.ping()


def test_a_sqlite_write_lock_held_too_long_is_unavailable(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'x.db'}")
    # No busy wait, so the test does not sit out the 30 s a server would.
    sa.event.listen(store.engine, "connect", lambda dbapi, _record: dbapi.execute("PRAGMA busy_timeout = 0"))
    store.ping()  # the file is in WAL mode from here on
    holder = sqlite3.connect(tmp_path / "x.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(Unavailable, match="locked"), store.begin():
            pass
        with store.read() as conn:  # readers are not held up by a writer (WAL)
            assert conn.execute(sa.text("SELECT 1")).scalar() == 1
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        store.dispose()
