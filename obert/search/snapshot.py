"""SQLite: what a search needs to know of every indexed document, held in memory per index version.

A search on SQLite used to have the database join each match to its search_documents row (visibility,
date, name) and hand back every match's facet value ids as text, then rank every match. Here those
per-document facts live in numpy arrays: visibility and order as one value per document, the facet
values as a compressed sparse row array (each document's value numbers, and the reverse: each value's
documents). A search then asks FTS5 only for rowids, and filters, counts and orders in numpy
(obert.search.gathered).

A snapshot is tagged with the index version (obert.search.cache) it was read under, in one read
transaction; a search uses it only while the version it reads in its own transaction is the same. Every
write of the index replaces the version in the writing transaction, so a held, withdrawn, private or
deleted dataset is never served from an older snapshot, by this process or any other on the database:
until a new snapshot is read (in the background for a large index), searches go to SQL as before.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from obert.search import cache
from obert.search.model import ANY_LANGUAGE, Viewer
from obert.search.postings import Postings
from obert.search.postings import read as read_postings
from obert.storage.per_engine import PerEngine
from obert.storage.tables.search import FACET_IDS_COLUMN, search_values
from obert.storage.tables.search import search_documents as docs

# Up to this many documents a snapshot is read in the searching request itself (tens of milliseconds;
# 100,000 take 2-4 s); above, in a thread of its own, while the request searches in SQL.
INLINE_DOCUMENTS = 2_000
# Up to this many, the postings (obert.search.postings) too, by the version's second search: its first asks
# FTS5, which answers as quickly at this size, while the postings cost a few milliseconds more to read
# (more than the search) and a portal taking writes has a new version for nearly every search. Above,
# they are read in the background with the rest (after the rest is in use) for an index above
# INLINE_DOCUMENTS, and not at all between the two (FTS5 answers quickly there).
INLINE_POSTINGS = 500
READ_PAUSE = 4  # after a read in the background, no other for four times as long

KEYWORD = "keyword"
Ints = npt.NDArray[np.int64]
Flags = npt.NDArray[np.bool_]
Floats = npt.NDArray[np.float64]


@dataclass(eq=False, slots=True)
class Snapshot:
    """The documents of one index version; position i is the document `doc_ids[i]` (ascending)."""

    version: str
    doc_ids: Ints
    dataset_ids: list[str]
    public: Flags  # published and public: what anyone may see
    live: Flags  # not deleted
    organization: npt.NDArray[np.int32]  # a number of `organizations`, -1 for none
    organizations: dict[str, int]
    recency: Ints  # place in the order (modified, newest first; then name)
    alphabetical: Ints  # place in name order
    groups: dict[str, Slices]  # each document's values: keywords by language, every other facet's ("")
    holder_offsets: Ints  # value v's documents are holders[holder_offsets[v]:holder_offsets[v + 1]]
    holders: Ints
    names: list[tuple[str, str, str]]  # (facet, value, lang) of each value number
    postings: Postings | None = None  # each term's documents (None: FTS5 lists them)
    postings_due: bool = False  # the postings are to be read by the next search of this version
    _members: dict[tuple[str, str | None], Ints] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.doc_ids)

    def visible(self, viewer: Viewer) -> Flags:
        """The documents `viewer` may find: obert.search.index.visible's rule."""
        if viewer.sysadmin:
            return self.live
        if viewer.organization_ids:
            codes = [self.organizations[o] for o in viewer.organization_ids if o in self.organizations]
            theirs = np.isin(self.organization, codes) if codes else np.zeros(len(self), dtype=np.bool_)
            return self.live & (self.public | theirs)
        return self.public

    def members(self, facet: str, lang: str | None = None) -> Ints:
        """The value numbers of `facet` (for keywords, of language `lang`; any language's with None)."""
        key = (facet, lang)
        found = self._members.get(key)
        if found is None:
            found = np.array(
                [
                    i
                    for i, (f, _v, lg) in enumerate(self.names)
                    if f == facet and (lang is None or lg == lang)
                ],
                dtype=np.int64,
            )
            self._members[key] = found
        return found

    def holding(self, facet: str, chosen: set[str]) -> Flags:
        """The documents with one of the `chosen` values of `facet` (in any language)."""
        mask = np.zeros(len(self), dtype=np.bool_)
        for number in self.members(facet).tolist():
            if self.names[number][1] in chosen:
                mask[self.holders[self.holder_offsets[number] : self.holder_offsets[number + 1]]] = True
        return mask

    def counts(self, positions: Ints, group: str) -> Ints:
        """How many of the documents at `positions` hold each value number of `group` (the others: 0)."""
        slices = self.groups.get(group)
        if slices is None:
            return np.zeros(len(self.names), dtype=np.int64)
        starts, ends = slices.offsets[positions], slices.offsets[positions + 1]
        lengths = ends - starts
        total = int(lengths.sum())
        if not total:
            return np.zeros(len(self.names), dtype=np.int64)
        # The flat indices of every slice at once: a running count, shifted to each slice's start.
        shifts = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
        picked = slices.values[np.arange(total, dtype=np.int64) + shifts]
        return np.bincount(picked, minlength=len(self.names))

    def locate(self, doc_ids: Ints) -> Ints:
        """The position of each of these doc ids, -1 for one the snapshot does not have."""
        if not len(self.doc_ids):
            return np.full(len(doc_ids), -1, dtype=np.int64)
        found: Ints = np.minimum(np.searchsorted(self.doc_ids, doc_ids), len(self.doc_ids) - 1)
        return np.where(self.doc_ids[found] == doc_ids, found, -1)


