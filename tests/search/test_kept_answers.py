"""A search with words asked again is answered from the kept answer, only while the index is exactly as
it was (its version) and only to a reader who may see the same datasets."""

from __future__ import annotations

from obert.auth import ANONYMOUS, SYSTEM, Actor
from obert.catalog import datasets, organizations
from obert.catalog.discovery import search_datasets
from obert.portal import Portal
from obert.search import SearchQuery, find
from obert.search.model import Viewer
from obert.storage import Store
from tests.search.helpers import add_dataset, make_org, member_of

QUERY = SearchQuery(q="arbrat", facets=("publisher", "keyword", "theme"))


def _names(store: Store, query: SearchQuery = QUERY, actor: Actor = ANONYMOUS) -> list[str]:
    return sorted(d.name for d in search_datasets(store=store, actor=actor, query=query).datasets)


def test_the_same_search_again_is_the_kept_answer(portal: Portal) -> None:
    add_dataset(portal, "arbres", title="Arbrat viari", keywords=["arbrat"])
    with portal.store.read() as conn:
        first = find(conn, viewer=Viewer(), query=QUERY)
    with portal.store.read() as conn:
        assert find(conn, viewer=Viewer(), query=QUERY) is first
        # Any other part of the query is another search.
        for other in (
            SearchQuery(q="arbrat", facets=("publisher",)),
            SearchQuery(q="arbrat viari", facets=QUERY.facets),
            SearchQuery(q="arbrat", facets=QUERY.facets, lang="es"),
            SearchQuery(q="arbrat", facets=QUERY.facets, filters={"theme": ["ENVI"]}),
            SearchQuery(q="arbrat", facets=QUERY.facets, offset=1),
            SearchQuery(q="arbrat", facets=QUERY.facets, sort="name"),
        ):
            assert find(conn, viewer=Viewer(), query=other) is not first


def test_a_kept_answer_never_outlives_a_change_of_the_index(portal: Portal) -> None:
    make_org(portal, "parcs", "Parcs i Jardins")
    add_dataset(portal, "arbres", title="Arbrat viari", organization="parcs", keywords=["arbrat"])
    add_dataset(portal, "fonts", title="Arbrat de fonts", organization="parcs")
    second = Store(portal.store.url)  # another server on the same database
    try:
        for store in (portal.store, second):
            assert _names(store) == ["arbres", "fonts"]
            assert _names(store) == ["arbres", "fonts"]  # kept
        datasets.patch_dataset(
            store=portal.store, actor=SYSTEM, ref="arbres", patch={"visibility": "private"}
        )
        for store in (portal.store, second):
            result = search_datasets(store=store, actor=ANONYMOUS, query=QUERY)
            assert [d.name for d in result.datasets] == ["fonts"] and result.count == 1
            assert [v.value for v in result.facets["keyword"]] == []  # its keyword is not counted either
        datasets.delete_dataset(store=portal.store, actor=SYSTEM, ref="fonts")
        for store in (portal.store, second):
            assert _names(store) == []
            assert _names(store, actor=member_of(portal, "parcs")) == ["arbres"]
    finally:
        second.dispose()


def test_a_kept_answer_is_only_for_readers_who_see_the_same(portal: Portal) -> None:
    make_org(portal, "parcs", "Parcs i Jardins")
    add_dataset(portal, "arbres", title="Arbrat viari", organization="parcs", visibility="private")
    add_dataset(portal, "fonts", title="Arbrat de fonts", organization="parcs")
    member = member_of(portal, "parcs")
    # The members' answer first: a visitor asking the same must not be given it, not even its counts.
    for actor, names in (
        (member, ["arbres", "fonts"]),
        (SYSTEM, ["arbres", "fonts"]),
        (ANONYMOUS, ["fonts"]),
    ):
        for _ in range(2):
            result = search_datasets(store=portal.store, actor=actor, query=QUERY)
            assert sorted(d.name for d in result.datasets) == names
            assert result.count == len(names)
            assert [(v.value, v.count) for v in result.facets["publisher"]] == [("parcs", len(names))]


def test_a_publishers_new_title_is_on_the_next_search(portal: Portal) -> None:
    make_org(portal, "parcs", "Parcs i Jardins")
    add_dataset(portal, "arbres", title="Arbrat viari", organization="parcs")
    second = Store(portal.store.url)
    try:
        for store in (portal.store, second):
            found = search_datasets(store=store, actor=ANONYMOUS, query=QUERY)
            assert [v.label for v in found.facets["publisher"]] == ["Parcs i Jardins"]
        organizations.patch_organization(
            store=portal.store, actor=SYSTEM, ref="parcs", patch={"title": {"ca": "Parcs de Barcelona"}}
        )
        for store in (portal.store, second):
            found = search_datasets(store=store, actor=ANONYMOUS, query=QUERY)
            assert [v.label for v in found.facets["publisher"]] == ["Parcs de Barcelona"]
    finally:
        second.dispose()
