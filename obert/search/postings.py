"""SQLite: the index's postings held in memory with its snapshot, so that a search on a snapshot need not
ask FTS5: which documents hold each term, how often in each field, and bm25 computed over them in numpy,
to the bit what FTS5's bm25 (with backends.WEIGHTS) answers.

FTS5 spends most of a search with common words scoring every match (bm25 is a callback per matching row,
whatever the LIMIT, and it counts each phrase's documents for its idf): 19 ms of CPU for 8,000 matches at
100k. Here a term's documents are a slice of arrays read once per index version, and a query's score is
a few vectorised passes over its terms' slices.

The postings are FTS5's own, read through fts5vocab (term, document, column of every token, in FTS5's
order), with the row count and token total bm25 reads (FTS5's averages record) and each document's token
count (its docsize records). They are checked against each other (every term's documents, every
document's tokens); where they disagree, or FTS5 has documents the snapshot has not, there are no
postings and searches ask FTS5 as before. Terms in more than half of the documents (bm25's idf is at its
floor there: "es", "dataset", "public" of every description) are not held, which halves the memory; a
search with one asks FTS5.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from math import log
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy.engine import Connection

from obert.i18n.text import QueryTerm
from obert.storage.tables.search import FTS_TABLE

# bm25's constants in FTS5 (fts5_aux.c) and the field weights every bm25 call of obert passes.
K1 = 1.2
B = 0.75
WEIGHTS = (10.0, 5.0, 2.0, 1.0)  # backends.WEIGHTS: title, keywords, description, other
PROMINENT_COLUMNS = 2  # title and keywords come first
# FTS5's averages record: the row count, then each column's token total, as varints.
AVERAGES_ROWID = 1
# Past every character a term can hold: the end of a prefix's range in the sorted vocabulary.
_AFTER = "\U0010ffff"
# fts5vocab tables over the index, in each connection's temp schema (nothing written to the database).
_ROWS = "obert_fts_terms"
_INSTANCES = "obert_fts_tokens"
_COLUMN_NUMBER = "(CASE col WHEN 'title' THEN 0 WHEN 'keywords' THEN 1 WHEN 'description' THEN 2 ELSE 3 END)"
_CHUNK = 1 << 20  # tokens read at a time

Ints = npt.NDArray[np.int64]
Flags = npt.NDArray[np.bool_]
Floats = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Phrase:
    """One FTS5 phrase of a query (a term, or every term starting with a prefix) over the documents that
    hold it: their positions (ascending), the weighted count of its tokens in every field and in the
    title and keywords."""

    places: Ints
    weights: Floats
    prominent: Floats


@dataclass(frozen=True, slots=True)
class Postings:
    """Term i (of `terms`, in FTS5's byte order, which is code point order) is in the documents at
    places[offsets[i]:offsets[i + 1]] (snapshot positions, ascending), `weights` times by bm25's field
    weights in all, `prominent` times in the title and keywords; a term not `held` has none here."""

    terms: list[str]
    held: Flags
    offsets: Ints
    places: npt.NDArray[np.int32]
    weights: npt.NDArray[np.float32]
    prominent: npt.NDArray[np.float32]
    lengths: Floats  # tokens in each document (all fields): bm25's D
    rows: int  # FTS5's row count
    average: float  # FTS5's mean tokens per row: bm25's avgdl

    @property
    def documents(self) -> int:
        return len(self.lengths)

    def phrase(self, term: str, *, prefix: bool = False) -> Phrase | None:
        """The documents holding `term` (with `prefix`: any term starting with it), as FTS5 sees the
        phrase `"term"` (`"term" *`); None when a term of it is not held."""
        start = bisect_left(self.terms, term)
        end = bisect_left(self.terms, term + _AFTER) if prefix else start + 1
        if start >= len(self.terms) or (not prefix and self.terms[start] != term):
            end = start
        if not bool(self.held[start:end].all()):
            return None
        low, high = int(self.offsets[start]), int(self.offsets[end])
        places = self.places[low:high].astype(np.int64)
        weights = self.weights[low:high].astype(np.float64)
        prominent = self.prominent[low:high].astype(np.float64)
        if end - start > 1:
            # Several terms: one document's tokens of any of them add up (exact: small whole numbers).
            n = self.documents
            summed = np.asarray(np.bincount(places, weights=weights, minlength=n), dtype=np.float64)
            upper = np.asarray(np.bincount(places, weights=prominent, minlength=n), dtype=np.float64)
            held = np.flatnonzero(summed)
            return Phrase(held, summed[held], upper[held])
        return Phrase(places, weights, prominent)

    def bm25(self, phrases: Sequence[Phrase], *, prominent: bool = False) -> Floats:
        """FTS5's bm25 of every document (0 where none of `phrases` is) for a query of these phrases, in
        their order; with `prominent`, for the query narrowed to the title and keywords. In FTS5's double
        arithmetic and order (fts5Bm25Function), so that ties and ranks come out alike."""
        score = np.zeros(self.documents, dtype=np.float64)
        k1_plus = K1 + 1.0
        for phrase in phrases:
            freq = phrase.prominent if prominent else phrase.weights
            places = phrase.places
            if prominent:
                present = freq > 0
                places, freq = places[present], freq[present]
            hits = len(places)  # FTS5 counts the phrase's documents for its idf (xQueryPhrase)
            if not hits:
                continue  # no instance anywhere: it adds 0.0 to every score
            idf = log((self.rows - hits + 0.5) / (hits + 0.5))
            if idf <= 0.0:
                idf = 1e-6
            length = self.lengths[places]
            # C's  idf * ((f * (k1 + 1.0)) / (f + k1 * (1 - b + b * D / avgdl)))  operation by operation.
            damped = freq + K1 * ((1.0 - B) + (B * length) / self.average)
            score[places] += idf * ((freq * k1_plus) / damped)
        negated: Floats = -1.0 * score
        return negated


def query_phrases(postings: Postings, term: QueryTerm) -> list[Phrase] | None:
    """The phrases of one query word, in the order backends._fts5_term writes them (None: one is not
    held)."""
    phrases = [postings.phrase(alternative) for alternative in term.alternatives]
    if term.prefix:
        phrases.append(postings.phrase(term.prefix, prefix=True))
    if any(phrase is None for phrase in phrases):
        return None
    return [phrase for phrase in phrases if phrase is not None]


def read(conn: Connection, doc_ids: Ints) -> Postings | None:
    """The postings of the index as `conn`'s transaction sees it, by position in `doc_ids` (the snapshot's,
    ascending); None when FTS5's rows are not exactly those documents, or its records disagree."""
    driver: Any = conn.connection.driver_connection  # sqlite3's own rows: no Row objects per token
    n = len(doc_ids)
    stored = driver.execute(f"SELECT block FROM {FTS_TABLE}_data WHERE id = ?", (AVERAGES_ROWID,)).fetchone()
    if stored is None or not n:
        return None
    averages = _varints(bytes(stored[0]))
    if len(averages) != 1 + len(WEIGHTS) or averages[0] != n:
        return None
    sizes = driver.execute(f"SELECT id, sz FROM {FTS_TABLE}_docsize ORDER BY id").fetchall()
    counted = _column_sizes(sizes, doc_ids)  # None also when FTS5's rows are not the snapshot's documents
    if counted is None:
        return None
    # fts5vocab reads FTS5's index itself: each term with its document and token counts, and each token
    # (term, document, column), both in FTS5's order (terms by bytes, then documents ascending).
    for name, kind in ((_ROWS, "row"), (_INSTANCES, "instance")):
        driver.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{name} USING fts5vocab(main, {FTS_TABLE}, {kind})"
        )
    listed = driver.execute(f"SELECT term, doc, cnt FROM temp.{_ROWS}").fetchall()
    terms = [row[0] for row in listed]
    documents = np.fromiter((row[1] for row in listed), dtype=np.int64, count=len(listed))
    tokens = np.fromiter((row[2] for row in listed), dtype=np.int64, count=len(listed))
    if terms != sorted(terms):
        return None
    # Past half of the rows FTS5's idf is its floor, and such a term has postings of half the index
    # ("es", "dataset", "public" in every description): not held; a search with one asks FTS5.
    held = documents * 2 <= n
    weight_of = np.asarray(WEIGHTS, dtype=np.float64)
    prominent_of = np.where(np.arange(len(WEIGHTS)) < PROMINENT_COLUMNS, weight_of, 0.0)
    per_document = np.zeros(n, dtype=np.int64)
    places_parts: list[npt.NDArray[np.int32]] = []
    weight_parts: list[npt.NDArray[np.float32]] = []
    prominent_parts: list[npt.NDArray[np.float32]] = []
    kept = np.zeros(len(terms), dtype=np.int64)
    for start, stop in _runs(held, tokens):
        text = driver.execute(
            f"SELECT group_concat(doc * 4 + {_COLUMN_NUMBER}, ' ') FROM temp.{_INSTANCES} "
            "WHERE term >= ? AND term <= ?",
            (terms[start], terms[stop - 1]),
        ).fetchone()[0]
        codes = np.fromstring(text, dtype=np.int64, sep=" ") if text else np.zeros(0, dtype=np.int64)
        counts = tokens[start:stop]
        if len(codes) != int(counts.sum()):
            return None
        term = np.repeat(np.arange(stop - start, dtype=np.int64), counts)
        owner = codes >> 2
        places = np.minimum(np.searchsorted(doc_ids, owner), n - 1)
        if not np.array_equal(doc_ids[places], owner):
            return None
        per_document += np.bincount(places, minlength=n)
        columns = codes & 3
        new = np.ones(len(codes), dtype=np.bool_)
        new[1:] = (term[1:] != term[:-1]) | (places[1:] != places[:-1])
        firsts = np.flatnonzero(new)
        kept[start:stop] = np.bincount(term[firsts], minlength=stop - start)
        if not np.array_equal(kept[start:stop], documents[start:stop]):
            return None  # the tokens are not in term and document order
        if len(firsts):
            # Small whole numbers, summed and stored exactly.
            places_parts.append(places[firsts].astype(np.int32))
            weight_parts.append(np.add.reduceat(weight_of[columns], firsts).astype(np.float32))
            prominent_parts.append(np.add.reduceat(prominent_of[columns], firsts).astype(np.float32))
    # The tokens of the terms not held are not read: each document has at least the ones read, and with
    # the others there are as many as FTS5 counts in all.
    lengths = counted.sum(axis=1)
    if not np.all(per_document <= lengths) or int(per_document.sum()) + int(tokens[~held].sum()) != sum(
        averages[1:]
    ):
        return None
    if held.all() and not np.array_equal(per_document, lengths):
        return None
    offsets = np.zeros(len(terms) + 1, dtype=np.int64)
    np.cumsum(kept, out=offsets[1:])
    return Postings(
        terms=terms,
        held=held,
        offsets=offsets,
        places=np.concatenate(places_parts) if places_parts else np.zeros(0, dtype=np.int32),
        weights=np.concatenate(weight_parts) if weight_parts else np.zeros(0, dtype=np.float32),
        prominent=np.concatenate(prominent_parts) if prominent_parts else np.zeros(0, dtype=np.float32),
        lengths=lengths.astype(np.float64),
        rows=n,
        average=float(sum(averages[1:])) / float(n),
    )


