"""A dataset's workflow steps (publish, withdraw...) change who may find it: the index follows them."""

from __future__ import annotations

from obert.auth import ANONYMOUS, SYSTEM
from obert.catalog import workflow
from obert.catalog.discovery import search_datasets
from obert.portal import Portal
from obert.search import SearchQuery
from tests.search.helpers import add_dataset, make_org


def test_a_withdrawn_dataset_leaves_the_public_search_and_its_counts(portal: Portal) -> None:
    make_org(portal, "parcs", "Parcs i Jardins")
    add_dataset(portal, "arbres", title="Arbrat viari", organization="parcs", keywords=["arbrat"])
    query = SearchQuery(q="arbrat", facets=("publisher", "keyword"))
    before = search_datasets(store=portal.store, actor=ANONYMOUS, query=query)
    assert before.count == 1 and before.facets["publisher"][0].value == "parcs"
    workflow.withdraw(store=portal.store, actor=SYSTEM, ref="arbres")
    after = search_datasets(store=portal.store, actor=ANONYMOUS, query=query)
    assert after.count == 0 and after.datasets == []
    assert after.facets == {"publisher": [], "keyword": []}
    # Whoever may still see it finds it, as withdrawn.
    assert search_datasets(store=portal.store, actor=SYSTEM, query=query).count == 1


def test_an_approved_dataset_is_found_at_once(portal: Portal) -> None:
    make_org(portal, "parcs", "Parcs i Jardins")
    add_dataset(portal, "arbres", title="Arbrat viari", organization="parcs", state="draft")
    query = SearchQuery(q="arbrat")
    workflow.submit_for_review(store=portal.store, actor=SYSTEM, ref="arbres")
    assert search_datasets(store=portal.store, actor=ANONYMOUS, query=query).count == 0
    workflow.approve(store=portal.store, actor=SYSTEM, ref="arbres")
    found = search_datasets(store=portal.store, actor=ANONYMOUS, query=query)
    assert found.count == 1 and [d.name for d in found.datasets] == ["arbres"]
