"""CKAN's `score` on both engines: the words in a dataset's title and keywords decide it, so a title
with all the words comes before a title with one of them, which comes before datasets that only mention
them elsewhere, however often; on PostgreSQL those score alike and the next key (newest first) orders
them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from obert.api.ckan.params import Params
from obert.api.ckan.search import search_query
from obert.auth import ANONYMOUS
from obert.catalog.listing import browse_datasets
from obert.portal import Portal
from obert.storage.tables.search import TITLES_COLUMN, TSV_TABLE
from tests.search.helpers import add_dataset


def names(portal: Portal, **params: str) -> list[str]:
    query = search_query(Params({"rows": 10, **params}))
    return [d.name for d in browse_datasets(store=portal.store, actor=ANONYMOUS, query=query).items]


@pytest.mark.parametrize("sort", ["score desc, metadata_modified desc", "score desc, name asc"])
def test_the_words_in_a_title_rank_first(portal: Portal, sort: str) -> None:
    add_dataset(portal, "aire", title="Qualitat de l'aire", description="Accidents a Gràcia. " * 6)
    add_dataset(portal, "tots-dos", title="Accidents de trànsit a Gràcia", description="Dades anuals")
    add_dataset(portal, "soroll", title="Soroll", description="Accidents i soroll a Gràcia")
    add_dataset(portal, "un", title="Accidents de trànsit", description="Per barris, Gràcia inclòs")
    add_dataset(portal, "paraules", title="Mobilitat", keywords=["accidents"], description="Gràcia")
    add_dataset(portal, "res", title="Arbrat viari", description="Arbres de Gràcia")
    ranked = names(portal, q="accidents Gràcia", sort=sort)
    assert ranked[:1] == ["tots-dos"]
    # one of the words in the title outweighs it in the keywords; both outweigh the description alone
    assert ranked[1:3] == ["un", "paraules"]
    assert set(ranked[3:]) == {"aire", "soroll"}
    if portal.store.backend == "postgresql":
        # Mentioned elsewhere only: the same score, so the next key decides, not how often.
        assert ranked[3:] == (["soroll", "aire"] if "modified" in sort else ["aire", "soroll"])
    worst = names(portal, q="accidents Gràcia", sort="score asc, name asc")
    assert worst[-1] == "tots-dos" and set(worst[:2]) == {"aire", "soroll"}


def test_rows_of_an_earlier_release_score_the_same(portal: Portal) -> None:
    """PostgreSQL: a row written before its title vector was kept apart (NULL) is scored from its whole
    vector's title and keywords, the same."""
    if portal.store.backend != "postgresql":
        pytest.skip("PostgreSQL's rows")
    for n in range(6):
        title = "Accidents a Gràcia" if n % 2 else "Accidents de trànsit"
        add_dataset(portal, f"d{n}", title=title, keywords=["Gràcia"] * (n % 3 == 0), description="Gràcia")
    before = names(portal, q="accidents Gràcia", sort="score desc, name asc")
    with portal.store.begin() as conn:
        conn.execute(sa.text(f"UPDATE {TSV_TABLE} SET {TITLES_COLUMN} = NULL WHERE doc_id % 2 = 0"))
    assert names(portal, q="accidents Gràcia", sort="score desc, name asc") == before
