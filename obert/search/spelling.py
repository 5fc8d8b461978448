"""Spelling suggestions from the index's own vocabulary: "acidents" → accidents, "bicis" → bicing.

A word of a query that no indexed term answers (neither the word nor any of its stems) is replaced by
the closest indexed term: the fewest edits (Levenshtein, at most 1 for words of up to 5 letters and 2
for longer ones), then the most documents; failing that, the commonest term that starts with one of
the word's stems ("bicis" stems to "bici": bicing, bicicleta). Both engines choose the same way, from
the same terms: SQLite lists its FTS5 vocabulary (an fts5vocab table) once per index version and
rapidfuzz compares; PostgreSQL asks search_terms' pg_trgm index for similar terms, and rapidfuzz
compares those.

The vocabulary holds every indexed document's words, visible or not: callers show a suggestion only
when searching for it finds something the reader may see (obert.catalog.discovery does).
"""

from __future__ import annotations

import bisect
import re
import threading
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein
from sqlalchemy.engine import Connection, Engine

from obert.i18n.text import MIN_PREFIX_STEM, STEMMERS, stem, words
from obert.search import cache
from obert.storage.tables.search import TERMS_TABLE, VOCAB_TABLE

MIN_WORD = 3  # shorter words are abbreviations and codes: never "corrected"
STALE_SECONDS = 300  # how long SQLite's vocabulary is kept after the index changes (see _sqlite_vocabulary)
SIMILAR = 40  # terms PostgreSQL's trigram index offers per word, compared by edit distance here
_CHUNK = re.compile(r"\S+")


@dataclass(frozen=True, slots=True)
class _Vocabulary:
    """SQLite's vocabulary, as read for one index version: term → documents, and the terms sorted."""

    docs: dict[str, int]
    terms: list[str]


_LOCK = threading.Lock()
_VOCABULARIES: weakref.WeakKeyDictionary[Engine, tuple[str | None, float, _Vocabulary]] = (
    weakref.WeakKeyDictionary()
)


def max_edits(word: str) -> int:
    return 1 if len(word) <= 5 else 2


@dataclass(frozen=True, slots=True)
class Respelling:
    """The words of a text (whitespace-separated chunks, as typed) and, for each, the indexed term that
    should replace it (None: keep it)."""

    chunks: tuple[str, ...]
    replacements: tuple[str | None, ...]

    def text(self, keep: Sequence[int] = ()) -> str:
        """The text with the replacements, but for the chunks at positions `keep`."""
        return " ".join(
            chunk if new is None or i in keep else new
            for i, (chunk, new) in enumerate(zip(self.chunks, self.replacements, strict=True))
        )


def spelling(conn: Connection, text: str) -> Respelling | None:
    """Each word of `text` that the index does not know, with the closest term it knows (None when every
    word is known, or no unknown one has a close term)."""
    lookup = _Lookup(conn)
    chunks = tuple(match.group() for match in _CHUNK.finditer(text))
    replacements: list[str | None] = []
    for chunk in chunks:
        found = words(chunk)
        known = len(found) != 1 or len(found[0]) < MIN_WORD or lookup.known(found[0])
        replacements.append(None if known else lookup.closest(found[0]))
    if not any(replacements):
        return None
    return Respelling(chunks, tuple(replacements))


def _stems(word: str) -> set[str]:
    return {word, *(stem(word, lang) for lang in STEMMERS)}


def _best(word: str, candidates: Sequence[tuple[str, int]]) -> str | None:
    """The candidate (term, documents) with the fewest edits from `word`, within max_edits, then the most
    documents, then the longer (a word over its stem), then alphabetical."""
    limit = max_edits(word)
    scored = [
        (distance, -docs, -len(term), term)
        for term, docs in candidates
        if term != word and (distance := Levenshtein.distance(word, term, score_cutoff=limit)) <= limit
    ]
    return min(scored)[3] if scored else None


def _prefixes(word: str) -> list[str]:
    """The word's stems long enough to stand for it as a prefix, longest first."""
    return sorted((s for s in _stems(word) if len(s) >= MIN_PREFIX_STEM and s != word), key=len, reverse=True)


