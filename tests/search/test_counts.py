"""The kept facet counts (obert.search.counts) stay exact through every change, and only count what may be
seen: browsing without words reads them instead of counting the documents."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import sqlalchemy as sa

from obert.auth import ANONYMOUS, SYSTEM, Actor
from obert.catalog import datasets
from obert.catalog.discovery import SearchResult, search_datasets
from obert.catalog.indexing import rebuild_index
from obert.portal import Portal
from obert.search import SearchQuery, Viewer
from obert.search import cache as search_cache
from obert.search import counts as kept_counts
from obert.search.index import _counts
from obert.storage.tables.search import search_counts
from tests.search.helpers import add_dataset, make_org, member_of

FACETS = ("publisher", "theme", "format", "licence", "has_api", "keyword")
NO_KEYWORDS = FACETS[:-1]


def browse(portal: Portal, actor: Actor = ANONYMOUS, **kwargs: Any) -> SearchResult:
    search_cache.forget(portal.store.engine)  # the kept counts, not an answer cached earlier
    query = SearchQuery(limit=1000, facets=kwargs.pop("facets", FACETS), **kwargs)
    return search_datasets(store=portal.store, actor=actor, query=query)


def values(result: SearchResult, facet: str) -> dict[str, int]:
    return {v.value: v.count for v in result.facets[facet]}


def kept_rows(portal: Portal) -> set[tuple[int, int, int, int]]:
    """search_counts less its rows of nothing (a value no document has any more keeps a row of 0)."""
    with portal.store.read() as conn:
        rows = conn.execute(sa.select(search_counts)).all()
    return {(r.filter_id, r.value_id, r.public, r.live) for r in rows if r.public or r.live}


def counted_from_documents(portal: Portal, viewer: Viewer, query: SearchQuery) -> tuple[int, Any]:
    with portal.store.read() as conn:
        count, facet_counts, _ = _counts(conn, viewer, query, None)
    return count, facet_counts


def assert_same_as_counted(portal: Portal) -> None:
    """Every question the kept counts answer gets the answer counting the documents gives."""
    questions = [SearchQuery(facets=FACETS, lang=lang) for lang in ("ca", "en")]
    questions += [
        SearchQuery(facets=NO_KEYWORDS, filters={facet: (value,)})
        for facet, value in (("theme", "ENVI"), ("theme", "HEAL"), ("publisher", "parcs"), ("format", "CSV"))
    ]
    questions.append(SearchQuery(facets=NO_KEYWORDS, filters={"theme": ("ECON",)}))  # nobody has it
    for viewer in (Viewer(), Viewer(sysadmin=True)):
        for query in questions:
            question = kept_counts.Question(
                "live" if viewer.sysadmin else "public",
                query.facets,
                lang=query.lang,
                limit=query.facet_limit,
                chosen=next(((f, v[0]) for f, v in query.filters.items()), None),
            )
            with portal.store.read() as conn:
                kept = kept_counts.read(conn, question)
            assert kept == counted_from_documents(portal, viewer, query), (viewer, query)


def test_kept_counts_stay_exact_through_create_edit_private_withdraw_and_delete(portal: Portal) -> None:
    make_org(portal, "parcs", "Parcs i Jardins")
    make_org(portal, "aigues", "Aigües")
    add_dataset(portal, "arbres", title="Arbrat", organization="parcs", themes=["ENVI"], keywords=["arbres"])
    add_dataset(
        portal, "fonts", title="Fonts", organization="aigues", themes=["ENVI", "HEAL"], keywords=["aigua"]
    )
    add_dataset(portal, "esborrany", title="Esborrany", organization="parcs", themes=["HEAL"], state="draft")
    everyone = browse(portal)
    assert everyone.count == 2
    assert values(everyone, "theme") == {"ENVI": 2, "HEAL": 1}
    assert values(everyone, "keyword") == {"arbres": 1, "aigua": 1}
    assert values(browse(portal, actor=SYSTEM), "theme") == {"ENVI": 2, "HEAL": 2}
    health = browse(portal, facets=NO_KEYWORDS, filters={"theme": ["HEAL"]})
    assert health.count == 1 and [d.name for d in health.datasets] == ["fonts"]
    assert values(health, "publisher") == {"aigues": 1}
    assert values(health, "theme") == {"ENVI": 2, "HEAL": 1}  # a facet's own filter is left out
    assert_same_as_counted(portal)

    # An edit moves a dataset from one value to another.
    datasets.patch_dataset(store=portal.store, actor=SYSTEM, ref="arbres", patch={"themes": ["HEAL"]})
    assert values(browse(portal), "theme") == {"ENVI": 1, "HEAL": 2}
    assert browse(portal, facets=NO_KEYWORDS, filters={"theme": ["ENVI"]}).count == 1
    assert_same_as_counted(portal)

    # Private, withdrawn and deleted datasets leave the public counts; only deleted ones leave the admin's.
    datasets.patch_dataset(store=portal.store, actor=SYSTEM, ref="fonts", patch={"visibility": "private"})
    assert browse(portal).count == 1 and values(browse(portal), "publisher") == {"parcs": 1}
    assert values(browse(portal, facets=NO_KEYWORDS, filters={"theme": ["ENVI"]}), "publisher") == {}
    assert values(browse(portal, actor=SYSTEM), "publisher") == {"parcs": 2, "aigues": 1}
    assert_same_as_counted(portal)
    datasets.delete_dataset(store=portal.store, actor=SYSTEM, ref="esborrany")
    assert browse(portal, actor=SYSTEM).count == 2
    assert values(browse(portal, actor=SYSTEM), "theme") == {"ENVI": 1, "HEAL": 2}
    datasets.delete_dataset(store=portal.store, actor=SYSTEM, ref="arbres")
    gone = browse(portal)
    assert gone.count == 0 and gone.datasets == [] and all(v == [] for v in gone.facets.values())
    assert_same_as_counted(portal)

    # What the writes kept is what a rebuild from the catalogue counts afresh.
    kept = kept_rows(portal)
    rebuild_index(store=portal.store)
    assert kept_rows(portal) == kept


def test_members_of_an_organisation_are_counted_from_the_documents(portal: Portal) -> None:
    make_org(portal, "parcs", "Parcs i Jardins")
    add_dataset(portal, "arbres", title="Arbrat", organization="parcs", themes=["ENVI"])
    add_dataset(portal, "privat", title="Privat", organization="parcs", themes=["ENVI"], visibility="private")
    member = member_of(portal, "parcs")
    assert values(browse(portal, actor=member), "theme") == {"ENVI": 2}
    assert values(browse(portal), "theme") == {"ENVI": 1}


def test_several_values_or_keywords_under_a_filter_are_counted_from_the_documents(portal: Portal) -> None:
    make_org(portal, "parcs", "Parcs i Jardins")
    add_dataset(portal, "verd-a", title="Verd A", organization="parcs", themes=["ENVI"], keywords=["verd"])
    add_dataset(
        portal, "verd-b", title="Verd B", organization="parcs", themes=["ENVI", "HEAL"], keywords=["verd"]
    )
    add_dataset(portal, "salut-c", title="Salut C", organization="parcs", themes=["HEAL"], keywords=["salut"])
    either = browse(portal, filters={"theme": ["ENVI", "HEAL"]})
    assert either.count == 3 and values(either, "publisher") == {"parcs": 3}  # b once, not twice
    assert values(browse(portal, filters={"theme": ["HEAL"]}), "keyword") == {"verd": 1, "salut": 1}
    both = browse(portal, filters={"theme": ["HEAL"], "publisher": ["parcs"]})
    assert both.count == 2


def test_kept_counts_stay_exact_when_datasets_are_written_at_once(portal: Portal) -> None:
    """Writers in several threads (several transactions at once, on PostgreSQL each its own connection)
    adjust the same rows: none of their additions is lost."""
    make_org(portal, "parcs", "Parcs i Jardins")

    def write(worker: int) -> None:
        for n in range(6):
            add_dataset(portal, f"dades-{worker}-{n}", title="Dades", organization="parcs", themes=["ENVI"])

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(write, range(4)))
    assert browse(portal).count == 24
    environment = browse(portal, facets=NO_KEYWORDS, filters={"theme": ["ENVI"]})
    assert values(environment, "publisher") == {"parcs": 24}
    kept = kept_rows(portal)
    with portal.store.begin() as conn:
        kept_counts.recount(conn)
    assert kept_rows(portal) == kept


def test_counts_a_writer_did_not_keep_are_not_read_until_the_index_is_rebuilt(
    portal: Portal, monkeypatch: Any
) -> None:
    """During an upgrade, processes of the release before the kept counts still write the index and
    leave the counts behind: browsing then counts the documents, even after this release writes again,
    until `obert reindex` makes the counts afresh."""
    make_org(portal, "parcs", "Parcs i Jardins")
    add_dataset(portal, "arbres", title="Arbrat", organization="parcs", themes=["ENVI"])
    with portal.store.read() as conn:
        assert kept_counts.usable(conn)
    # A writer of the earlier release: the index changes, the counts stay as they were.
    with monkeypatch.context() as old:
        old.setattr(kept_counts, "adjust", lambda *args, **kwargs: None)
        old.setattr(kept_counts, "take_turn", lambda conn: None)
        old.setattr(
            search_cache,
            "changed",
            lambda conn, **kw: conn.execute(
                sa.text("UPDATE search_state SET version = 'written-by-an-earlier-release' WHERE id = 1")
            ),
        )
        add_dataset(portal, "fonts", title="Fonts", organization="parcs", themes=["ENVI", "HEAL"])
    with portal.store.read() as conn:
        assert not kept_counts.usable(conn)
    assert browse(portal).count == 2 and values(browse(portal), "theme") == {"ENVI": 2, "HEAL": 1}
    add_dataset(portal, "bancs", title="Bancs", organization="parcs", themes=["HEAL"])  # this release again
    with portal.store.read() as conn:
        assert not kept_counts.usable(conn)  # still missing "fonts"
    assert values(browse(portal), "theme") == {"ENVI": 2, "HEAL": 2}
    assert browse(portal, facets=NO_KEYWORDS, filters={"theme": ["HEAL"]}).count == 2
    rebuild_index(store=portal.store)
    with portal.store.read() as conn:
        assert kept_counts.usable(conn)
    assert values(browse(portal), "theme") == {"ENVI": 2, "HEAL": 2}
    assert_same_as_counted(portal)