def _runs(held: Flags, tokens: Ints) -> list[tuple[int, int]]:
    """Ranges [start, stop) of held terms, each of about _CHUNK tokens at most (or of one term), that
    together cover every held term: the terms read with one statement each."""
    runs: list[tuple[int, int]] = []
    start, total = -1, 0
    for i, (is_held, count) in enumerate(zip(held.tolist(), tokens.tolist(), strict=True)):
        if start >= 0 and (not is_held or total + count > _CHUNK):
            runs.append((start, i))
            start = -1
        if is_held:
            if start < 0:
                start, total = i, 0
            total += count
    if start >= 0:
        runs.append((start, len(held)))
    return runs


def _column_sizes(sizes: Sequence[tuple[int, bytes]], ids: Ints) -> npt.NDArray[np.int64] | None:
    """FTS5's token count of each document in each column (search_fts_docsize: a varint a column), in
    `ids`' order; None if it is not one count a column for each of them."""
    if not np.array_equal(np.fromiter((s[0] for s in sizes), dtype=np.int64, count=len(sizes)), ids):
        return None
    blobs = [bytes(s[1]) for s in sizes]
    data = np.frombuffer(b"".join(blobs), dtype=np.uint8)
    ends = np.flatnonzero(data < 0x80)  # a varint's last byte
    columns = len(WEIGHTS)
    if len(ends) != columns * len(blobs):
        return None
    if not len(ends):
        return np.zeros((0, columns), dtype=np.int64)
    # Each document's blob must end where its last count does.
    blob_ends = np.cumsum(np.fromiter(map(len, blobs), dtype=np.int64, count=len(blobs))) - 1
    if not np.array_equal(ends[columns - 1 :: columns], blob_ends):
        return None
    starts = np.concatenate(([0], ends[:-1] + 1))
    if int((ends - starts).max()) >= 8:
        return None  # no count is that large; not a docsize record
    owner = np.repeat(np.arange(len(ends)), ends - starts + 1)
    shift = 7 * (ends[owner] - np.arange(len(data)))
    # Whole numbers below 2**53: summed exactly as doubles.
    values = np.bincount(owner, weights=(data.astype(np.int64) & 0x7F) << shift, minlength=len(ends))
    return values.astype(np.int64).reshape(-1, columns)


def _varints(blob: bytes) -> list[int]:
    """SQLite's varints (big-endian, 7 bits a byte, the ninth byte whole) in `blob`."""
    values: list[int] = []
    i, end = 0, len(blob)
    while i < end:
        value = 0
        for k in range(9):
            byte = blob[i]
            i += 1
            if k == 8:
                value = (value << 8) | byte
                break
            value = (value << 7) | (byte & 0x7F)
            if byte < 0x80:
                break
        values.append(value)
    return values
