"""SQLite's in-memory snapshot of the index (obert.search.snapshot): searches from it answer exactly what
the SQL statements answer, and every write reaches them at once, in every process on the database."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from obert.auth import ANONYMOUS, SYSTEM, Actor
from obert.catalog import datasets
from obert.catalog.discovery import SearchResult, search_datasets
from obert.portal import Portal
from obert.search import SearchQuery, cache, find, gathered, snapshot, suggest
from obert.search.model import FACETS, Hits, Viewer
from obert.storage import Store
from tests.search.helpers import add_dataset, make_org, member_of, searched_snapshot

JUDGED = Path(__file__).resolve().parents[1] / "data" / "search_relevance.json"


def _sqlite(portal: Portal) -> None:
    if portal.store.backend != "sqlite":
        pytest.skip("the snapshot is SQLite's")


def _both(
    store: Store, viewer: Viewer, query: SearchQuery, monkeypatch: pytest.MonkeyPatch
) -> tuple[Hits, Hits]:
    cache.forget(store.engine)  # each answered afresh, not the other's kept answer
    snapshot.forget(store.engine)
    with store.read() as conn:
        # A small index: the snapshot read in the request, its first search asking FTS5 for the words.
        first = find(conn, viewer=viewer, query=query)
        kept_snapshot = snapshot.current(conn)
        assert kept_snapshot is not None and kept_snapshot.postings is not None  # then its postings
    cache.forget(store.engine)
    with store.read() as conn:
        kept = find(conn, viewer=viewer, query=query)
    assert first == kept
    cache.forget(store.engine)
    with monkeypatch.context() as patched:
        patched.setattr(snapshot, "current", lambda conn: None)
        with store.read() as conn:
            plain = find(conn, viewer=viewer, query=query)
    return kept, plain


@pytest.mark.demo
def test_the_snapshot_answers_what_sql_answers(demo: Portal, monkeypatch: pytest.MonkeyPatch) -> None:
    _sqlite(demo)
    # Some datasets only some may see: private to an organisation, a draft.
    make_org(demo, "parcs", "Parcs i Jardins")
    add_dataset(
        demo, "arbres", title="Arbrat viari i qualitat de l'aire", organization="parcs", visibility="private"
    )
    add_dataset(demo, "esborrany", title="Accidents esborrany", state="draft", organization="parcs")
    org_id = member_of(demo, "parcs").visible_organizations
    judged = json.loads(JUDGED.read_text())["queries"]
    texts = [(q["q"], q["lang"]) for q in judged] + [
        ("aire", "ca"),
        ("qualitat aire xyzzy", "ca"),
        ("bici", "es"),
    ]
    viewers = [Viewer(), Viewer(sysadmin=True), Viewer(organization_ids=frozenset(org_id))]
    compared = 0
    for text, lang in texts:
        for viewer in viewers:
            for sort in (None, "modified", "name"):
                query = SearchQuery(q=text, lang=lang, facets=FACETS, sort=sort, limit=5, facet_limit=5)
                kept, plain = _both(demo.store, viewer, query, monkeypatch)
                assert kept == plain, (text, viewer, sort)
                compared += kept.count
    assert compared > 100  # the queries found things: the comparison compared something
    # Filters, a facet's own filter, pages past the first.
    for filters, offset in (
        ({"theme": ["TRAN"]}, 0),
        ({"theme": ["TRAN", "ENVI"], "format": ["CSV"]}, 0),
        ({"keyword": ["accidents"]}, 0),
        ({}, 3),
    ):
        query = SearchQuery(q="dades barcelona", filters=filters, facets=FACETS, offset=offset, limit=3)
        kept, plain = _both(demo.store, Viewer(), query, monkeypatch)
        assert kept == plain, filters


@pytest.mark.demo
def test_suggestions_from_the_snapshot_are_sqls(demo: Portal, monkeypatch: pytest.MonkeyPatch) -> None:
    _sqlite(demo)
    make_org(demo, "parcs", "Parcs i Jardins")
    add_dataset(demo, "arbres", title="Accidents als arbres", organization="parcs", visibility="private")
    org_ids = member_of(demo, "parcs").visible_organizations
    offered = 0
    # A window of the best few by bm25 answers when the rest cannot come before them; a small one
    # makes that decision on the demo too.
    cases = [
        (window, limit, text, viewer)
        for window, limit in ((gathered.SUGGEST_WINDOW, 8), (3, 2), (3, 8))
        for text in ("a", "ac", "acc", "qual", "aire q", "bici", "tra", "po", "xyz", "dades b")
        for viewer in (Viewer(), Viewer(sysadmin=True), Viewer(organization_ids=frozenset(org_ids)))
    ]
    for window, limit, text, viewer in cases:
        monkeypatch.setattr(gathered, "SUGGEST_WINDOW", window)
        with demo.store.read() as conn:
            kept_snapshot = searched_snapshot(conn)
            assert kept_snapshot is not None and kept_snapshot.postings is not None
            kept = suggest(conn, viewer=viewer, text=text, limit=limit)
        with monkeypatch.context() as patched:
            patched.setattr(snapshot, "current", lambda conn: None)
            with demo.store.read() as conn:
                plain = suggest(conn, viewer=viewer, text=text, limit=limit)
        assert kept == plain, (window, limit, text, viewer)
        offered += len(kept)
    assert offered > 100


def _names(result: SearchResult) -> list[str]:
    return [d.name for d in result.datasets]


def _find(store: Store, q: str, actor: Actor = ANONYMOUS, **kwargs: Any) -> SearchResult:
    return search_datasets(store=store, actor=actor, query=SearchQuery(q=q, facets=FACETS, **kwargs))


def _theme_counts(result: SearchResult) -> dict[str, int]:
    return {v.value: v.count for v in result.facets["theme"]}


def test_every_write_reaches_the_snapshots_of_every_portal_at_once(portal: Portal) -> None:
    _sqlite(portal)
    make_org(portal, "parcs", "Parcs i Jardins")
    add_dataset(portal, "arbres", title="Arbrat viari", organization="parcs", themes=["ENVI"])
    # A second server on the same database keeps a snapshot of its own.
    other = Store(portal.store.url)
    member = member_of(portal, "parcs")
    try:
        for store in (portal.store, other):
            assert _names(_find(store, "arbrat")) == ["arbres"]
            with store.read() as conn:
                assert snapshot.current(conn) is not None
        # New.
        add_dataset(portal, "arbres-fruiters", title="Arbrat fruiter", organization="parcs", themes=["HEAL"])
        for store in (portal.store, other):
            result = _find(store, "arbrat")
            assert sorted(_names(result)) == ["arbres", "arbres-fruiters"]
            assert _theme_counts(result) == {"ENVI": 1, "HEAL": 1}
        # Edited: the old words find it no more, the new ones do.
        datasets.patch_dataset(
            store=portal.store,
            actor=SYSTEM,
            ref="arbres-fruiters",
            patch={"title": {"ca": "Fonts ornamentals"}},
        )
        for store in (portal.store, other):
            assert _names(_find(store, "arbrat")) == ["arbres"]
            assert _names(_find(store, "fonts ornamentals")) == ["arbres-fruiters"]
        # Made private: gone for visitors, still there for the organisation's members.
        datasets.patch_dataset(
            store=portal.store, actor=SYSTEM, ref="arbres", patch={"visibility": "private"}
        )
        for store in (portal.store, other):
            hidden = _find(store, "arbrat viari")
            assert hidden.typed_count == 0 and "arbres" not in _names(hidden)
            assert _names(_find(store, "arbrat", actor=member)) == ["arbres"]
        # Deleted: gone for everyone.
        datasets.delete_dataset(store=portal.store, actor=SYSTEM, ref="arbres")
        for store in (portal.store, other):
            for actor in (ANONYMOUS, member):
                result = _find(store, "viari", actor=actor)
                assert result.typed_count == 0 and "arbres" not in _names(result)
                assert _theme_counts(result) in ({}, {"HEAL": 1})  # at most the respelt search's
    finally:
        other.dispose()


def test_a_large_index_is_read_in_the_background_and_sql_answers_meanwhile(
    portal: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    _sqlite(portal)
    add_dataset(portal, "arbres", title="Arbrat viari")
    monkeypatch.setattr(snapshot, "INLINE_DOCUMENTS", 0)
    snapshot.forget(portal.store.engine)
    with portal.store.read() as conn:
        assert snapshot.current(conn) is None  # not read in the request: SQL answers it
    assert _names(_find(portal.store, "arbrat")) == ["arbres"]
    _wait_for_snapshot(portal.store)
    add_dataset(portal, "fonts", title="Arbrat de fonts")
    with portal.store.read() as conn:
        assert snapshot.current(conn) is None  # the kept one is of an older version
    assert sorted(_names(_find(portal.store, "arbrat"))) == ["arbres", "fonts"]
    # A new one is read (after a pause proportionate to the last read), and answers the same.
    kept = _wait_for_snapshot(portal.store)
    assert len(kept) == 2
    assert sorted(_names(_find(portal.store, "arbrat"))) == ["arbres", "fonts"]


def _wait_for_snapshot(store: Store) -> snapshot.Snapshot:
    for _ in range(500):
        with store.read() as conn:
            kept = snapshot.current(conn)
        if kept is not None:
            return kept
        time.sleep(0.01)
    pytest.fail("the snapshot was never read")
