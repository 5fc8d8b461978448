from __future__ import annotations

import ast
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from obert.auth import SYSTEM
from obert.catalog import datasets
from obert.catalog.common import validated
from obert.catalog.models import DatasetInput
from obert.search import SearchDocument, SearchQuery, Viewer, counts, find, suggest, write_documents
from obert.storage import Store, migrate
from obert.storage.tables import metadata
from obert.storage.tables.catalog import datasets as datasets_table
from obert.storage.tables.catalog import organizations
from obert.storage.tables.search import (
    FTS_TABLE,
    KEYWORD_IDS_COLUMN,
    TITLE_WORDS_TABLE,
    TSV_COLUMN,
    TSV_INDEX,
    TSV_TABLE,
    is_backend_specific,
)


def _shared_schema(name: str | None, type_: str, parent_names: object) -> bool:
    # The full-text structures exist on one backend only and are created by the migration alone.
    return not is_backend_specific(name)


def test_upgrade_builds_an_empty_database_matching_the_schema(database_url: str) -> None:
    store = Store(database_url)
    assert migrate.current_revision(store) is None
    migrate.upgrade(store)
    assert migrate.current_revision(store) == migrate.head_revision()
    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": _shared_schema})
        diff = compare_metadata(context, metadata)
        names = set(sa.inspect(conn).get_table_names())
        columns = {c["name"] for c in sa.inspect(conn).get_columns("search_documents")}
        indexes = (
            {i["name"] for i in sa.inspect(conn).get_indexes(TSV_TABLE)} if TSV_TABLE in names else set()
        )
    assert diff == [], "schema.py and the migrations disagree: write a migration"
    # ...and the filter hides only what the backend's full-text search needs, which must be there.
    if store.backend == "sqlite":
        assert FTS_TABLE in names
    else:
        # The vectors live in a narrow table of their own; the documents' old column (0005) stays, empty,
        # until a later release drops it (upgrades only add: see the test below).
        assert TSV_INDEX in indexes and TSV_COLUMN in columns
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
        assert not [t for t in sa.inspect(conn).get_table_names() if t.startswith("search")]
    migrate.upgrade(store)
    assert migrate.current_revision(store) == migrate.head_revision()
    store.dispose()


DESTRUCTIVE = (
    "drop_table",
    "drop_column",
    "alter_column",
    "rename_table",
    "drop_constraint",
    "DROP ",
    "RENAME ",
)


def test_upgrades_only_add_so_old_processes_keep_serving_during_a_migration() -> None:
    """`obert migrate` runs while the previous release still serves (README, Operations): an upgrade
    that drops, renames or retypes something breaks those processes. Split such a change over releases."""
    for path in sorted((migrate.MIGRATIONS / "versions").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        upgrade = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "upgrade")
        source = ast.get_source_segment(path.read_text(encoding="utf-8"), upgrade) or ""
        found = [word for word in DESTRUCTIVE if word in source]
        assert not found, f"{path.name} upgrade() is not additive: {found}"


def test_the_search_index_answers_the_same_across_the_searchperf_migration(database_url: str) -> None:
    """0010 moves PostgreSQL's vectors to a table of their own (and back on downgrade): nothing indexed is
    lost either way, and nothing needs re-indexing."""
    store = Store(database_url)
    migrate.upgrade(store)
    for name, title in (("arbres", "Arbrat viari"), ("fonts", "Fonts d'aigua potable")):
        data = validated(DatasetInput, {"name": name, "title": {"ca": title}})
        datasets.create_dataset(store=store, actor=SYSTEM, data=data)

    def found(text: str) -> list[str]:
        with store.read() as conn:
            return find(conn, viewer=Viewer(sysadmin=True), query=SearchQuery(q=text)).dataset_ids

    before = found("arbrat"), found("aigua")
    assert all(len(ids) == 1 for ids in before)
    migrate.downgrade(store, "0009_ckanstd")
    migrate.upgrade(store)
    assert (found("arbrat"), found("aigua")) == before
    store.dispose()


