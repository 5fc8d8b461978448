"""Offset-paged listings (the CKAN and DCAT faces): every page, and a page past the last match, carries the
count and facets of the whole listing, on both engines (PostgreSQL counts and pages in one statement)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from obert.auth import ANONYMOUS
from obert.catalog.listing import BrowseQuery, browse_datasets
from obert.portal import Portal
from obert.search import words_from_the_index
from tests.demo_copy import ensure_demo


@pytest.mark.demo
def test_every_page_carries_the_whole_listings_count_and_facets(portal: Portal) -> None:
    ensure_demo(portal)

    def listing(**kwargs: object) -> tuple[int, list[str], dict[str, list[tuple[str, int]]]]:
        query = BrowseQuery(facets=("publisher", "theme"), sort="modified", descending=True, **kwargs)  # type: ignore[arg-type]
        found = browse_datasets(store=portal.store, actor=ANONYMOUS, query=query)
        return found.count, [d.name for d in found.items], found.facets

    for words in ("", "qualitat aire"):
        count, everything, facets = listing(text=words, limit=100)
        assert 1 < count == len(everything)
        pages = [listing(text=words, offset=start, limit=3) for start in range(0, count, 3)]
        assert [name for _, names, _ in pages for name in names] == everything
        assert {n for n, _, _ in pages} == {count} and all(f == facets for _, _, f in pages)
        past = listing(text=words, offset=count + 5, limit=3)
        assert past[0] == count and past[1] == []
        assert listing(text=words, limit=0)[0] == count


@pytest.mark.demo
def test_facets_of_words_are_counted_exactly_with_limit_and_mincount(portal: Portal) -> None:
    """Facet counts of a listing with words (counted by value id, then named) equal counting the listed
    datasets one by one; `limit` keeps the most counted, `mincount` drops the rarer ones."""
    ensure_demo(portal)
    query = BrowseQuery(text="dades", facets=("publisher", "format", "keyword"), limit=1000, facet_limit=1000)
    found = browse_datasets(store=portal.store, actor=ANONYMOUS, query=query)
    assert found.count == len(found.items) > 2
    expected: dict[str, int] = {}
    for dataset in found.items:
        for word in {k for words in dataset.keywords.values() for k in words}:
            expected[word] = expected.get(word, 0) + 1
    assert dict(found.facets["keyword"]) == expected
    top = browse_datasets(
        store=portal.store,
        actor=ANONYMOUS,
        query=BrowseQuery(text="dades", facets=("keyword",), facet_limit=3, facet_mincount=2, limit=1),
    )
    ranked = sorted(((w, n) for w, n in expected.items() if n >= 2), key=lambda pair: (-pair[1], pair[0]))
    assert top.facets["keyword"] == ranked[:3]


@pytest.mark.postgres
def test_words_are_found_through_the_index_within_the_block_only(portal: Portal) -> None:
    """On a read's connection (each statement its own transaction) and inside a write transaction alike;
    afterwards the pooled connection has the settings it had."""
    if portal.store.backend != "postgresql":
        pytest.skip("PostgreSQL's planner")
    setting = sa.text("SELECT current_setting('enable_seqscan'), current_setting('random_page_cost')")
    for opened in (portal.store.read, portal.store.begin, portal.store.read):
        with opened() as conn:
            before = tuple(conn.execute(setting).one())
            with words_from_the_index(conn):
                assert tuple(conn.execute(setting).one()) == ("off", "1.1")
                assert tuple(conn.execute(setting).one()) == ("off", "1.1")
            assert tuple(conn.execute(setting).one()) == before == ("on", "4")
        with portal.store.read() as conn:
            assert tuple(conn.execute(setting).one()) == ("on", "4")
