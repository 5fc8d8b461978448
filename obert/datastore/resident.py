"""Versions kept in memory whole, within one budget per serving process, made in the background.

Two readers keep a whole version in memory once it is read often enough to pay: the datastore's hot
tables (obert.datastore.hot: the version as Arrow, for pages read by row number) and the OGC face's small
versions (obert.datastore.features: every feature as text, for pages that are slices). Both are kept
here, weighed in bytes against `OBERT_DATASTORE_MEMORY_MB` (set by the portal; until then nothing is
kept), least recently used first out, and both are made by the same single background thread, one at a
time and never twice at once, so that the request that asks for one does not wait and two heavy loads do
not compete for the cores. Keys start with the file's identity (path, mtime, size) like every cache of a
version; a version never changes, so nothing needs invalidating, and what is kept is reached only through
a table the catalogue allowed the caller to read, so a held or withdrawn version is never served from it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from obert.datastore.memo import Memo

log = logging.getLogger(__name__)

_KEPT = Memo(0)
_MAKING: set[tuple[object, ...]] = set()
_MAKING_LOCK = threading.Lock()
_MAKER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="obert-resident")


def configure(*, budget_bytes: int) -> None:
    """Set the bytes this process may keep versions in (0: none); drops what no longer fits."""
    _KEPT.resize(max(0, budget_bytes))


def budget() -> int:
    return _KEPT.size


def kept(key: tuple[object, ...]) -> object | None:
    """What is kept under `key`, if it is in memory (no I/O)."""
    return _KEPT.get(key)


def make_in_background(key: tuple[object, ...], make: Callable[[], tuple[object, int] | None]) -> None:
    """Have `make()` run in the background thread, unless `key` is kept or being made; it returns the
    value and its size in bytes, kept if it fits the budget, or None when there is nothing to keep."""
    if budget() <= 0 or _KEPT.get(key) is not None:
        return
    with _MAKING_LOCK:
        if key in _MAKING:
            return
        _MAKING.add(key)
    _MAKER.submit(_make, key, make)


def _make(key: tuple[object, ...], make: Callable[[], tuple[object, int] | None]) -> None:
    try:
        made = make()
        if made is not None and made[1] <= budget():
            _KEPT.put(key, made[0], weight=made[1])
    except Exception:  # a version replaced or removed meanwhile: its readers go on reading the file
        log.warning("could not keep %s in memory", key[:2], exc_info=True)
    finally:
        with _MAKING_LOCK:
            _MAKING.discard(key)


def settle() -> None:
    """Wait until what was asked for before this call is made (for tests and benchmarks)."""
    _MAKER.submit(lambda: None).result()


def in_memory_bytes() -> int:
    """What the versions kept by this process weigh."""
    return _KEPT.weight


__all__ = ["budget", "configure", "in_memory_bytes", "kept", "make_in_background", "settle"]
