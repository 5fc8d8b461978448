"""Matching, ranking, facets, filters and paging over the real demo catalogue, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from obert.auth import ANONYMOUS, Actor
from obert.catalog.discovery import SearchResult, search_datasets, suggest_datasets
from obert.errors import Invalid
from obert.i18n.text import fold
from obert.portal import Portal
from obert.search import FACETS, SearchQuery, cache, index
from tests.search.helpers import add_dataset

ACCIDENTS = {"accidents-gu-bcn", "accidents-tipus-gu-bcn"}
AIR = {"qualitat-aire-detall-bcn", "qualitat-aire-estacions-bcn"}


def find(portal: Portal, q: str = "", actor: Actor = ANONYMOUS, **kwargs: Any) -> SearchResult:
    return search_datasets(store=portal.store, actor=actor, query=SearchQuery(q=q, **kwargs))


def names(result: SearchResult) -> list[str]:
    return [d.name for d in result.datasets]


@pytest.mark.demo
def test_words_find_what_a_person_expects_first(demo: Portal) -> None:
    assert set(names(find(demo, "accidents"))[:2]) == ACCIDENTS
    assert set(names(find(demo, "qualitat aire"))[:2]) == AIR
    assert set(names(find(demo, "air quality"))[:2]) == AIR  # English metadata, English words
    assert set(names(find(demo, "calidad del aire"))[:2]) == AIR  # Spanish, with a stop word
    assert names(find(demo, "mercats municipals"))[0] == "mercats-municipals"
    assert names(find(demo, "renda llars"))[0] == "renda-disponible-llars-bcn"


@pytest.mark.demo
def test_stemming_accents_and_case(demo: Portal) -> None:
    assert set(names(find(demo, "accident"))) == ACCIDENTS
    assert set(names(find(demo, "ACCIDENTES"))) == ACCIDENTS
    assert names(find(demo, "bicicletes")) == names(find(demo, "bicicleta")) == ["bicing-estacions"]
    gracia = find(demo, "gracia")
    assert gracia.count >= 1
    assert names(gracia) == names(find(demo, "GRÀCIA"))
    for dataset in gracia.datasets:
        text = " ".join([*dataset.title.values(), *dataset.description.values()])
        text += " ".join(t for r in dataset.resources for t in (*r.title.values(), *r.description.values()))
        assert "gracia" in fold(text), dataset.name


@pytest.mark.demo
def test_prefixes_find_words_being_typed(demo: Portal) -> None:
    assert set(names(find(demo, "accid"))) == ACCIDENTS
    assert set(names(find(demo, "qualitat ai"))) >= AIR
    assert set(names(find(demo, "bicin"))) == {"bicing-estacions"}
    assert set(names(find(demo, "accidents "))) == ACCIDENTS  # a finished word matches its stems


def test_title_outranks_keywords_outranks_description(portal: Portal) -> None:
    add_dataset(portal, "in-description", title="Padró", description="Parla de zebres.")
    add_dataset(portal, "in-keywords", title="Mobilitat", keywords=["zebra"])
    add_dataset(portal, "in-title", title="Passos de zebra")
    assert names(find(portal, "zebra")) == ["in-title", "in-keywords", "in-description"]


@pytest.mark.demo
def test_no_dataset_with_every_word_falls_back_to_any(demo: Portal) -> None:
    result = find(demo, "accidents mercats")
    assert result.relaxed
    assert {"mercats-municipals", *ACCIDENTS} <= set(names(result))
    assert not find(demo, "accidents").relaxed
    assert find(demo, "xyzzy plugh").count == 0


@pytest.mark.demo
def test_empty_query_lists_everything_newest_first(demo: Portal, catalog: dict[str, Any]) -> None:
    result = find(demo, "", limit=100)
    assert result.count == len(catalog["datasets"])
    modified = [d.modified or d.updated_at.isoformat() for d in result.datasets]
    assert len(names(result)) == result.count
    assert names(find(demo, "   ", limit=100)) == names(result)
    by_name = find(demo, "", sort="name", limit=100)
    assert names(by_name) == sorted(names(by_name))
    assert modified  # ordered by the index's modified column; checked precisely in test_index


@pytest.mark.demo
def test_facet_counts_are_exact(demo: Portal, catalog: dict[str, Any]) -> None:
    entries = catalog["datasets"]
    result = find(demo, facets=("theme", "publisher", "format", "licence", "language", "has_api"))
    counts = {name: {v.value: v.count for v in values} for name, values in result.facets.items()}
    assert counts["theme"] == Counter(t for d in entries for t in d["themes"])
    assert counts["publisher"] == Counter(d["organization"] for d in entries)
    assert counts["format"] == Counter(
        f for d in entries for f in {r["format"] for r in d["resources"] if r.get("format")}
    )
    assert counts["licence"] == Counter(d["license"] for d in entries if d.get("license"))
    assert counts["language"] == Counter(code for d in entries for code in d.get("languages", []))
    assert counts["has_api"] == {"yes": len(entries)}  # every demo dataset has an uploaded table
    labels = {v.value: v.label for v in result.facets["theme"]}
    assert labels["TRAN"] == "Transport" and labels["ENVI"] == "Medi ambient"
    english = find(demo, facets=("theme", "keyword"), lang="en")
    assert {v.value: v.label for v in english.facets["theme"]}["ENVI"] == "Environment"
    keywords = {v.value for v in english.facets["keyword"]}
    assert "air quality" in keywords and "qualitat de l'aire" not in keywords


@pytest.mark.demo
def test_a_text_search_counts_every_facet_over_its_own_matches(demo: Portal, catalog: dict[str, Any]) -> None:
    # SQLite counts a text search's facets from the ids its matches list, PostgreSQL from their search
    # rows (keywords from search_doc_values): both must give exactly the counts of the datasets found.
    result = find(demo, "barcelona", facets=FACETS, lang="en", limit=100, facet_limit=200)
    found = set(names(result))
    assert 8 <= result.count == len(found) < len(catalog["datasets"])
    entries = [d for d in catalog["datasets"] if d["name"] in found]
    counts = {name: {v.value: v.count for v in values} for name, values in result.facets.items()}
    assert counts["theme"] == Counter(t for d in entries for t in d["themes"])
    assert counts["publisher"] == Counter(d["organization"] for d in entries)
    assert counts["licence"] == Counter(d["license"] for d in entries if d.get("license"))
    # Keywords in the reader's language only; each value counted once a dataset.
    assert counts["keyword"] == Counter(k for d in entries for k in set(d["keywords"].get("en", [])))


@pytest.mark.demo
def test_filters_and_across_facets_or_within_one(demo: Portal, catalog: dict[str, Any]) -> None:
    entries = catalog["datasets"]
    tran_or_envi = {d["name"] for d in entries if {"TRAN", "ENVI"} & set(d["themes"])}
    result = find(demo, filters={"theme": ("TRAN", "ENVI")}, facets=("theme", "publisher"), limit=100)
    assert set(names(result)) == tran_or_envi and result.count == len(tran_or_envi)
    # The theme facet leaves out its own filter, so other themes still show what they would add...
    themes = {v.value: v for v in result.facets["theme"]}
    assert themes["SOCI"].count == sum("SOCI" in d["themes"] for d in entries)
    assert themes["TRAN"].selected and not themes["SOCI"].selected
    # ...while other facets count only what is shown.
    publishers = {v.value: v.count for v in result.facets["publisher"]}
    assert sum(publishers.values()) == len(tran_or_envi)
    both = find(demo, filters={"theme": ("TRAN", "ENVI"), "publisher": ("guardia-urbana",)}, limit=100)
    assert set(names(both)) == ACCIDENTS
    assert find(demo, "aire", filters={"publisher": ("guardia-urbana",)}).count == 0


@pytest.mark.demo
def test_pages_cover_every_result_once(demo: Portal) -> None:
    seen: list[str] = []
    offset: int | None = 0
    while offset is not None:
        page = find(demo, "", limit=3, offset=offset)
        seen += names(page)
        offset = page.next_offset
    assert len(seen) == len(set(seen)) == page.count
    beyond = find(demo, "", offset=500)
    assert beyond.datasets == [] and beyond.count == page.count


@pytest.mark.demo
def test_pages_by_relevance_are_the_pages_of_the_whole_ranking(demo: Portal) -> None:
    # SQLite ranks every match and cuts the page from that order (index._gathered); PostgreSQL ranks the
    # most recent matches (index._recent_page), all of them while there are no more than its window.
    # Either way every page must agree with the whole ranking.
    whole = find(demo, "barcelona", limit=100)
    assert whole.count >= 8
    for limit in (1, 2):
        pages: list[str] = []
        for offset in range(0, whole.count, limit):
            pages += names(find(demo, "barcelona", limit=limit, offset=offset))
        assert pages == names(whole)


def test_postgresql_ranks_the_most_recent_matches_when_too_many_match(
    portal: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    if portal.store.backend != "postgresql":
        pytest.skip("SQLite ranks every match")
    # The best match by far (the word in its title) is the oldest; five newer ones have it in their
    # descriptions only.
    add_dataset(portal, "old-best", title="Voreres", modified="2010-01-01")
    for n in range(5):
        add_dataset(
            portal, f"newer-{n}", title=f"Carrers {n}", description="voreres", modified=f"202{n}-01-01"
        )
    assert names(find(portal, "voreres", limit=1)) == ["old-best"]
    # With a window of four, only the four newest are ranked: they come first, by relevance (the same
    # here: then newest first), and the two others after them, newest first. Pages agree with each
    # other, whether the window comes with the facet counts (one statement) or is looked up on its own.
    monkeypatch.setattr(index, "RANK_WINDOW", 4)
    cache.forget(portal.store.engine)  # the answers kept so far were ranked with the whole window
    expected = ["newer-4", "newer-3", "newer-2", "newer-1", "newer-0", "old-best"]
    for facets in ((), ("theme", "publisher")):
        assert names(find(portal, "voreres", limit=6, facets=facets)) == expected
        for limit in (1, 4):
            pages = [
                find(portal, "voreres", limit=limit, offset=o, facets=facets) for o in range(0, 6, limit)
            ]
            assert [name for page in pages for name in names(page)] == expected
            assert {page.count for page in pages} == {6}


@pytest.mark.demo
@pytest.mark.parametrize(
    "text",
    ['"', "*", "NEAR(aire renda)", "aire:renda", "-aire", "(aire", "l'aire'", "aire AND OR NOT", "^ * { }"],
)
def test_query_syntax_is_never_syntax(demo: Portal, text: str) -> None:
    find(demo, text)  # no database error, whatever the backend
    suggest_datasets(store=demo.store, actor=ANONYMOUS, text=text)


@pytest.mark.demo
def test_bad_queries_are_refused_by_name(demo: Portal) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"q": "aire " * 2000}, "q"),
        ({"facets": ("theme", "colour")}, "facets"),
        ({"filters": {"colour": ("red",)}}, "colour"),
        ({"sort": "random"}, "sort"),
        ({"offset": 10**9}, "offset"),
        ({"limit": 0}, "limit"),
        ({"lang": "x'; drop"}, "lang"),
    ]
    for kwargs, field in cases:
        with pytest.raises(Invalid) as caught:
            SearchQuery(**kwargs)
        assert [e.field for e in caught.value.errors] == [field]
        assert field in caught.value.errors[0].field


@pytest.mark.demo
def test_suggestions_offer_keywords_and_titles(demo: Portal) -> None:
    found = suggest_datasets(store=demo.store, actor=ANONYMOUS, text="qual")
    assert "qualitat de l'aire" in [s.text for s in found if s.kind == "keyword"]
    assert {s.name for s in found if s.kind == "dataset"} >= AIR
    english = suggest_datasets(store=demo.store, actor=ANONYMOUS, text="acci", lang="en")
    assert {s.name for s in english if s.kind == "dataset"} == ACCIDENTS
    assert suggest_datasets(store=demo.store, actor=ANONYMOUS, text="  ") == []
