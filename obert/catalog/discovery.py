"""Finding datasets: full-text search with facets, and type-ahead suggestions.

The one service behind the search page, `GET /api/v1/search` and CKAN's package_search, so that all
three agree on matching, ranking and, above all, on who may see what.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql.elements import ColumnElement

from obert.auth import Actor
from obert.catalog.access import for_viewer, visible_to
from obert.catalog.models import Dataset, DatasetCard
from obert.catalog.rows import CARD_COLUMNS, cards_from_rows, datasets_from_rows
from obert.catalog.vocabulary import vocabulary
from obert.i18n import pick
from obert.i18n.text import fold, words
from obert.search import SearchQuery, Viewer, find, suggest
from obert.search.spelling import spelling
from obert.storage import Store
from obert.storage.tables.catalog import datasets, organizations

_VOCABULARIES = {
    "theme": "data-theme",
    "sector": "sector",
    "licence": "licence",
    "format": "file-type",
    "language": "language",
}


# Publishers' titles by name, kept per engine (database) for one index version: (version, titles).
Titles = dict[str, dict[str, str]]
_TITLES: weakref.WeakKeyDictionary[Engine, tuple[str, Titles]] = weakref.WeakKeyDictionary()
_TITLES_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool = False


Row = TypeVar("Row", Dataset, DatasetCard)


@dataclass(frozen=True, slots=True)
class SearchResult(Generic[Row]):
    datasets: list[Row]
    count: int
    facets: dict[str, list[FacetValue]]
    offset: int
    limit: int
    relaxed: bool = False  # no dataset had every word: these have some of them
    # Some words as typed matched nothing: these are the matches of this spelling of them instead.
    corrected: str | None = None
    typed_count: int = 0  # with `corrected`: how many the words as typed matched

    @property
    def next_offset(self) -> int | None:
        following = self.offset + self.limit
        return following if following < self.count else None

    @property
    def previous_offset(self) -> int | None:
        return max(self.offset - self.limit, 0) if self.offset else None


@dataclass(frozen=True, slots=True)
class Suggestion:
    text: str
    kind: str  # "dataset" (text is its title) or "keyword"
    name: str | None = None  # the dataset's name, for "dataset"


def viewer_for(actor: Actor) -> Viewer:
    """The search index's view of `actor`: the same facts catalog.access.visible_to decides on."""
    return Viewer(sysadmin=actor.sysadmin, organization_ids=actor.visible_organizations)


def search_datasets(*, store: Store, actor: Actor, query: SearchQuery) -> SearchResult[Dataset]:
    """The datasets matching `query` that `actor` may see, one page of them, with facet counts."""
    return _search(store, actor, query, _load_in_order)


def search_dataset_cards(*, store: Store, actor: Actor, query: SearchQuery) -> SearchResult[DatasetCard]:
    """search_datasets, each dataset of the page as a list shows it (the search page's): a card is read
    without the metadata and resources it does not show, a third of a search page's time otherwise."""
    return _search(store, actor, query, _cards_in_order)


def _search(
    store: Store,
    actor: Actor,
    query: SearchQuery,
    load: Callable[[Connection, Actor, list[str]], list[Row]],
) -> SearchResult[Row]:
    viewer = viewer_for(actor)
    with store.read() as conn:
        hits = find(conn, viewer=viewer, query=query)
        corrected, typed_count = None, hits.count
        # Some word found nothing: perhaps it is misspelt ("acidents", or "acidentes Gracia", whose
        # matches have Gràcia only). Spelt as the index spells it, the search finds more of the words.
        respelt = _respelt(conn, viewer, query.q) if hits.count == 0 or hits.relaxed else None
        if respelt is not None:
            fallback = find(conn, viewer=viewer, query=replace(query, q=respelt))
            if fallback.count:
                hits, corrected = fallback, respelt
        found = load(conn, actor, hits.dataset_ids)
        publishers = _publisher_titles(conn, [v for v, _ in hits.facets.get("publisher", [])], hits.version)
    facets = {
        name: [
            FacetValue(
                value,
                _label(name, value, query.lang, publishers),
                count,
                value in query.filters.get(name, ()),
            )
            for value, count in values
        ]
        for name, values in hits.facets.items()
    }
    for name, chosen in query.filters.items():
        # A ticked value stays on screen, even at zero, so that it can be unticked.
        listed = {v.value for v in facets.get(name, [])}
        facets.get(name, []).extend(
            FacetValue(v, _label(name, v, query.lang, publishers), 0, True) for v in chosen if v not in listed
        )
    return SearchResult(
        found, hits.count, facets, query.offset, query.limit, hits.relaxed, corrected, typed_count
    )


