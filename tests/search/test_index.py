"""The index follows every catalogue change in the same transaction, and only shows what may be seen."""

from __future__ import annotations

import io
from typing import Any

import pytest
import sqlalchemy as sa

from obert.auth import ANONYMOUS, SYSTEM, Actor, Role
from obert.catalog import datasets, indexing, organizations, resources
from obert.catalog.access import visible_to
from obert.catalog.common import validated
from obert.catalog.discovery import SearchResult, search_datasets
from obert.catalog.indexing import rebuild_index, refresh_index
from obert.catalog.models import ResourceInput
from obert.demo import demo_catalog
from obert.portal import Portal
from obert.search import SearchQuery, cache, indexed_count
from obert.search.backends import backend_for
from obert.storage import Store
from obert.storage.tables.catalog import datasets as datasets_table
from tests.search.helpers import add_dataset, index_contents, make_org, member_of

FACETS = ("publisher", "theme", "format", "has_api")


def find(portal: Portal, q: str = "", actor: Actor = ANONYMOUS, **kwargs: Any) -> SearchResult:
    query = SearchQuery(q=q, limit=1000, facets=FACETS, **kwargs)
    return search_datasets(store=portal.store, actor=actor, query=query)


def names(result: SearchResult) -> set[str]:
    return {d.name for d in result.datasets}


def counts(result: SearchResult, facet: str) -> dict[str, int]:
    return {v.value: v.count for v in result.facets[facet]}


@pytest.mark.demo
def test_private_and_draft_datasets_only_reach_who_may_see_them(demo: Portal) -> None:
    common = {"organization": "guardia-urbana", "themes": ["TRAN"]}
    add_dataset(demo, "radars-privat", title="Radars de velocitat", visibility="private", **common)
    add_dataset(demo, "radars-esborrany", title="Radars mòbils", state="draft", **common)
    add_dataset(demo, "radars-bsm", title="Radars d'aparcament", visibility="private", organization="bsm")
    public = find(demo, "radars")
    assert public.count == 0 and names(public) == set()
    police = member_of(demo, "guardia-urbana")
    theirs = find(demo, "radars", actor=police)
    assert names(theirs) == {"radars-privat", "radars-esborrany"} and theirs.count == 2
    assert counts(theirs, "publisher") == {"guardia-urbana": 2}
    admin = find(demo, "radars", actor=SYSTEM)
    assert names(admin) == {"radars-privat", "radars-esborrany", "radars-bsm"}
    # Facets and totals of a plain browse differ by exactly what each may see.
    everyone, members = find(demo), find(demo, actor=police)
    assert members.count == everyone.count + 2
    assert counts(members, "theme")["TRAN"] == counts(everyone, "theme")["TRAN"] + 2
    assert counts(find(demo, actor=SYSTEM), "publisher")["bsm"] == counts(everyone, "publisher")["bsm"] + 1


@pytest.mark.demo
def test_search_visibility_agrees_with_catalogue_access(demo: Portal) -> None:
    add_dataset(demo, "p1", title="Privat", visibility="private", organization="guardia-urbana")
    add_dataset(demo, "p2", title="Esborrany", state="draft", organization="bsm")
    add_dataset(demo, "p3", title="Retirat", state="withdrawn", organization="estadistica")
    add_dataset(demo, "p4", title="Revisió", state="review", visibility="private", organization="bsm")
    actors = [
        ANONYMOUS,
        SYSTEM,
        member_of(demo, "guardia-urbana"),
        member_of(demo, "bsm", Role.EDITOR),
        Actor(user_id="nobody", name="nobody"),
    ]
    for actor in actors:
        with demo.store.read() as conn:
            allowed = set(conn.execute(sa.select(datasets_table.c.name).where(visible_to(actor))).scalars())
        assert names(find(demo, actor=actor)) == allowed, actor.name
        assert find(demo, actor=actor).count == len(allowed)


def test_index_follows_dataset_changes(portal: Portal) -> None:
    make_org(portal, "parcs", "Parcs i Jardins")
    add_dataset(portal, "arbres", title="Arbrat viari", organization="parcs", themes=["ENVI"])
    assert names(find(portal, "arbrat")) == {"arbres"}
    datasets.patch_dataset(
        store=portal.store, actor=SYSTEM, ref="arbres", patch={"title": {"ca": "Palmeres urbanes"}}
    )
    # The old title's word matches nothing (the search may then be respelt to a word the dataset has).
    assert find(portal, "arbrat").typed_count == 0
    assert names(find(portal, "palmeres")) == {"arbres"}
    datasets.patch_dataset(store=portal.store, actor=SYSTEM, ref="arbres", patch={"themes": ["AGRI"]})
    assert counts(find(portal), "theme") == {"AGRI": 1}
    datasets.patch_dataset(store=portal.store, actor=SYSTEM, ref="arbres", patch={"visibility": "private"})
    assert find(portal, "palmeres").count == 0
    assert find(portal, "palmeres", actor=SYSTEM).count == 1
    datasets.delete_dataset(store=portal.store, actor=SYSTEM, ref="arbres")
    assert find(portal, "palmeres", actor=SYSTEM).count == 0
    with portal.store.read() as conn:
        assert indexed_count(conn) == 0


