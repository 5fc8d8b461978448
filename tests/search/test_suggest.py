"""The type-ahead stays exact through every change (create, edit, private, delete, rebuild), on both
engines; on PostgreSQL it reads each row's own title vector (migration 0025), which the index writer keeps
equal to the title and keywords' part of the whole vector, and both ways of finding candidates (walking
the newest rows, the index of the public documents' title words (migration 0029), or the GIN index) give
the same answer, and the words' index stays equal to the rows it is made from."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from obert.auth import SYSTEM
from obert.catalog import datasets
from obert.catalog.indexing import rebuild_index
from obert.i18n.text import QueryTerm
from obert.portal import Portal
from obert.search import Viewer, suggest, typeahead
from obert.search.backends import PostgresTSV
from obert.storage.tables.search import TITLE_WORDS_TABLE, TITLES_COLUMN, TSV_COLUMN, TSV_TABLE
from tests.search.helpers import add_dataset, make_org


def offered(portal: Portal, text: str, viewer: Viewer | None = None) -> list[str]:
    """Names of the datasets suggested for `text`, in order."""
    with portal.store.read() as conn:
        ids = suggest(conn, viewer=viewer or Viewer(), text=text)
        if not ids:
            return []
        rows = conn.execute(
            sa.text("SELECT id, name FROM datasets WHERE id IN :ids").bindparams(
                sa.bindparam("ids", expanding=True)
            ),
            {"ids": ids},
        )
        names = {row[0]: row[1] for row in rows}
    return [names[i] for i in ids]


def titles_agree(portal: Portal) -> None:
    """PostgreSQL: every row's title vector is its whole vector's A and B positions."""
    if portal.store.backend != "postgresql":
        return
    with portal.store.read() as conn:
        wrong = conn.execute(
            sa.text(
                f"SELECT doc_id FROM {TSV_TABLE} "
                f"WHERE {TITLES_COLUMN} IS DISTINCT FROM ts_filter({TSV_COLUMN}, '{{a,b}}')"
            )
        ).all()
    assert wrong == []
    words_agree(portal)


def words_agree(portal: Portal) -> None:
    """PostgreSQL: the type-ahead's words are the title vectors' words of the published public rows that
    do not start another of the row's words, each with its row's date."""
    if portal.store.backend != "postgresql":
        return
    with portal.store.read() as conn:
        kept = conn.execute(sa.text(f"SELECT word, modified, doc_id FROM {TITLE_WORDS_TABLE}")).all()
        rows = conn.execute(
            sa.text(
                f"SELECT tsvector_to_array(t.{TITLES_COLUMN}), t.modified, t.doc_id FROM {TSV_TABLE} t "
                "WHERE t.state = 'published' AND t.visibility = 'public'"
            )
        ).all()
    made = [
        (word, modified, doc_id)
        for words, modified, doc_id in rows
        for word in words
        if not any(other != word and other.startswith(word) for other in words)
    ]
    assert sorted(kept) == sorted(made) and len(made) < sum(len(words) for words, _, _ in rows)


def test_suggestions_follow_create_edit_private_delete_and_rebuild(portal: Portal) -> None:
    org = make_org(portal, "parcs", "Parcs i Jardins")
    add_dataset(portal, "arbrat", title="Arbrat viari", keywords=["arbres"], organization="parcs")
    add_dataset(portal, "fonts", title="Fonts d'aigua", description="Arbres a prop", organization="parcs")
    # Words in the description are not offered: titles and keywords only.
    assert offered(portal, "arb") == ["arbrat"]
    assert offered(portal, "aig") == ["fonts"]
    titles_agree(portal)

    patch = {"title": {"ca": "Bancs"}, "keywords": {"ca": []}}
    datasets.patch_dataset(store=portal.store, actor=SYSTEM, ref="arbrat", patch=patch)
    assert offered(portal, "arb") == []
    assert offered(portal, "banc") == ["arbrat"]
    titles_agree(portal)

    datasets.patch_dataset(store=portal.store, actor=SYSTEM, ref="fonts", patch={"visibility": "private"})
    assert offered(portal, "aig") == []
    assert offered(portal, "aig", Viewer(organization_ids=(org,))) == ["fonts"]
    assert offered(portal, "aig", Viewer(sysadmin=True)) == ["fonts"]
    datasets.patch_dataset(store=portal.store, actor=SYSTEM, ref="fonts", patch={"visibility": "public"})
    assert offered(portal, "aig") == ["fonts"]

    datasets.delete_dataset(store=portal.store, actor=SYSTEM, ref="fonts")
    assert offered(portal, "aig") == []
    assert offered(portal, "aig", Viewer(sysadmin=True)) == []
    titles_agree(portal)

    before = {text: offered(portal, text) for text in ("arb", "banc", "aig")}
    rebuild_index(store=portal.store)
    assert {text: offered(portal, text) for text in before} == before
    titles_agree(portal)


def test_suggestions_rank_titles_before_keywords(portal: Portal) -> None:
    add_dataset(portal, "paraula-clau", title="Dades", keywords=["soroll"])
    add_dataset(portal, "titol", title="Soroll als carrers")
    add_dataset(portal, "titol-nou", title="Soroll als carrers")
    found = offered(portal, "sor")
    assert sorted(found[:2]) == ["titol", "titol-nou"] and found[2:] == ["paraula-clau"]
    assert sorted(offered(portal, "soroll carr")) == ["titol", "titol-nou"]


@pytest.mark.postgres
def test_walking_the_newest_rows_the_words_or_the_vectors_agree(
    portal: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    if portal.store.backend != "postgresql":
        pytest.skip("PostgreSQL's window of candidates")
    make_org(portal, "parcs", "Parcs i Jardins")
    for n in range(12):
        add_dataset(portal, f"arbres-{n}", title=f"Arbres del districte {n}", organization="parcs")
        # A document with two words of the prefix is one candidate, not two.
        add_dataset(
            portal, f"arbrat-{n}", title=f"Arbrat i arbres {n}", keywords=["arbustos"], organization="parcs"
        )
    add_dataset(portal, "privat", title="Arbres privats", organization="parcs", visibility="private")
    add_dataset(portal, "esborrany", title="Arbres esborrany", organization="parcs", state="draft")
    words_agree(portal)
    expected = offered(portal, "arbr")
    assert len(expected) == 8 and "privat" not in expected and "esborrany" not in expected
    texts = ("arbr", "arb", "arbres distr", "distr arbr", "arbustos", "arbres ")
    monkeypatch.setattr(typeahead, "SUGGEST_WINDOW", 5)
    answers = {}
    for way in ("walk", "words", "vectors"):
        monkeypatch.setattr(typeahead, "_way", lambda conn, backend, viewer, terms, way=way: (way, None))
        answers[way] = {text: offered(portal, text) for text in texts}
    # One typed word: the newest entries of each of its title words alone.
    listed = []

    def each_word(conn: Connection, backend: PostgresTSV, viewer: Viewer, terms: list[QueryTerm]) -> object:
        words = backend.title_words(conn, terms[0], 32) if len(terms) == 1 else None
        listed.append(words)
        return "words", words

    monkeypatch.setattr(typeahead, "_way", each_word)
    answers["each word"] = {text: offered(portal, text) for text in texts}
    assert ["arbrat", "arbres", "arbustos"] in listed
    # Within a window of the five newest visible ones, the best of those by rank, date and name.
    assert answers["walk"] == answers["words"] == answers["vectors"] == answers["each word"]
    assert sorted(answers["walk"]["arbres distr"]) == sorted(f"arbres-{n}" for n in range(7, 12))
    assert sorted(answers["walk"]["arbustos"]) == sorted(f"arbrat-{n}" for n in range(7, 12))


@pytest.mark.postgres
def test_a_word_left_behind_is_never_offered(portal: Portal, monkeypatch: pytest.MonkeyPatch) -> None:
    """An entry of the words' index that no longer says what its row does (a process of an earlier release
    made the dataset private without keeping the words) is not served: each candidate is tested on its
    row."""
    if portal.store.backend != "postgresql":
        pytest.skip("PostgreSQL's words of titles")
    make_org(portal, "parcs", "Parcs i Jardins")
    add_dataset(portal, "fonts", title="Fonts d'aigua", organization="parcs")
    add_dataset(portal, "aiguamolls", title="Aiguamolls", organization="parcs")
    monkeypatch.setattr(typeahead, "_way", lambda conn, backend, viewer, terms: ("words", None))
    assert sorted(offered(portal, "aig")) == ["aiguamolls", "fonts"]
    with portal.store.begin() as conn:
        conn.execute(
            sa.text(
                f"UPDATE {TSV_TABLE} SET visibility = 'private' WHERE doc_id = "
                "(SELECT doc_id FROM search_documents WHERE name = 'fonts')"
            )
        )
    assert offered(portal, "aig") == ["aiguamolls"]


@pytest.mark.postgres
def test_rows_written_without_a_title_vector_are_still_offered(portal: Portal) -> None:
    """Rows of a process of the previous release have no title vector (NULL): they are tested on their
    whole vector's title and keyword positions instead."""
    if portal.store.backend != "postgresql":
        pytest.skip("PostgreSQL's title vectors")
    add_dataset(portal, "arbrat", title="Arbrat viari", keywords=["arbres"])
    with portal.store.begin() as conn:
        conn.execute(sa.text(f"UPDATE {TSV_TABLE} SET {TITLES_COLUMN} = NULL"))
    assert offered(portal, "arb") == ["arbrat"]
    assert offered(portal, "via") == ["arbrat"]
