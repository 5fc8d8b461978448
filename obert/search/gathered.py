"""SQLite: a search answered from the index snapshot (obert.search.snapshot), with FTS5 or without it.

The matches of the words, and their bm25 when the page is by relevance, come from the snapshot's postings
(obert.search.postings: numpy over each word's documents, FTS5's bm25 to the bit) when it has them, else
from FTS5 (the doc ids matching, with their bm25 in the same pass); numpy applies visibility and
filters, counts them, and counts facet values over the matches' slices of the snapshot. The page by
relevance is the order of obert.search.backends._fts5_rank (words matched, then words in the title or
keywords, then bm25, then newest, then name), in the same double arithmetic: the matches with every word
in the title or keywords are one more list (a list per word only when they do not fill the page). A
search relaxed to any word scores only the matches of the best counts, which can reach the page (most
matches of any word have one).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

import numpy as np
from sqlalchemy.engine import Connection

from obert.i18n.text import QueryTerm
from obert.search.backends import COVERAGE, SQLiteFTS
from obert.search.model import Hits, SearchQuery, Viewer
from obert.search.postings import Phrase, Postings, query_phrases
from obert.search.snapshot import Flags, Floats, Ints, Snapshot

KEYWORD = "keyword"
# Suggestions: how many of the best matches by bm25 are read first (most are visible to anyone).
SUGGEST_WINDOW = 64


class Words(Protocol):
    """Where a search's words are looked up: snapshot positions (ascending) of the documents matching
    them, and FTS5's bm25 of those."""

    def listed(self, terms: Sequence[QueryTerm], *, any_term: bool, prominent: bool = False) -> Ints:
        """The documents with every term (any, with `any_term`; in the title or keywords, with
        `prominent`)."""

    def scored(
        self, terms: Sequence[QueryTerm], *, any_term: bool, prominent: bool = False, of: Ints | None = None
    ) -> tuple[Ints, Floats]:
        """listed()'s documents (of those at `of` only, which all match, when given) and the bm25 of
        each, with the field weights."""


class Engine:
    """The words looked up in FTS5, for a snapshot without postings."""

    def __init__(self, conn: Connection, backend: SQLiteFTS, snapshot: Snapshot) -> None:
        self.conn, self.backend, self.snapshot = conn, backend, snapshot

    def listed(self, terms: Sequence[QueryTerm], *, any_term: bool, prominent: bool = False) -> Ints:
        expression = self.backend.expression(terms, any_term=any_term, prominent=prominent)
        places = self.snapshot.locate(self.backend.rowids(self.conn, expression))
        return places[places >= 0]

    def scored(
        self, terms: Sequence[QueryTerm], *, any_term: bool, prominent: bool = False, of: Ints | None = None
    ) -> tuple[Ints, Floats]:
        expression = self.backend.expression(terms, any_term=any_term, prominent=prominent)
        doc_ids = None if of is None else self.snapshot.doc_ids[of]
        found_ids, score = self.backend.scored(self.conn, expression, doc_ids)
        places = self.snapshot.locate(found_ids)
        known = places >= 0
        return places[known], score[known]


class Held:
    """The words looked up in the snapshot's postings: nothing asked of the database."""

    def __init__(self, postings: Postings, phrases: Mapping[QueryTerm, list[Phrase]]) -> None:
        self.postings = postings
        self._phrases = phrases

    def phrases(self, term: QueryTerm) -> list[Phrase]:
        return self._phrases[term]

    def listed(self, terms: Sequence[QueryTerm], *, any_term: bool, prominent: bool = False) -> Ints:
        combined: Flags | None = None
        for term in terms:
            holds = np.zeros(self.postings.documents, dtype=np.bool_)
            for phrase in self.phrases(term):
                holds[phrase.places[phrase.prominent > 0] if prominent else phrase.places] = True
            if combined is None:
                combined = holds
            elif any_term:
                combined |= holds
            else:
                combined &= holds
        if combined is None:
            return np.zeros(0, dtype=np.int64)
        return np.flatnonzero(combined)

    def scored(
        self, terms: Sequence[QueryTerm], *, any_term: bool, prominent: bool = False, of: Ints | None = None
    ) -> tuple[Ints, Floats]:
        places = self.listed(terms, any_term=any_term, prominent=prominent) if of is None else of
        # FTS5's phrases in the match expression's order: each word's alternatives, then its prefix.
        phrases = [phrase for term in terms for phrase in self.phrases(term)]
        return places, self.postings.bm25(phrases, prominent=prominent)[places]


