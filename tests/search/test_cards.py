"""The search page's cards: the same datasets, in the same order, as the full search, with what a card
shows of each, and never one the reader may not see."""

from __future__ import annotations

import pytest

from obert.auth import ANONYMOUS, SYSTEM
from obert.catalog.discovery import search_dataset_cards, search_datasets
from obert.catalog.models import distinct_formats
from obert.portal import Portal
from obert.search import FACETS, SearchQuery
from obert.storage.tables.catalog import datasets
from tests.search.helpers import member_of


def test_distinct_formats_keep_the_first_spelling_of_each_in_order() -> None:
    assert distinct_formats(["CSV", None, "json", "csv", "", "JSON", "XLSX"]) == ("CSV", "json", "XLSX")
    assert distinct_formats([]) == ()


@pytest.mark.demo
@pytest.mark.parametrize("q", ["", "accidents", "qualitat aire", "bicing Gràcia", "trànsit"])
def test_cards_are_the_search_results_as_a_list_shows_them(demo: Portal, q: str) -> None:
    for actor in (ANONYMOUS, SYSTEM, member_of(demo, "guardia-urbana")):
        query = SearchQuery(q=q, facets=FACETS, limit=50)
        full = search_datasets(store=demo.store, actor=actor, query=query)
        cards = search_dataset_cards(store=demo.store, actor=actor, query=query)
        assert (cards.count, cards.facets, cards.relaxed) == (full.count, full.facets, full.relaxed)
        assert [c.id for c in cards.datasets] == [d.id for d in full.datasets]
        for card, dataset in zip(cards.datasets, full.datasets, strict=True):
            assert (card.name, card.title) == (dataset.name, dataset.title)
            assert card.description == dataset.description
            assert card.organization == dataset.organization
            assert card.formats == dataset.formats == distinct_formats(r.format for r in dataset.resources)
    browsed = search_dataset_cards(store=demo.store, actor=ANONYMOUS, query=SearchQuery())
    assert any(c.formats for c in browsed.datasets)


@pytest.mark.demo
def test_a_card_is_shown_only_if_the_catalogue_says_the_reader_may_see_it(demo: Portal) -> None:
    query = SearchQuery(q="accidents")
    shown = search_dataset_cards(store=demo.store, actor=ANONYMOUS, query=query).datasets
    assert shown
    # The catalogue row made private behind the index's back: the index still lists it, the page does not.
    with demo.store.begin() as conn:
        conn.execute(datasets.update().where(datasets.c.id == shown[0].id).values(visibility="private"))
    again = search_dataset_cards(store=demo.store, actor=ANONYMOUS, query=query).datasets
    assert shown[0].id not in [c.id for c in again]
    assert [c.id for c in again] == [c.id for c in shown[1:]]
