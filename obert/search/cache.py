"""Answers of the search index kept between requests: counts and facet counts of browsing queries
(filters, no words), and whole answers of searches with words.

Browsing the whole catalogue or one theme costs the database a pass over a large share of it, and
everybody asks the same few such questions; a search with words is asked again when its reader ticks a
facet and unticks it, goes back, or when many look for the same thing. Their answers are kept here under
the index's version: a random token that every change of the index replaces in the same transaction, so
a cached answer is found only while the index is exactly as it was when the answer was computed, in
every process. The key holds what decides the answer besides the index: the reader's view (what it may
see) and every part of the query.
"""

from __future__ import annotations

import threading
import uuid
import weakref
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from obert.storage.tables.search import search_state

MAX_ENTRIES = 1024  # a few hundred bytes each: theme and publisher pages times a few kinds of viewer
# Searches with words: up to ~15 kB each (a page of ids and every facet's 50 values).
MAX_FOUND = 256

Answer = tuple[int, dict[str, list[tuple[str, int]]]]
T = TypeVar("T")


class _Kept(Generic[T]):
    def __init__(self, size: int) -> None:
        self.lock = threading.Lock()
        self.size = size
        self.entries: OrderedDict[Hashable, T] = OrderedDict()

    def get(self, key: Hashable) -> T | None:
        with self.lock:
            found = self.entries.get(key)
            if found is not None:
                self.entries.move_to_end(key)
            return found

    def put(self, key: Hashable, answer: T) -> None:
        with self.lock:
            self.entries[key] = answer
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)


class _Answers:
    def __init__(self) -> None:
        self.counts: _Kept[Answer] = _Kept(MAX_ENTRIES)
        self.found: _Kept[Any] = _Kept(MAX_FOUND)


# One cache per engine (one database): tests and tools open several in one process.
_BY_ENGINE: weakref.WeakKeyDictionary[Engine, _Answers] = weakref.WeakKeyDictionary()
_GUARD = threading.Lock()
# Read on every search: the driver's statement, without building and compiling a select each time.
_VERSION = f"SELECT version FROM {search_state.name} WHERE id = 1"


def version(conn: Connection) -> str | None:
    """The index's current version (None in a database whose index has none yet)."""
    found: str | None = conn.exec_driver_sql(_VERSION).scalar()
    return found


def changed(conn: Connection, *, counted: bool = True) -> None:
    """Mark the index changed: answers cached so far stop being found once this transaction commits.

    With `counted`, the change kept the facet counts (obert.search.counts) in step: if they agreed with
    the index before it, they still do. Without, they no longer do, until `counts_made`."""
    new = uuid.uuid4().hex
    state = search_state.c
    still = sa.case((sa.and_(sa.literal(counted), state.counted == state.version), new), else_=state.counted)
    conn.execute(search_state.update().where(state.id == 1).values(version=new, counted=still))


def counts_made(conn: Connection) -> None:
    """The facet counts agree with the index as this transaction leaves it (they were made afresh)."""
    state = search_state.c
    conn.execute(search_state.update().where(state.id == 1).values(counted=state.version))


def state(conn: Connection) -> tuple[str | None, bool]:
    """The index's current version (None where it has none yet), and whether the facet counts agree
    with the index as `conn`'s transaction sees it: one read for both."""
    state = search_state.c
    row = conn.execute(sa.select(state.version, state.counted).where(state.id == 1)).first()
    if row is None:
        return None, False
    return row.version, row.counted == row.version


def lookup(conn: Connection, key: Hashable) -> Answer | None:
    return _answers(conn).counts.get(key)


def keep(conn: Connection, key: Hashable, answer: Answer) -> None:
    _answers(conn).counts.put(key, answer)


def found(conn: Connection, key: Hashable) -> Any:
    """The kept answer of a search with words (see obert.search.index.find), or None."""
    return _answers(conn).found.get(key)


def keep_found(conn: Connection, key: Hashable, answer: object) -> None:
    _answers(conn).found.put(key, answer)


def forget(engine: Engine) -> None:
    """Drop every answer kept for `engine`'s database (benchmarks measure the uncached cost with it, and
    tests that compare two ways of answering, so that the second is not the first's kept answer)."""
    with _GUARD:
        _BY_ENGINE.pop(engine, None)


def _answers(conn: Connection) -> _Answers:
    with _GUARD:
        answers = _BY_ENGINE.get(conn.engine)
        if answers is None:
            answers = _BY_ENGINE[conn.engine] = _Answers()
        return answers
