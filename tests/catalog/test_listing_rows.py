"""PostgreSQL: a listing with words and nothing else (CKAN's package_search with `q`) is counted, faceted
and ranked on its matches' own rows (obert.search.listed), and answers exactly what the general way
(matches joined to their datasets, facets from their value rows) answers: same count, same page in the
same order, ties of rank included, same facets; also for rows of an earlier release, which have no
keyword ids (migration 0026), and whoever asks."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa

from obert.api.ckan.params import Params
from obert.api.ckan.search import search_query
from obert.auth import ANONYMOUS, SYSTEM, Actor
from obert.catalog import datasets, listing
from obert.catalog.listing import browse_datasets
from obert.portal import Portal
from obert.storage.tables.search import KEYWORD_IDS_COLUMN, TSV_TABLE
from tests.search.helpers import add_dataset, make_org, member_of

pytestmark = pytest.mark.postgres
FACETS = json.dumps(["organization", "res_format", "tags"])


def catalogue(portal: Portal) -> Actor:
    make_org(portal, "parcs", "Parcs i Jardins")
    make_org(portal, "aigua", "Aigua")
    for n in range(14):
        # Same titles, so many equal ranks: ties at the page's edge must be kept.
        title = "Arbrat viari" if n % 3 else f"Arbrat viari i arbres del districte {n}"
        add_dataset(
            portal,
            f"arbrat-{n:02}",
            title=title,
            description="Arbres de la ciutat" * (n % 4 + 1),
            keywords=["arbres", f"parc {n % 5}", "verd"],
            organization="parcs" if n % 2 else "aigua",
            visibility="private" if n % 5 == 4 else "public",
        )
    add_dataset(portal, "fonts", title="Fonts d'aigua", description="Arbres a prop", keywords=["aigua"])
    datasets.delete_dataset(store=portal.store, actor=SYSTEM, ref="arbrat-03")
    patch = {"keywords": {"ca": ["arbres"], "es": ["árboles", "verd"], "en": ["trees"]}}
    datasets.patch_dataset(store=portal.store, actor=SYSTEM, ref="arbrat-07", patch=patch)
    return member_of(portal, "parcs")


def answer(portal: Portal, actor: Actor, params: dict[str, Any], *, rows: bool) -> tuple[Any, ...]:
    query = search_query(Params({"facet.field": FACETS, **params}))
    original = listing._listable_on_rows
    calls: list[bool] = []

    def switch(*args: Any) -> bool:
        calls.append(original(*args))
        return rows and calls[-1]

    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(listing, "_listable_on_rows", switch)
        found = browse_datasets(store=portal.store, actor=actor, query=query)
    assert calls and all(calls), "the rows' way applies to these listings"
    return found.count, [d.name for d in found.items], found.facets


CASES = [
    {"q": "arbres"},
    {"q": "arbrat viari", "rows": 3},
    {"q": "arbrat", "rows": 4, "start": 2},
    {"q": "arbrat", "rows": 5, "start": 9},
    {"q": "arbrat", "rows": 5, "start": 40},
    {"q": "arbrat", "rows": 0},
    {"q": "arbrat", "sort": "score asc, metadata_modified desc", "rows": 4},
    {"q": "arbrat", "sort": "score desc, name asc", "rows": 6, "include_private": "true"},
    {"q": "arbres", "facet.limit": 2, "facet.mincount": 2},
    {"q": "res inexistent"},
]


def test_listings_on_rows_answer_what_the_general_way_answers(portal: Portal) -> None:
    if portal.store.backend != "postgresql":
        pytest.skip("PostgreSQL's rows")
    member = catalogue(portal)
    for actor in (ANONYMOUS, member, SYSTEM):
        for params in CASES:
            for private in ("false", "true"):
                asked = {"include_private": private, **params}
                general = answer(portal, actor, asked, rows=False)
                assert answer(portal, actor, asked, rows=True) == general, (actor.name, asked)
    query = search_query(Params({"q": "arbres", "rows": 100, "facet.field": FACETS, "facet.limit": -1}))
    found = browse_datasets(store=portal.store, actor=ANONYMOUS, query=query)
    # 14, less the deleted one and the two private ones, plus "fonts" (the word in its description)
    assert found.count == len(found.items) == 12
    expected: dict[str, int] = {}
    for dataset in found.items:
        for word in {k for words in dataset.keywords.values() for k in words}:
            expected[word] = expected.get(word, 0) + 1
    assert dict(found.facets["keyword"]) == expected and expected["trees"] == 1


def test_rows_without_keyword_ids_are_counted_from_their_values(portal: Portal) -> None:
    """A row written by a process of the previous release has no keyword ids (NULL): the same counts."""
    if portal.store.backend != "postgresql":
        pytest.skip("PostgreSQL's rows")
    catalogue(portal)
    before = answer(portal, SYSTEM, {"q": "arbres", "include_private": "true"}, rows=True)
    with portal.store.begin() as conn:
        conn.execute(sa.text(f"UPDATE {TSV_TABLE} SET {KEYWORD_IDS_COLUMN} = NULL WHERE doc_id % 2 = 0"))
    after = answer(portal, SYSTEM, {"q": "arbres", "include_private": "true"}, rows=True)
    assert after == before


def test_keyword_ids_are_the_keywords_counted_once_per_word(portal: Portal) -> None:
    if portal.store.backend != "postgresql":
        pytest.skip("PostgreSQL's rows")
    catalogue(portal)
    with portal.store.read() as conn:
        wrong = conn.execute(
            sa.text(
                f"SELECT t.doc_id FROM {TSV_TABLE} t WHERE t.{KEYWORD_IDS_COLUMN} IS DISTINCT FROM ARRAY("
                "SELECT v.value_id FROM search_doc_values v JOIN search_values s USING (value_id) "
                "WHERE v.doc_id = t.doc_id AND s.facet = 'keyword' AND s.lang = '*' ORDER BY v.value_id)"
            )
        ).all()
        kept = conn.execute(
            sa.text(f"SELECT count(*) FROM {TSV_TABLE} WHERE cardinality({KEYWORD_IDS_COLUMN}) > 0")
        ).scalar_one()
    assert wrong == [] and kept >= 13