@dataclass(frozen=True, slots=True)
class Slices:
    """A value number list per document: document i's are values[offsets[i]:offsets[i + 1]]."""

    offsets: Ints
    values: npt.NDArray[np.int32]


class _Kept:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.snapshot: Snapshot | None = None
        self.reading = False
        self.size = -1  # documents in the index when last counted, before any snapshot
        self.next_read = 0.0  # time.monotonic() before which no read starts (see _read_later)


_log = logging.getLogger(__name__)
_kept = PerEngine(_Kept)


def current(conn: Connection) -> Snapshot | None:
    """The snapshot of the index as `conn`'s transaction sees it, or None (search in SQL) while there is
    none: then one is read, in this request for a small index and in the background for a large one."""
    version = cache.version(conn)
    if version is None:
        return None
    kept = _kept(conn.engine)
    snapshot = kept.snapshot
    if snapshot is not None and snapshot.version == version:
        if snapshot.postings_due:
            # `conn` sees this version: its postings are the snapshot's. Due once: None (FTS5's records
            # disagree) is not read again. A search meanwhile in another thread asks FTS5, which answers
            # the same.
            snapshot.postings_due = False
            snapshot.postings = read_postings(conn, snapshot.doc_ids)
        return snapshot
    size = len(snapshot) if snapshot is not None else kept.size
    if size < 0:
        size = kept.size = int(conn.execute(sa.select(sa.func.count()).select_from(docs)).scalar_one())
    if size <= INLINE_DOCUMENTS:
        fresh = read(conn, postings=False)
        if fresh is not None:
            fresh.postings_due = size <= INLINE_POSTINGS
        with kept.lock:
            kept.snapshot = fresh
        return fresh
    _read_later(conn.engine, kept)
    return None


def warm(conn: Connection) -> Snapshot | None:
    """Read the snapshot of the index as `conn` sees it now, whatever its size, and keep it."""
    fresh = read(conn)
    if fresh is not None:
        kept = _kept(conn.engine)
        with kept.lock:
            kept.snapshot = fresh
    return fresh


def forget(engine: Engine) -> None:
    """Drop `engine`'s snapshot (benchmarks measure the SQL path with it)."""
    _kept.forget(engine)


def _read_later(engine: Engine, kept: _Kept) -> None:
    with kept.lock:
        if kept.reading or time.monotonic() < kept.next_read:
            return
        kept.reading = True

    def run() -> None:
        started = time.monotonic()
        try:
            # A read transaction of its own (obert.storage.db: BEGIN without the write lock).
            with engine.connect().execution_options(obert_read_only=True) as conn, conn.begin():
                fresh = read(conn, postings=False)
                with kept.lock:
                    kept.snapshot = fresh
                if fresh is not None:
                    # Searches use the rest meanwhile, and the postings from their next one on; read in
                    # the same transaction, they are of the same version.
                    fresh.postings = read_postings(conn, fresh.doc_ids)
        except Exception:  # the engine disposed of, the database gone: SQL answers, as without one
            _log.warning("the search index snapshot could not be read", exc_info=True)
        finally:
            with kept.lock:
                kept.reading = False
                # While the index keeps changing (a harvest), reading it again at once would keep a
                # core busy: reads take at most a fifth of the time, and SQL answers in between.
                took = time.monotonic() - started
                kept.next_read = time.monotonic() + READ_PAUSE * took

    threading.Thread(target=run, name="obert-search-snapshot", daemon=True).start()