def words_for(conn: Connection, backend: SQLiteFTS, snapshot: Snapshot, terms: Sequence[QueryTerm]) -> Words:
    """The snapshot's postings when it has every term's, else FTS5."""
    if snapshot.postings is not None:
        phrases: dict[QueryTerm, list[Phrase]] = {}
        for term in terms:
            found = query_phrases(snapshot.postings, term)
            if found is None:  # a term in most documents, not held
                return Engine(conn, backend, snapshot)
            phrases[term] = found
        return Held(snapshot.postings, phrases)
    return Engine(conn, backend, snapshot)


def find(
    conn: Connection,
    *,
    backend: SQLiteFTS,
    snapshot: Snapshot,
    viewer: Viewer,
    query: SearchQuery,
    terms: Sequence[QueryTerm],
) -> Hits:
    """What obert.search.index.find answers for a search with words, from `snapshot`."""
    words = words_for(conn, backend, snapshot, terms)
    seen = snapshot.visible(viewer)
    filters = {
        facet: snapshot.holding(facet, set(chosen)) for facet, chosen in query.filters.items() if chosen
    }
    allowed = _all(seen, filters.values())
    relevance = query.effective_sort == "relevance"
    relaxed, count = False, 0
    matched = shown = np.zeros(len(snapshot), dtype=np.bool_)
    scores: Floats | None = None
    for relaxed in (False, True) if len(terms) > 1 else (False,):
        # Nobody wrote every word: rather than nothing, show what has some of them, best first.
        if relevance and not relaxed:
            # Most matches of every word have them all in the title or keywords (87% for "accidents
            # Sagrera" at 100k), so nearly all would be scored anyway: scored in the same pass.
            places, found = words.scored(terms, any_term=False)
        else:
            places, found = words.listed(terms, any_term=relaxed), None
        matched = np.zeros(len(snapshot), dtype=np.bool_)
        matched[places] = True
        scores = None
        if found is not None:
            scores = np.zeros(len(snapshot), dtype=np.float64)
            scores[places] = found
        shown = matched & allowed
        count = int(np.count_nonzero(shown))
        if count:
            break
    page: list[str] = []
    if count > query.offset:
        positions = np.flatnonzero(shown)
        if relevance:
            chosen = _by_relevance(words, snapshot, query, terms, relaxed, positions, scores)
        else:
            order = snapshot.recency if query.effective_sort == "modified" else snapshot.alphabetical
            chosen = _first(positions, order[positions], query.offset + query.limit)[query.offset :]
        page = [snapshot.dataset_ids[i] for i in chosen.tolist()]
    facets = _facet_counts(snapshot, query, matched & seen, filters, shown) if count else {}
    return Hits(page, count, {name: facets.get(name, []) for name in query.facets}, relaxed)


