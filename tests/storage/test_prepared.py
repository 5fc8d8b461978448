from __future__ import annotations

import pytest
import sqlalchemy as sa

from obert.auth import SYSTEM
from obert.catalog.datasets import create_datasets, patch_dataset
from obert.catalog.models import DatasetInput
from obert.errors import Unavailable
from obert.storage import Store, migrate
from obert.storage.tables.catalog import activity, datasets


def _catalogue(store: Store) -> None:
    items = [
        DatasetInput(
            name="trees",
            title={"ca": "Arbres", "en": "Trees"},
            description={"en": "Every street tree."},
            keywords={"ca": ["arbres"], "en": ["trees", "parks"]},
            themes=["ENVI"],
            temporal={"start": "2020-01-01", "end": "2024-12-31"},
            spatial={"uri": "http://publications.europa.eu/resource/authority/place/ESP_BCN"},
            contact_point={"name": "Open data", "email": "opendata@example.org"},
            hvd_categories=["c_dd313021"],
            extras={"rights": "Attribution"},
        ),
        DatasetInput(name="air", title={"en": "Air quality"}),
    ]
    create_datasets(store=store, actor=SYSTEM, items=items)
    patch_dataset(store=store, actor=SYSTEM, ref="air", patch={"title": {"en": "Air quality, hourly"}})


def test_prepared_rows_equal_sqlalchemys(database_url: str) -> None:
    """Run straight on the driver, a statement gives the rows SQLAlchemy gives: JSON columns decoded,
    date-times timezone-aware, bound values and LIMIT as compiled."""
    store = Store(database_url)
    migrate.upgrade(store)
    _catalogue(store)
    one = sa.select(datasets).where(datasets.c.name == sa.bindparam("name"))
    log = sa.select(activity).where(activity.c.id > sa.bindparam("after")).order_by(activity.c.id).limit(2)
    with store.read() as conn:
        for name in ("trees", "air", "nothing"):
            expected = [dict(row._mapping) for row in conn.execute(one, {"name": name})]
            found = store.prepare(one).rows(conn, name=name)
            assert [row._asdict() for row in found] == expected
        assert [r.name for r in store.prepare(one).rows(conn, name="trees")] == ["trees"]
        assert store.prepare(one).rows(conn, name="trees")[0].temporal == {
            "start": "2020-01-01",
            "end": "2024-12-31",
        }
        for after, count in ((0, 2), (1, 2), (2, 1), (3, 0)):  # two creations and a patch
            expected = [dict(row._mapping) for row in conn.execute(log, {"after": after})]
            assert len(expected) == count
            assert [row._asdict() for row in store.prepare(log).rows(conn, after=after)] == expected
    store.dispose()


def test_prepared_statement_asks_for_its_parameters(tmp_path: object) -> None:
    store = Store("sqlite://")
    one = sa.select(datasets.c.id).where(datasets.c.name == sa.bindparam("name"))
    with pytest.raises(ValueError, match="name"), store.read() as conn:
        store.prepare(one).rows(conn)
    with pytest.raises(ValueError, match="expanding"):
        store.prepare(sa.select(datasets.c.id).where(datasets.c.id.in_(sa.bindparam("ids", expanding=True))))
    # A date-time is stored as naive UTC text on SQLite: handed to the driver as given, it would not match.
    with pytest.raises(ValueError, match="converts"):
        store.prepare(sa.select(datasets.c.id).where(datasets.c.created_at > sa.bindparam("since")))
    store.dispose()


def test_prepared_statements_errors_are_translated_as_the_stores() -> None:
    store = Store("sqlite://")  # no tables: the statement fails in the database
    with pytest.raises(Unavailable), store.read() as conn:
        store.prepare(sa.select(datasets.c.id).where(datasets.c.name == sa.bindparam("name"))).rows(
            conn, name="trees"
        )
    store.dispose()


def test_a_held_reader_keeps_its_connection_and_sees_each_write(database_url: str) -> None:
    """Between uses the reader keeps its connection, but no transaction: each use sees the writes made
    since the last (on SQLite, a read transaction left open would show the old snapshot for ever)."""
    store = Store(database_url)
    migrate.upgrade(store)
    _catalogue(store)
    reader = store.held_reader()
    names = sa.select(datasets.c.name).order_by(datasets.c.name)
    titles = store.prepare(sa.select(datasets.c.title).where(datasets.c.name == sa.bindparam("name")))
    with reader.use() as conn:
        first = conn.connection.dbapi_connection
        assert list(conn.execute(names).scalars()) == ["air", "trees"]  # SQLAlchemy begins a transaction
        assert titles.rows(conn, name="air")[0].title == {"en": "Air quality, hourly"}
    assert not conn.in_transaction()
    patch_dataset(store=store, actor=SYSTEM, ref="air", patch={"title": {"en": "Air, by the hour"}})
    create_datasets(store=store, actor=SYSTEM, items=[DatasetInput(name="noise", title={"en": "Noise"})])
    with reader.use() as conn:
        assert conn.connection.dbapi_connection is first
        assert titles.rows(conn, name="air")[0].title == {"en": "Air, by the hour"}
        assert list(conn.execute(names).scalars()) == ["air", "noise", "trees"]
    assert store.pool_usage()[0] == 1  # held between uses
    # A use that fails gives its connection back; the next use takes one from the pool again.
    with pytest.raises((Unavailable, sa.exc.DBAPIError)), reader.use() as conn:  # as `read` translates it
        conn.execute(sa.text("SELECT * FROM no_such_table"))
    assert store.pool_usage()[0] == 0
    with reader.use() as conn:
        assert list(conn.execute(names).scalars()) == ["air", "noise", "trees"]
    assert store.pool_usage()[0] == 1
    store.dispose()  # closes the held connection with the pool's
    assert store.pool_usage()[0] == 0


def test_a_sqlite_json_column_is_decoded_as_sqlalchemy_decodes_it() -> None:
    store = Store("sqlite://")
    prepared = store.prepare(sa.select(datasets.c.title, datasets.c.name))
    json_column = datasets.c.title.type._cached_result_processor(store.engine.dialect, None)
    lighter = prepared._processors[0]
    assert json_column is not None and lighter is not None and lighter is not json_column
    assert prepared._processors[1] is None  # a plain column is read as it comes
    # Text as SQLAlchemy writes it, and what a JSON column of NUMERIC affinity may give back besides.
    for value in ('{"en": "Trees"}', "[]", "null", '"text"', "5", "2.5", None, 5, 2.5, b"[1]"):
        assert lighter(value) == json_column(value)
    with pytest.raises(ValueError):
        lighter("{not json")
    store.dispose()