def suggest_datasets(
    *, store: Store, actor: Actor, text: str, lang: str = "ca", limit: int = 8
) -> list[Suggestion]:
    """What the search box offers while someone types: matching keywords, then dataset titles. When
    nothing starts like the text, what its respelling finds ("acidents": accidents), as a search would."""
    SearchQuery(q=text)  # the same bounds as a search
    typed = words(text)
    if not typed:
        return []
    viewer = viewer_for(actor)
    with store.read() as conn:
        ids = suggest(conn, viewer=viewer, text=text, limit=limit)
        if not ids:
            respelt = _respelt(conn, viewer, text)
            if respelt is not None:
                ids = suggest(conn, viewer=viewer, text=respelt, limit=limit)
                typed = words(respelt) or typed
        found = _load_in_order(conn, actor, ids)
    last = typed[-1]
    keywords: dict[str, None] = {}
    for dataset in found:
        for keyword in dataset.keywords.get(lang) or next(iter(dataset.keywords.values()), []):
            if any(word.startswith(last) for word in words(keyword)):
                keywords.setdefault(keyword, None)
    out = [Suggestion(k, "keyword") for k in sorted(keywords, key=fold)[: limit // 2]]
    out += [Suggestion(pick(d.title, lang)[0], "dataset", d.name) for d in found]
    return out[:limit]


def _respelt(conn: Connection, viewer: Viewer, text: str) -> str | None:
    """`text` with its unknown words spelt as the index spells them. The index's vocabulary holds every
    document's words, private ones too: a new spelling of a word is kept only if it finds a dataset this
    reader may see."""
    respelling = spelling(conn, text)
    if respelling is None:
        return None
    keep = []
    for position, new in enumerate(respelling.replacements):
        if new is not None and not find(conn, viewer=viewer, query=SearchQuery(q=new + " ", limit=1)).count:
            keep.append(position)
    if len(keep) == sum(1 for new in respelling.replacements if new is not None):
        return None
    return respelling.text(keep)


def _load_in_order(conn: Connection, actor: Actor, ids: list[str]) -> list[Dataset]:
    if not ids:
        return []
    # visible_to again: the index already filtered, but a dataset is never shown on the index's word alone.
    rows = conn.execute(sa.select(datasets).where(datasets.c.id.in_(ids), visible_to(actor))).all()
    by_id = {d.id: d for d in datasets_from_rows(conn, rows)}
    return [by_id[i] for i in ids if i in by_id]


def _cards_in_order(conn: Connection, actor: Actor, ids: list[str]) -> list[DatasetCard]:
    """_load_in_order's datasets as cards: the same visibility check, a few columns of each."""
    if not ids:
        return []
    query = for_viewer(actor, "cards_of_ids", _cards_of_ids)
    rows = conn.execute(query, {"ids": ids}).all()
    by_id = {c.id: c for c in cards_from_rows(conn, rows)}
    return [by_id[i] for i in ids if i in by_id]


def _cards_of_ids(visible: ColumnElement[bool]) -> sa.Select[Any]:
    return CARD_COLUMNS.where(datasets.c.id.in_(sa.bindparam("ids", expanding=True)), visible)


def _publisher_titles(conn: Connection, names: list[str], version: str | None) -> dict[str, dict[str, str]]:
    """The titles of these publishers (by name). Kept per index version (see obert.search.cache): a
    publisher's new name or title re-indexes its datasets (indexing.refresh_organization), and one without
    datasets is in no facet."""
    if not names:
        return {}
    kept: dict[str, dict[str, str]] = {}
    if version is not None:
        with _TITLES_LOCK:
            known = _TITLES.get(conn.engine)
            if known is not None and known[0] == version:
                kept = known[1]
            else:
                _TITLES[conn.engine] = (version, kept)
    missing = [name for name in names if name not in kept]
    if missing:
        rows = conn.execute(
            sa.select(organizations.c.name, organizations.c.title).where(organizations.c.name.in_(missing))
        )
        found = {row.name: row.title for row in rows}
        kept.update(found)
    return {name: kept[name] for name in names if name in kept}


def _label(facet: str, value: str, lang: str, publishers: dict[str, dict[str, str]]) -> str:
    if facet == "publisher":
        return pick(publishers.get(value), lang)[0] or value
    if facet in _VOCABULARIES:
        concept = vocabulary(_VOCABULARIES[facet]).get(value)
        return concept.label_in(lang) if concept else value
    return value