def suggest(
    conn: Connection,
    *,
    backend: SQLiteFTS,
    snapshot: Snapshot,
    viewer: Viewer,
    terms: Sequence[QueryTerm],
    limit: int,
) -> list[str]:
    """What obert.search.typeahead.suggest answers, from `snapshot`: the datasets with every word in the
    title or keywords, by the same rank. Each match has each word there, so its rank is bm25 squeezed
    less the number of words, as backends._fts5_rank would write it; then newest, then name."""
    words = words_for(conn, backend, snapshot, terms)
    if isinstance(words, Held):
        places, score = words.scored(terms, any_term=False, prominent=True)
        positions, _ = _suggested(snapshot, viewer, terms, places, score, limit)
        return [snapshot.dataset_ids[i] for i in positions.tolist()]
    expression = backend.expression(terms, any_term=False, prominent=True)
    # The best by bm25 first: enough of them are usually visible, and the rest cannot come before them.
    doc_ids, score = backend.scored(conn, expression, best=SUGGEST_WINDOW)
    positions, complete = _suggested(snapshot, viewer, terms, snapshot.locate(doc_ids), score, limit)
    if len(doc_ids) == SUGGEST_WINDOW and not complete:  # there are more, and they could come first
        doc_ids, score = backend.scored(conn, expression)
        positions, _ = _suggested(snapshot, viewer, terms, snapshot.locate(doc_ids), score, limit)
    return [snapshot.dataset_ids[i] for i in positions.tolist()]


def _suggested(
    snapshot: Snapshot, viewer: Viewer, terms: Sequence[QueryTerm], places: Ints, score: Floats, limit: int
) -> tuple[Ints, bool]:
    """The positions of the first `limit` visible of these matches (-1: a document the snapshot has not)
    by rank, newest, name, and whether no match past the worst of these could come before them."""
    shown = places >= 0
    shown[shown] = snapshot.visible(viewer)[places[shown]]
    positions, visible_score = places[shown], score[shown]
    rank = _squeezed(visible_score) - float(len(terms))
    order = np.lexsort((snapshot.recency[positions], rank))[:limit]
    if not len(score):
        return positions[order], True
    # Rows not listed have a bm25 no better than the worst listed; a margin covers the rounding of the
    # rank's arithmetic (it is monotonic only up to an ulp).
    worst = float(_squeezed(np.array([score.max()]))[0]) - float(len(terms))
    margin = 1e-9 * (1.0 + abs(worst))
    complete = len(order) == limit and float(rank[order[-1]]) < worst - margin
    return positions[order], complete


def _squeezed(score: Floats) -> Floats:
    """bm25 squeezed into (-1, 0] as backends._coverage does, in the same double arithmetic."""
    squeezed: Floats = score / (1.0 - score)
    return squeezed


def _all(mask: Flags, others: Iterable[Flags]) -> Flags:
    combined = mask.copy()
    for other in others:
        combined &= other
    return combined


def _first(positions: Ints, keys: Ints, k: int) -> Ints:
    """The `k` positions with the smallest keys (distinct), in key order."""
    if len(positions) > k:
        kept = np.argpartition(keys, k - 1)[:k]
        positions, keys = positions[kept], keys[kept]
    return positions[np.argsort(keys, kind="stable")]


def _by_relevance(
    words: Words,
    snapshot: Snapshot,
    query: SearchQuery,
    terms: Sequence[QueryTerm],
    relaxed: bool,
    positions: Ints,
    scores: Floats | None,
) -> Ints:
    """The page's positions in the order of backends._fts5_rank, then newest, then name."""
    wanted = query.offset + query.limit
    if not relaxed:
        # Usually enough matches have every word in the title or keywords to fill the page: one list of
        # those tells them apart from the rest, who cannot reach it, without a list per word.
        every = _within(positions, words.listed(terms, any_term=False, prominent=True))
        if int(every.sum()) >= wanted:
            return _ranked(words, snapshot, query, positions, every * len(terms), scores, terms, relaxed)
    counted = np.zeros(len(positions), dtype=np.int64)
    for term in terms:
        if relaxed and len(terms) > 1:
            counted += COVERAGE * _within(positions, words.listed([term], any_term=False))
        counted += _within(positions, words.listed([term], any_term=False, prominent=True))
    return _ranked(words, snapshot, query, positions, counted, scores, terms, relaxed)


