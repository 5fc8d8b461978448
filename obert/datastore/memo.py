"""A small thread-safe LRU of results computed from one table version.

A version never changes, so what a query returns can be kept under the file's identity (path, mtime,
size); a new version is another file, so nothing ever needs invalidating. Every datastore cache of a
version (counts, pages, marks, map points, OGC features) is one of these.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

_T = TypeVar("_T")


class Memo:
    """Items kept least recently used first; `size` is the most their weights may add up to (each
    weighs 1 unless `put` says otherwise)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[tuple[object, ...], tuple[object, int]] = OrderedDict()
        self._weight = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    @property
    def weight(self) -> int:
        with self._lock:
            return self._weight

    def resize(self, size: int) -> None:
        """Change the most the weights may add up to, dropping the least recently used items over it."""
        with self._lock:
            self.size = size
            self._shrink()

    def get(self, key: tuple[object, ...]) -> object | None:
        with self._lock:
            hit = self._items.get(key)
            if hit is None:
                return None
            self._items.move_to_end(key)
            return hit[0]

    def put(self, key: tuple[object, ...], value: object, *, weight: int = 1) -> None:
        with self._lock:
            old = self._items.pop(key, None)
            self._weight += weight - (old[1] if old else 0)
            self._items[key] = (value, weight)
            self._shrink()

    def _shrink(self) -> None:
        while self._weight > self.size and self._items:
            _, (_, dropped) = self._items.popitem(last=False)
            self._weight -= dropped

    def cached(self, key: tuple[object, ...], compute: Callable[[], _T]) -> _T:
        """The value kept under `key` (None included), else `compute()`'s, kept."""
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
                return hit[0]  # type: ignore[return-value]
        value = compute()
        self.put(key, value)
        return value