class _Lookup:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.postgres = conn.dialect.name == "postgresql"
        self.vocabulary = None if self.postgres else _sqlite_vocabulary(conn)

    def known(self, word: str) -> bool:
        alternatives = _stems(word)
        if self.vocabulary is not None:
            return any(self.vocabulary.docs.get(a, 0) > 0 for a in alternatives)
        query = sa.text(f"SELECT 1 FROM {TERMS_TABLE} WHERE term = ANY(:terms) AND docs > 0 LIMIT 1")
        return self.conn.execute(query, {"terms": sorted(alternatives)}).first() is not None

    def closest(self, word: str) -> str | None:
        found = _best(word, self._similar(word))
        if found is not None:
            return found
        for prefix in _prefixes(word):
            found = self._commonest_from(prefix)
            if found is not None:
                return found
        return None

    def _similar(self, word: str) -> list[tuple[str, int]]:
        if self.vocabulary is not None:
            docs = self.vocabulary.docs
            near = process.extract(
                word,
                self.vocabulary.terms,
                scorer=Levenshtein.distance,
                score_cutoff=max_edits(word),
                limit=None,
            )
            return [(term, docs[term]) for term, _distance, _index in near]
        query = sa.text(
            f"SELECT term, docs FROM {TERMS_TABLE} WHERE term % :word AND docs > 0 "
            "ORDER BY term <-> :word LIMIT :n"
        )
        return [(row[0], int(row[1])) for row in self.conn.execute(query, {"word": word, "n": SIMILAR})]

    def _commonest_from(self, prefix: str) -> str | None:
        """The term starting with `prefix` in the most documents (then the shortest)."""
        if self.vocabulary is not None:
            terms, docs = self.vocabulary.terms, self.vocabulary.docs
            start = bisect.bisect_left(terms, prefix)
            end = bisect.bisect_left(terms, prefix + "\uffff")
            return _commonest([(t, docs[t]) for t in terms[start:end] if docs[t] > 0])
        query = sa.text(
            f"SELECT term, docs FROM {TERMS_TABLE} WHERE term LIKE :pattern AND docs > 0 "
            "ORDER BY docs DESC, length(term), term LIMIT :n"
        )
        rows = self.conn.execute(query, {"pattern": prefix + "%", "n": SIMILAR})
        return _commonest([(row[0], int(row[1])) for row in rows])


def _commonest(candidates: Sequence[tuple[str, int]]) -> str | None:
    """The term in the most documents, then the shortest, leaving out stems: a term that starts another
    one found in as many documents ("bicicl", the stem of bicicleta) is a stem, not a word to offer."""
    words = [
        (term, docs)
        for term, docs in candidates
        if not any(other != term and other.startswith(term) and n == docs for other, n in candidates)
    ]
    ranked = sorted(words, key=lambda pair: (-pair[1], len(pair[0]), pair[0]))
    return ranked[0][0] if ranked else None


def _sqlite_vocabulary(conn: Connection) -> _Vocabulary:
    """The FTS5 vocabulary, read again when the index has changed since, but at most every STALE_SECONDS:
    fts5vocab reads the whole index (a tenth of a second at 2,000 documents on a loaded machine), and
    a harvest changes the index often. Meanwhile a new word may go unoffered; a word gone is never
    offered, as every suggestion is searched for before it is shown (obert.catalog.discovery)."""
    version = cache.version(conn)
    now = time.monotonic()
    with _LOCK:
        kept = _VOCABULARIES.get(conn.engine)
    if kept is not None and version is not None and (kept[0] == version or now - kept[1] < STALE_SECONDS):
        return kept[2]
    rows = conn.execute(sa.text(f"SELECT term, doc FROM {VOCAB_TABLE}"))
    docs = {row[0]: int(row[1]) for row in rows}
    vocabulary = _Vocabulary(docs, sorted(docs))
    with _LOCK:
        _VOCABULARIES[conn.engine] = (version, now, vocabulary)
    return vocabulary