def test_documents_written_by_the_previous_release_get_complete_search_rows(database_url: str) -> None:
    """After 0012, PostgreSQL searches read each match's state, visibility and facet value ids from its
    search_tsv row. A process of the previous release, still serving during the upgrade, writes only
    (doc_id, tsv) and then the facets: the triggers must complete its rows, or its datasets would be
    missing from searches and facet counts until the next reindex."""
    store = Store(database_url)
    if store.backend != "postgresql":
        pytest.skip("SQLite searches read search_documents")
    migrate.upgrade(store)
    _add_trees(store)
    before = _trees_and_themes(store)
    assert len(before[0]) == 1 and before[1]["theme"] == [("ENVI", 1)]
    with store.begin() as conn:
        # Rewritten in the previous release's order and columns.
        vector = conn.execute(sa.text(f"SELECT doc_id, {TSV_COLUMN} FROM {TSV_TABLE}")).one()
        facet_rows = _take_facets(conn)
        conn.execute(sa.text(f"DELETE FROM {TSV_TABLE}"))
        conn.execute(
            sa.text(f"INSERT INTO {TSV_TABLE} (doc_id, {TSV_COLUMN}) VALUES (:doc_id, :tsv)"),
            {"doc_id": vector[0], "tsv": vector[1]},
        )
        _write_facets(conn, facet_rows)
    assert _trees_and_themes(store) == before
    store.dispose()


def test_sqlite_documents_list_their_facet_values_however_they_were_written(database_url: str) -> None:
    """After 0013, SQLite counts facets from each match's search_documents.facet_ids. The migration lists
    them for documents indexed before it, and a trigger for documents that the previous release, still
    serving during the upgrade, writes (it writes search_facets only): otherwise those datasets would be
    missing from facet counts until the next reindex."""
    store = Store(database_url)
    if store.backend != "sqlite":
        pytest.skip("PostgreSQL's search rows list them (0012)")
    migrate.upgrade(store, "0012_searchrows")
    _add_trees(store)
    migrate.upgrade(store)
    listed = _trees_and_themes(store)
    assert len(listed[0]) == 1 and listed[1]["theme"] == [("ENVI", 1)]
    with store.begin() as conn:
        facet_rows = _take_facets(conn)
        conn.execute(sa.text("UPDATE search_documents SET facet_ids = NULL"))
        _write_facets(conn, facet_rows)
    assert _trees_and_themes(store) == listed
    store.dispose()


# Tables today's index writer fills that an older release's schema may lack, as stand-ins.
STAND_INS = {
    "search_terms": "(term TEXT PRIMARY KEY, docs INTEGER NOT NULL)",
    "search_counts": "(filter_id BIGINT, value_id BIGINT, public INTEGER, live INTEGER, "
    "PRIMARY KEY (filter_id, value_id))",
    # 0029's words of the titles (PostgreSQL)
    TITLE_WORDS_TABLE: "(word TEXT, modified TIMESTAMP WITH TIME ZONE, doc_id INTEGER)",
}


def test_0025_gives_rows_indexed_before_it_their_title_vectors(database_url: str) -> None:
    """PostgreSQL: rows indexed before 0025 get the A and B positions of their vectors as their title
    vectors, and the type-ahead finds them by their titles."""
    store = Store(database_url)
    if store.backend != "postgresql":
        pytest.skip("PostgreSQL's title vectors")
    migrate.upgrade(store, "0024_pg1m")
    _add_trees(store)
    migrate.upgrade(store)
    with store.read() as conn:
        pairs = f"SELECT titles::text, ts_filter({TSV_COLUMN}, '{{a,b}}')::text FROM {TSV_TABLE}"
        rows = conn.execute(sa.text(pairs)).all()
        assert len(rows) == 1 and rows[0][0] == rows[0][1] and "arbrat" in rows[0][0]
        assert suggest(conn, viewer=Viewer(), text="arb") == ["trees"]
    store.dispose()