def test_index_follows_organisation_renames(portal: Portal) -> None:
    make_org(portal, "parcs", "Parcs i Jardins")
    add_dataset(portal, "arbres", title="Arbrat viari", organization="parcs")
    assert names(find(portal, "jardins")) == {"arbres"}
    organizations.patch_organization(
        store=portal.store,
        actor=SYSTEM,
        ref="parcs",
        patch={"name": "verd-urba", "title": {"ca": "Verd urbà i biodiversitat", "en": None}},
    )
    assert find(portal, "jardins").count == 0
    assert names(find(portal, "biodiversitat")) == {"arbres"}
    renamed = find(portal)
    assert [(v.value, v.label, v.count) for v in renamed.facets["publisher"]] == [
        ("verd-urba", "Verd urbà i biodiversitat", 1)
    ]
    assert find(portal, filters={"publisher": ("parcs",)}).count == 0
    assert find(portal, filters={"publisher": ("verd-urba",)}).count == 1


def test_index_follows_resource_changes(portal: Portal) -> None:
    make_org(portal, "parcs", "Parcs i Jardins")
    add_dataset(portal, "arbres", title="Arbrat viari", organization="parcs")
    data = validated(ResourceInput, {"title": {"ca": "Inventari de plàtans"}, "format": "CSV"})
    created = resources.create_resource(store=portal.store, actor=SYSTEM, dataset_ref="arbres", data=data)
    assert names(find(portal, "platans")) == {"arbres"}
    assert counts(find(portal), "format") == {"CSV": 1}
    assert counts(find(portal), "has_api") == {}  # a link to a CSV is not an API obert serves
    resources.attach_upload(
        store=portal.store,
        files=portal.files,
        actor=SYSTEM,
        ref=created.id,
        filename="arbres.csv",
        stream=io.BytesIO(b"especie,altura\nplatan,12\n"),
        max_bytes=1000,
    )
    assert counts(find(portal), "has_api") == {"yes": 1}
    assert find(portal, filters={"has_api": ("yes",)}).count == 1
    resources.patch_resource(
        store=portal.store, actor=SYSTEM, ref=created.id, patch={"title": {"ca": "Inventari d'alzines"}}
    )
    assert find(portal, "platans").count == 0 and find(portal, "alzines").count == 1
    resources.delete_resource(store=portal.store, actor=SYSTEM, ref=created.id)
    assert find(portal, "alzines").count == 0
    assert counts(find(portal), "format") == {} and counts(find(portal), "has_api") == {}


def test_a_rolled_back_change_leaves_the_index_as_it_was(portal: Portal) -> None:
    make_org(portal, "parcs", "Parcs i Jardins")
    dataset = add_dataset(portal, "arbres", title="Arbrat viari", organization="parcs")
    with pytest.raises(RuntimeError), portal.store.begin() as conn:
        conn.execute(
            datasets_table.update()
            .where(datasets_table.c.id == dataset.id)
            .values(title={"ca": "Fonts ornamentals"})
        )
        refresh_index(conn, [dataset.id])
        raise RuntimeError("the rest of the change failed")
    assert find(portal, "fonts").count == 0
    assert names(find(portal, "arbrat")) == {"arbres"}


@pytest.mark.demo
def test_reindex_rebuilds_the_same_answers(demo: Portal) -> None:
    add_dataset(demo, "esborrat", title="Radars", organization="bsm")
    datasets.delete_dataset(store=demo.store, actor=SYSTEM, ref="esborrat")
    before = find(demo, "qualitat aire")
    browse = find(demo)
    with demo.store.begin() as conn:
        conn.execute(sa.text("DELETE FROM search_facets"))
        conn.execute(sa.text("DELETE FROM search_documents"))
        # As every writer of the index does (obert.search.writing): what is kept per version (browsing
        # counts, SQLite's snapshot) is of the index before this.
        cache.changed(conn)
    assert find(demo, "qualitat aire").count == 0
    assert rebuild_index(store=demo.store) == browse.count  # deleted datasets are not indexed
    after = find(demo, "qualitat aire")
    assert [d.name for d in after.datasets] == [d.name for d in before.datasets]
    assert find(demo).facets == browse.facets
    assert rebuild_index(store=demo.store) == browse.count  # running it again changes nothing
    assert find(demo).facets == browse.facets


