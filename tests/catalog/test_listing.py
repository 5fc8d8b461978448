"""Offset-paged listings (the CKAN and DCAT faces): every page, and a page past the last match, carries the
count and facets of the whole listing, on both engines (PostgreSQL counts and pages in one statement)."""

from __future__ import annotations

import pytest

from obert.auth import ANONYMOUS
from obert.catalog.listing import BrowseQuery, browse_datasets
from obert.portal import Portal
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