def read(conn: Connection, *, postings: bool = True) -> Snapshot | None:
    """The snapshot of the index as `conn`'s transaction sees it (None where the index has no version),
    with its postings unless `postings` is false."""
    version = cache.version(conn)
    if version is None:
        return None
    # Raw driver rows: the stored texts compare as SQLite compares them (BINARY: by code point).
    rows = conn.exec_driver_sql(
        f"SELECT doc_id, dataset_id, name, state, visibility, organization_id, modified, {FACET_IDS_COLUMN} "
        f"FROM {docs.name} ORDER BY doc_id"
    ).fetchall()
    count = len(rows)
    doc_ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=count)
    states = [r[3] for r in rows]
    visibilities = [r[4] for r in rows]
    live = np.fromiter((s != "deleted" for s in states), dtype=np.bool_, count=count)
    public = np.fromiter(
        (s == "published" and v == "public" for s, v in zip(states, visibilities, strict=True)),
        dtype=np.bool_,
        count=count,
    )
    organizations: dict[str, int] = {}
    organization = np.fromiter(
        (-1 if r[5] is None else organizations.setdefault(r[5], len(organizations)) for r in rows),
        dtype=np.int32,
        count=count,
    )
    slugs = np.array([r[2] for r in rows], dtype=str) if rows else np.array([], dtype=str)
    modified = np.array([str(r[6]) for r in rows], dtype=str) if rows else np.array([], dtype=str)
    by_name = _ranks(slugs)
    by_date = _ranks(modified)
    index = np.arange(count, dtype=np.int64)
    recency = np.empty(count, dtype=np.int64)
    recency[np.lexsort((index, by_name, -by_date))] = index
    alphabetical = np.empty(count, dtype=np.int64)
    alphabetical[np.lexsort((index, by_name))] = index

    texts = [r[7] or "" for r in rows]
    lengths = np.fromiter((t.count(" ") + 1 if t else 0 for t in texts), dtype=np.int64, count=count)
    joined = " ".join(t for t in texts if t)
    flat = np.fromstring(joined, dtype=np.int64, sep=" ") if joined else np.zeros(0, dtype=np.int64)
    if len(flat) != int(lengths.sum()):
        raise RuntimeError("search_documents.facet_ids is not a list of value ids")
    value_ids, inverse = np.unique(flat, return_inverse=True)
    numbers = inverse.astype(np.int32).reshape(-1)
    named = {
        int(i): (str(f), str(v), str(lg))
        for i, f, v, lg in conn.execute(
            sa.select(
                search_values.c.value_id, search_values.c.facet, search_values.c.value, search_values.c.lang
            )
        )
    }
    names = [named.get(int(i), ("", "", "")) for i in value_ids.tolist()]
    # Keywords apart, by language: a page counts its reader's only. The keywords of any language
    # (ANY_LANGUAGE, CKAN's tags) repeat the others and are left out.
    keys = sorted(
        {lg if f == KEYWORD else "" for f, _v, lg in names if not (f == KEYWORD and lg == ANY_LANGUAGE)}
    )
    group_of = np.array(
        [
            -1 if f == KEYWORD and lg == ANY_LANGUAGE else keys.index(lg if f == KEYWORD else "")
            for f, _v, lg in names
        ],
        dtype=np.int64,
    )
    owners = np.repeat(index, lengths)
    flat_groups = group_of[numbers] if len(numbers) else np.zeros(0, dtype=np.int64)
    groups: dict[str, Slices] = {}
    for code, key in enumerate(keys):
        mine = flat_groups == code
        offsets = np.zeros(count + 1, dtype=np.int64)
        np.cumsum(np.bincount(owners[mine], minlength=count), out=offsets[1:])
        groups[key] = Slices(offsets, numbers[mine])
    kept = flat_groups >= 0
    holders = owners[kept][np.argsort(numbers[kept], kind="stable")]
    holder_offsets = np.zeros(len(value_ids) + 1, dtype=np.int64)
    np.cumsum(np.bincount(numbers[kept], minlength=len(value_ids)), out=holder_offsets[1:])
    return Snapshot(
        version=version,
        doc_ids=doc_ids,
        dataset_ids=[r[1] for r in rows],
        public=public,
        live=live,
        organization=organization,
        organizations=organizations,
        recency=recency,
        alphabetical=alphabetical,
        groups=groups,
        holder_offsets=holder_offsets,
        holders=holders,
        names=names,
        postings=read_postings(conn, doc_ids) if postings else None,
    )


def _ranks(texts: npt.NDArray[np.str_]) -> Ints:
    """Each text's place among the distinct texts, in code point order (equal texts share one)."""
    _, inverse = np.unique(texts, return_inverse=True)
    return inverse.astype(np.int64).reshape(-1)