def _ranked(
    words: Words,
    snapshot: Snapshot,
    query: SearchQuery,
    positions: Ints,
    counted: Ints,
    scores: Floats | None,
    terms: Sequence[QueryTerm],
    relaxed: bool,
) -> Ints:
    """The page of `positions` by rank, from each one's count of words (backends._coverage's) and bm25
    (`scores`, by position; asked for here when None)."""
    # bm25 is squeezed into (-1, 0] in the rank, so a match with fewer words never comes before one with
    # more: only the matches of the best counts, as many as fill the page, can be on it, and only those
    # are scored when the matches are not scored yet (a search relaxed to any word: most have one).
    wanted = query.offset + query.limit
    if len(positions) > wanted:
        least = np.partition(counted, len(counted) - wanted)[len(counted) - wanted]
        best = counted >= least
        positions, counted = positions[best], counted[best]
    if scores is None:
        scored, score = words.scored(terms, any_term=relaxed, of=positions)
        if not np.array_equal(scored, positions):
            raise RuntimeError("the index changed within a read transaction")
    else:
        score = scores[positions]
    # The rank as _coverage writes it in SQL, in the same double arithmetic, so ties fall alike.
    rank = _squeezed(score) - counted.astype(np.float64)
    order = np.lexsort((snapshot.recency[positions], rank))
    return positions[order][query.offset : wanted]


def _within(positions: Ints, listed: Ints) -> Ints:
    """1 for each of `positions` that is in `listed` (ascending), else 0."""
    if not len(listed):
        return np.zeros(len(positions), dtype=np.int64)
    found = np.minimum(np.searchsorted(listed, positions), len(listed) - 1)
    within: Ints = (listed[found] == positions).astype(np.int64)
    return within


def _facet_counts(
    snapshot: Snapshot,
    query: SearchQuery,
    found: Flags,
    filters: Mapping[str, Flags],
    shown: Flags,
) -> dict[str, list[tuple[str, int]]]:
    """Counts per value of the facets asked for among the matches shown; a facet with a filter of its
    own, among the matches without that filter (values of a facet are alternatives)."""
    result: dict[str, list[tuple[str, int]]] = {}
    plain = [name for name in query.facets if name not in filters]
    if plain:
        counts = _counted(snapshot, np.flatnonzero(shown), plain, query.lang)
        for name in plain:
            result[name] = _top(snapshot, counts, name, query)
    for name in query.facets:
        if name in filters:
            others = _all(found, [mask for facet, mask in filters.items() if facet != name])
            result[name] = _top(
                snapshot, _counted(snapshot, np.flatnonzero(others), [name], query.lang), name, query
            )
    return result


def _counted(snapshot: Snapshot, positions: Ints, names: Sequence[str], lang: str) -> Ints:
    """Counts per value number among the documents at `positions`, of the groups `names` need."""
    groups = {lang if name == KEYWORD else "" for name in names}
    counts = np.zeros(len(snapshot.names), dtype=np.int64)
    for group in sorted(groups):
        counts += snapshot.counts(positions, group)
    return counts


def _top(snapshot: Snapshot, counts: Ints, name: str, query: SearchQuery) -> list[tuple[str, int]]:
    """The facet's `facet_limit` values counted most often (ties by value), as obert.search.facets does."""
    members = snapshot.members(name, query.lang if name == KEYWORD else None)
    if not len(members):
        return []
    n = counts[members]
    counted = n > 0
    members, n = members[counted], n[counted]
    limit = query.facet_limit
    if len(n) > limit:
        least = np.partition(n, len(n) - limit)[len(n) - limit]
        kept = n >= least  # values counted as often as the last are kept: ties go by value
        members, n = members[kept], n[kept]
    pairs = [(snapshot.names[i][1], c) for i, c in zip(members.tolist(), n.tolist(), strict=True)]
    pairs.sort(key=lambda pair: (-pair[1], pair[0]))
    return pairs[:limit]
