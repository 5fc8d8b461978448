"""SQLite: the index's postings held with its snapshot (obert.search.postings). bm25 from them is FTS5's to
the bit, a word in most documents is asked of FTS5, and there are no postings where FTS5's own records
say otherwise than the snapshot."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest

from obert.auth import ANONYMOUS
from obert.catalog.discovery import search_datasets
from obert.i18n.text import query_terms
from obert.portal import Portal
from obert.search import SearchQuery, gathered, snapshot
from obert.search.backends import SQLiteFTS
from obert.search.model import FACETS
from obert.storage.tables.search import FTS_TABLE
from tests.search.helpers import add_dataset, searched_snapshot

JUDGED = Path(__file__).resolve().parents[1] / "data" / "search_relevance.json"


def _sqlite(portal: Portal) -> None:
    if portal.store.backend != "sqlite":
        pytest.skip("the postings are SQLite's")


@pytest.mark.demo
def test_bm25_from_the_postings_is_fts5s_to_the_bit(demo: Portal) -> None:
    _sqlite(demo)
    backend = SQLiteFTS()
    judged = [q["q"] for q in json.loads(JUDGED.read_text())["queries"]]
    texts = [*judged, "aire", "qualitat aire", "bici", "a", "ac", "tr", "po", "xyzzy", "aire xyzzy"]
    compared, held_texts = 0, 0
    with demo.store.read() as conn:
        kept = searched_snapshot(conn)
        assert kept is not None and kept.postings is not None
        engine = gathered.Engine(conn, backend, kept)
        for text in texts:
            for prefix_last in (True, False):
                terms = query_terms(text, prefix_last=prefix_last)
                if not terms:
                    continue
                words = gathered.words_for(conn, backend, kept, terms)
                if not isinstance(words, gathered.Held):
                    continue
                held_texts += 1
                for any_term in (False, True):
                    for prominent in (False, True):
                        places, score = words.scored(terms, any_term=any_term, prominent=prominent)
                        asked, asked_score = engine.scored(terms, any_term=any_term, prominent=prominent)
                        assert np.array_equal(places, asked), (text, any_term, prominent)
                        assert score.tobytes() == asked_score.tobytes(), (text, any_term, prominent)
                        listed = words.listed(terms, any_term=any_term, prominent=prominent)
                        assert np.array_equal(
                            listed, engine.listed(terms, any_term=any_term, prominent=prominent)
                        )
                        compared += len(places)
    assert held_texts > 100 and compared > 300


def test_a_word_in_most_documents_is_asked_of_fts5(portal: Portal) -> None:
    _sqlite(portal)
    for name, title in (
        ("aa", "Arbrat viari"),
        ("bb", "Arbrat de fonts"),
        ("cc", "Arbrat fruiter"),
        ("dd", "Fonts"),
    ):
        add_dataset(portal, name, title=title)
    backend = SQLiteFTS()
    with portal.store.read() as conn:
        kept = searched_snapshot(conn)
        assert kept is not None and kept.postings is not None
        common, rare = query_terms("arbrat", prefix_last=False), query_terms("viari", prefix_last=False)
        assert isinstance(gathered.words_for(conn, backend, kept, common), gathered.Engine)
        assert isinstance(gathered.words_for(conn, backend, kept, rare), gathered.Held)
        mixed = query_terms("arbrat viari", prefix_last=False)
        assert isinstance(gathered.words_for(conn, backend, kept, mixed), gathered.Engine)
        # A prefix is every term starting with it: one of them not held, and FTS5 answers.
        assert isinstance(gathered.words_for(conn, backend, kept, query_terms("arb")), gathered.Engine)
        assert isinstance(gathered.words_for(conn, backend, kept, query_terms("via")), gathered.Held)
    found = search_datasets(store=portal.store, actor=ANONYMOUS, query=SearchQuery(q="arbrat", facets=FACETS))
    assert sorted(d.name for d in found.datasets) == ["aa", "bb", "cc"]
    found = search_datasets(store=portal.store, actor=ANONYMOUS, query=SearchQuery(q="viari"))
    assert [d.name for d in found.datasets] == ["aa"]


def test_a_small_index_has_its_postings_read_by_a_versions_second_search(portal: Portal) -> None:
    # A portal taking writes has a new version for nearly every search: the first search of a version
    # asks FTS5 (as quick at this size) rather than reading every posting for one search.
    _sqlite(portal)
    for name, title in (("arbres", "Arbrat viari"), ("fonts", "Arbrat de fonts")):
        add_dataset(portal, name, title=title)  # a new version: a new snapshot
        with portal.store.read() as conn:
            first = snapshot.current(conn)
            assert first is not None and first.postings is None and first.postings_due
        found = search_datasets(store=portal.store, actor=ANONYMOUS, query=SearchQuery(q="arbrat"))
        assert name in {d.name for d in found.datasets}
        with portal.store.read() as conn:
            again = snapshot.current(conn)
            assert again is first and again.postings is not None and not again.postings_due


def test_no_postings_where_fts5_has_documents_the_snapshot_has_not(portal: Portal) -> None:
    _sqlite(portal)
    add_dataset(portal, "arbres", title="Arbrat viari")
    with portal.store.read() as conn:
        fresh = snapshot.read(conn)
        assert fresh is not None and fresh.postings is not None
    with portal.store.begin() as conn:
        conn.exec_driver_sql(
            f"INSERT INTO {FTS_TABLE} (rowid, title, keywords, description, other) "
            "VALUES (999999, 'arbrat', '', '', '')"
        )
        fresh = snapshot.read(conn)
        assert fresh is not None and fresh.postings is None
        conn.rollback()


def test_postings_of_a_large_index_are_read_after_the_rest_in_the_background(
    portal: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    _sqlite(portal)
    add_dataset(portal, "arbres", title="Arbrat viari")
    add_dataset(portal, "fonts", title="Fonts ornamentals")
    monkeypatch.setattr(snapshot, "INLINE_DOCUMENTS", 0)
    snapshot.forget(portal.store.engine)
    with portal.store.read() as conn:
        assert snapshot.current(conn) is None  # not read in the request: SQL answers it
    for _ in range(500):
        with portal.store.read() as conn:
            kept = snapshot.current(conn)
        if kept is not None and kept.postings is not None:
            break
        time.sleep(0.01)
    else:
        pytest.fail("the postings were never read")
    found = search_datasets(store=portal.store, actor=ANONYMOUS, query=SearchQuery(q="arbrat"))
    assert [d.name for d in found.datasets] == ["arbres"]
