"""Spelling suggestions from the index's own vocabulary: "acidents" → accidents, "bicis" → bicing.

A word of a query that no indexed term answers (neither the word nor any of its stems) is replaced by
the closest indexed term: the fewest edits (Levenshtein, at most 1 for words of up to 5 letters and 2
for longer ones), then the most documents; failing that, the commonest term that starts with one of
the word's stems ("bicis" stems to "bici": bicing, bicicleta). Both engines choose the same way, from
the same terms, a table of each indexed term and its number of documents (search_terms) kept as the
index is written: PostgreSQL asks its pg_trgm index for similar terms, SQLite its FTS5 trigram index
(search_terms_trigrams), and rapidfuzz compares those. Each lookup is a few indexed queries.

The vocabulary holds every indexed document's words, visible or not: callers show a suggestion only
when searching for it finds something the reader may see (obert.catalog.discovery does).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from rapidfuzz.distance import Levenshtein
from sqlalchemy.engine import Connection

from obert.i18n.text import MIN_PREFIX_STEM, STEMMERS, stem, words
from obert.storage.tables.search import TERMS_TABLE, TERMS_TRIGRAMS

MIN_WORD = 3  # shorter words are abbreviations and codes: never "corrected"
SIMILAR = 40  # terms the trigram index offers per word, compared by edit distance here
_CHUNK = re.compile(r"\S+")


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

    def known(self, word: str) -> bool:
        query = sa.text(f"SELECT 1 FROM {TERMS_TABLE} WHERE term IN :terms AND docs > 0 LIMIT 1").bindparams(
            sa.bindparam("terms", expanding=True)
        )
        return self.conn.execute(query, {"terms": sorted(_stems(word))}).first() is not None

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
        if self.postgres:
            query = sa.text(
                f"SELECT term, docs FROM {TERMS_TABLE} WHERE term % :word AND docs > 0 "
                "ORDER BY term <-> :word LIMIT :n"
            )
            return [(row[0], int(row[1])) for row in self.conn.execute(query, {"word": word, "n": SIMILAR})]
        grams = sorted({word[i : i + 3] for i in range(len(word) - 2)})
        if not grams:
            return []
        # The terms sharing the most (and the rarest) of the word's trigrams, by FTS5's bm25: what pg_trgm's
        # similarity is to PostgreSQL. Only lengths within reach of max_edits can be close enough.
        limit = max_edits(word)
        query = sa.text(
            f"SELECT t.term, t.docs FROM {TERMS_TRIGRAMS} AS g JOIN {TERMS_TABLE} AS t ON t.rowid = g.rowid "
            f"WHERE {TERMS_TRIGRAMS} MATCH :grams AND t.docs > 0 AND length(t.term) BETWEEN :shortest AND "
            ":longest ORDER BY g.rank LIMIT :n"
        )
        rows = self.conn.execute(
            query,
            {
                "grams": " OR ".join(f'"{gram}"' for gram in grams),
                "shortest": len(word) - limit,
                "longest": len(word) + limit,
                "n": SIMILAR,
            },
        )
        return [(row[0], int(row[1])) for row in rows]

    def _commonest_from(self, prefix: str) -> str | None:
        """The term starting with `prefix` in the most documents (then the shortest)."""
        # SQLite: a range of the primary key (its LIKE ignores case, so cannot use the key's index).
        where = "term LIKE :pattern" if self.postgres else "term >= :prefix AND term < :after"
        query = sa.text(
            f"SELECT term, docs FROM {TERMS_TABLE} WHERE {where} AND docs > 0 "
            "ORDER BY docs DESC, length(term), term LIMIT :n"
        )
        rows = self.conn.execute(
            query, {"pattern": prefix + "%", "prefix": prefix, "after": prefix + "\U0010ffff", "n": SIMILAR}
        )
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