@pytest.mark.demo
def test_a_rebuild_indexes_exactly_what_the_changes_indexed(
    demo: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Documents written change by change (creations, edits, renames, resources coming and going) and
    # documents written by a rebuild, alone or with a worker process, must be the same rows, texts and
    # facets.
    make_org(demo, "parcs", "Parcs i Jardins")
    add_dataset(
        demo, "arbres", title="Arbrat viari", organization="parcs", themes=["ENVI"], keywords=["verd"]
    )
    add_dataset(
        demo, "sense-editor", title="Dades sense editor: l’aire de Gràcia", description="Col·lecció ½"
    )
    kept = validated(ResourceInput, {"title": {"ca": "Inventari de plàtans"}, "format": "CSV"})
    created = resources.create_resource(store=demo.store, actor=SYSTEM, dataset_ref="arbres", data=kept)
    resources.attach_upload(
        store=demo.store,
        files=demo.files,
        actor=SYSTEM,
        ref=created.id,
        filename="arbres.csv",
        stream=io.BytesIO(b"especie,altura\nplatan,12\n"),
        max_bytes=1000,
    )
    gone = validated(ResourceInput, {"title": {"es": "Palmeras"}, "format": "PDF"})
    dropped = resources.create_resource(store=demo.store, actor=SYSTEM, dataset_ref="arbres", data=gone)
    resources.delete_resource(store=demo.store, actor=SYSTEM, ref=dropped.id)
    organizations.patch_organization(
        store=demo.store, actor=SYSTEM, ref="parcs", patch={"title": {"ca": "Verd urbà", "en": "Green"}}
    )
    datasets.patch_dataset(store=demo.store, actor=SYSTEM, ref="arbres", patch={"visibility": "private"})
    add_dataset(demo, "esborrat", title="Radars")
    datasets.delete_dataset(store=demo.store, actor=SYSTEM, ref="esborrat")
    changed = index_contents(demo.store)
    assert len(changed) == len(demo_catalog()["datasets"]) + 2

    assert rebuild_index(store=demo.store) == len(changed)
    assert index_contents(demo.store) == changed
    monkeypatch.setattr(indexing, "REBUILD_BATCH", 3)  # batches enough to keep a worker busy
    assert rebuild_index(store=demo.store, workers=1) == len(changed)
    assert index_contents(demo.store) == changed


def test_browsing_counts_follow_every_change_though_they_are_cached(portal: Portal) -> None:
    make_org(portal, "parcs", "Parcs i Jardins")
    add_dataset(portal, "arbres", title="Arbrat viari", organization="parcs", themes=["ENVI"])
    # A second server on the same database keeps answers of its own; changes made through the first
    # must reach it too.
    other = Store(portal.store.url)
    try:
        for store in (portal.store, other):
            assert search_datasets(store=store, actor=ANONYMOUS, query=SearchQuery(facets=FACETS)).count == 1
        add_dataset(portal, "fonts", title="Fonts", organization="parcs", themes=["ENVI", "HEAL"])
        for store in (portal.store, other):
            result = search_datasets(store=store, actor=ANONYMOUS, query=SearchQuery(facets=FACETS))
            assert result.count == 2 and counts(result, "theme") == {"ENVI": 2, "HEAL": 1}
        datasets.patch_dataset(store=portal.store, actor=SYSTEM, ref="fonts", patch={"visibility": "private"})
        assert counts(find(portal), "theme") == {"ENVI": 1}
        assert counts(find(portal, actor=SYSTEM), "theme") == {"ENVI": 2, "HEAL": 1}
        datasets.delete_dataset(store=portal.store, actor=SYSTEM, ref="arbres")
        result = search_datasets(store=other, actor=ANONYMOUS, query=SearchQuery(facets=FACETS))
        assert result.count == 0 and result.datasets == []
    finally:
        other.dispose()


@pytest.mark.postgres
def test_an_edit_counts_words_out_by_their_key(portal: Portal) -> None:
    """Counting an edited document's old words out of search_terms looks each up by its primary key, not
    through the trigram index (~3 ms a word: 60 ms to a second an edit on the light demo), whether the
    planner has statistics or not (a rebuild gives it some: Store.analyze)."""
    if portal.store.backend != "postgresql":
        pytest.skip("PostgreSQL's planner")
    make_org(portal, "bsm", "BSM")
    words = "arbres fonts bancs voreres places carrers jardins parcs escoles mercats biblioteques museus"
    for i in range(120):
        description = " ".join(f"{w}{i}{j}" for j, w in enumerate(words.split()))
        add_dataset(
            portal, f"conjunt-{i}", title=f"Conjunt {i} {words}", description=description, organization="bsm"
        )
    rebuild_index(store=portal.store)
    statements: list[str] = []

    def capture(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    with portal.store.begin() as conn:
        doc = conn.execute(sa.text("SELECT min(doc_id) FROM search_tsv")).scalar_one()
        sa.event.listen(conn, "before_cursor_execute", capture)
        backend_for(conn).delete(conn, [doc])
        sa.event.remove(conn, "before_cursor_execute", capture)
        update = next(s for s in statements if s.startswith("UPDATE search_terms"))
        plan = "\n".join(
            conn.execute(sa.text("EXPLAIN " + update.replace("%(ids)s", ":ids")), {"ids": [doc]}).scalars()
        )
        conn.rollback()
    assert "search_terms_pkey" in plan or "Seq Scan on search_terms" in plan, plan
    assert "ix_search_terms_trgm" not in plan, plan