def test_0027_gives_rows_indexed_before_it_their_keyword_ids(database_url: str) -> None:
    """PostgreSQL: rows indexed before 0027 get the ids of their keywords as CKAN counts them (once per
    word, language '*'), and a listing with words counts its tags from them."""
    store = Store(database_url)
    if store.backend != "postgresql":
        pytest.skip("PostgreSQL's keyword ids")
    migrate.upgrade(store, "0026_jobmsg")
    _add_trees(store, keywords={"ca": ["arbres", "verd"], "es": ["árboles", "verd"]})
    migrate.upgrade(store)
    with store.read() as conn:
        kept = conn.execute(
            sa.text(
                f"SELECT v.value FROM {TSV_TABLE} t, unnest(t.{KEYWORD_IDS_COLUMN}) AS k "
                "JOIN search_values v ON v.value_id = k"
            )
        ).scalars()
        assert sorted(kept) == ["arbres", "verd", "árboles"]
    store.dispose()


def test_0029_gives_rows_indexed_before_it_their_title_words(database_url: str) -> None:
    """PostgreSQL: the published public rows indexed before 0029 get the type-ahead's words (those that do
    not start another of the row's words), and the type-ahead finds them through those."""
    store = Store(database_url)
    if store.backend != "postgresql":
        pytest.skip("PostgreSQL's words of titles")
    migrate.upgrade(store, "0028_fileholds")
    _add_trees(store, keywords={"ca": ["arbres"]})
    migrate.upgrade(store)
    with store.read() as conn:
        words = conn.execute(sa.text(f"SELECT word FROM {TITLE_WORDS_TABLE} ORDER BY word")).scalars()
        # "arbr" (a stem) starts "arbrat" and "arbres", "viar" starts "viari": left out.
        assert list(words) == ["arbrat", "arbres", "viari"]
        assert suggest(conn, viewer=Viewer(), text="arb") == ["trees"]
        assert suggest(conn, viewer=Viewer(), text="viar") == ["trees"]
    store.dispose()


def _add_trees(store: Store, keywords: dict[str, list[str]] | None = None) -> None:
    # Written as a release of 0012's time wrote it: the datasets table has since gained columns.
    stamp = datetime.now(UTC)
    empty: dict[str, object] = {}
    with store.begin() as conn:
        conn.execute(
            sa.insert(datasets_table).values(
                id="trees",
                name="arbres",
                state="published",
                visibility="public",
                title={"ca": "Arbrat viari"},
                description=empty,
                keywords=empty,
                themes=["ENVI"],
                sectors=[],
                languages=[],
                conforms_to=[],
                version_notes=empty,
                provenance=empty,
                extras=empty,
                created_at=stamp,
                updated_at=stamp,
            )
        )
        # Its search document, as the index of that release held it (the catalogue's indexing reads
        # columns added since).
        document = SearchDocument(
            dataset_id="trees",
            name="arbres",
            state="published",
            visibility="public",
            organization_id=None,
            modified=stamp,
            title={"ca": "Arbrat viari"},
            keywords=keywords or {},
            facets={"theme": ["ENVI"]},
        )
        # That release kept no vocabulary table on SQLite and no facet counts, which today's writer fills:
        # stand-ins take their rows and go (0023 lists the index's terms when it makes the table, 0024
        # counts the index's documents when it makes search_counts).
        missing = [t for t in STAND_INS if not sa.inspect(conn).has_table(t)]
        stand_ins = [
            t
            for t in missing
            if (t != "search_terms" or conn.dialect.name == "sqlite")
            and (t != TITLE_WORDS_TABLE or conn.dialect.name == "postgresql")
        ]
        for table in stand_ins:
            conn.execute(sa.text(f"CREATE TABLE {table} {STAND_INS[table]}"))
        marker = "counted" not in {c["name"] for c in sa.inspect(conn).get_columns("search_state")}
        if marker:  # 0024's mark of the version the counts agree with
            conn.execute(sa.text("ALTER TABLE search_state ADD COLUMN counted VARCHAR(32)"))
        titles = conn.dialect.name == "postgresql" and "titles" not in {
            c["name"] for c in sa.inspect(conn).get_columns(TSV_TABLE)
        }
        if titles:  # 0025's title vectors, which today's writer fills
            conn.execute(sa.text(f"ALTER TABLE {TSV_TABLE} ADD COLUMN titles tsvector"))
        keyword_ids = conn.dialect.name == "postgresql" and KEYWORD_IDS_COLUMN not in {
            c["name"] for c in sa.inspect(conn).get_columns(TSV_TABLE)
        }
        if keyword_ids:  # 0027's keyword ids, which today's writer fills
            conn.execute(sa.text(f"ALTER TABLE {TSV_TABLE} ADD COLUMN {KEYWORD_IDS_COLUMN} bigint[]"))
        write_documents(conn, [document])
        for table in stand_ins:
            conn.execute(sa.text(f"DROP TABLE {table}"))
        if marker:
            conn.execute(sa.text("ALTER TABLE search_state DROP COLUMN counted"))
        if titles:
            conn.execute(sa.text(f"ALTER TABLE {TSV_TABLE} DROP COLUMN titles"))
        if keyword_ids:
            conn.execute(sa.text(f"ALTER TABLE {TSV_TABLE} DROP COLUMN {KEYWORD_IDS_COLUMN}"))


def _trees_and_themes(store: Store) -> tuple[list[str], dict[str, list[tuple[str, int]]]]:
    """What a visitor's search finds of the dataset _add_trees makes, with the theme counts."""
    with store.read() as conn:
        hits = find(conn, viewer=Viewer(), query=SearchQuery(q="arbrat", facets=("theme",)))
    return hits.dataset_ids, hits.facets


def _take_facets(conn: sa.Connection) -> list[tuple[object, ...]]:
    """The index's facet rows, deleted with the integer pairs the trigger made of them."""
    rows = [
        tuple(row) for row in conn.execute(sa.text("SELECT doc_id, facet, value, lang FROM search_facets"))
    ]
    conn.execute(sa.text("DELETE FROM search_doc_values"))
    conn.execute(sa.text("DELETE FROM search_facets"))
    return rows


def _write_facets(conn: sa.Connection, rows: list[tuple[object, ...]]) -> None:
    """Write facet rows as the previous release does: into search_facets only."""
    conn.execute(
        sa.text("INSERT INTO search_facets (doc_id, facet, value, lang) VALUES (:d, :f, :v, :l)"),
        [{"d": d, "f": f, "v": v, "l": lang} for d, f, v, lang in rows],
    )


def test_0024_counts_the_documents_indexed_before_it(database_url: str) -> None:
    """search_counts starts from the index as it stands: a browse of the catalogue after the upgrade
    counts the dataset indexed before it, with the rows today's writer keeps for it."""
    store = Store(database_url)
    migrate.upgrade(store, "0023_find23")
    _add_trees(store)
    migrate.upgrade(store)
    kept = "SELECT filter_id, value_id, public, live FROM search_counts WHERE live <> 0"
    with store.begin() as conn:
        assert counts.usable(conn)  # made from the index as it stands, so read
        browsed = find(conn, viewer=Viewer(), query=SearchQuery(facets=("theme",)))
        assert browsed.count == 1 and browsed.facets["theme"] == [("ENVI", 1)]
        upgraded = set(conn.execute(sa.text(kept)).all())
        conn.execute(sa.text("DELETE FROM search_counts"))
        doc_id = conn.execute(sa.text("SELECT doc_id FROM search_documents")).scalar_one()
        counts.adjust(conn, [doc_id], sign=1)
        assert set(conn.execute(sa.text(kept)).all()) == upgraded
        conn.rollback()
    store.dispose()


def test_the_head_read_from_file_names_is_alembics() -> None:
    """`upgrade` skips Alembic when the database is at the head the files name: they must agree."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(migrate.MIGRATIONS))
    for rev in script.walk_revisions():
        assert rev.path is not None and Path(rev.path).stem == rev.revision, "name a file after its revision"
    assert migrate.newest_file_revision() == migrate.head_revision()


def test_upgrade_at_head_does_not_run_alembic(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from alembic import command
    from alembic.config import Config

    store = Store(database_url)
    migrate.upgrade(store, "0024_pg1m")
    ran: list[str] = []
    real = command.upgrade

    def counted(cfg: Config, rev: str) -> None:
        ran.append(rev)
        real(cfg, rev)

    monkeypatch.setattr(command, "upgrade", counted)
    migrate.upgrade(store)  # one revision behind: Alembic runs
    assert ran == ["head"] and migrate.current_revision(store) == migrate.head_revision()
    migrate.upgrade(store)  # at head: nothing to run, Alembic not asked
    assert ran == ["head"]
    store.dispose()
