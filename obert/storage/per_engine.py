"""What a process keeps per database between requests (a search snapshot, scores, timelines), one of each
per SQLAlchemy engine, made on first use and gone with the engine."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

from sqlalchemy.engine import Engine

T = TypeVar("T")


class PerEngine(Generic[T]):
    """`kept(engine)`: this process's one `make()` for the database `engine` reads."""

    def __init__(self, make: Callable[[], T]) -> None:
        self._make = make
        self._by_engine: weakref.WeakKeyDictionary[Engine, T] = weakref.WeakKeyDictionary()
        self._guard = threading.Lock()

    def __call__(self, engine: Engine) -> T:
        with self._guard:
            kept = self._by_engine.get(engine)
            if kept is None:
                kept = self._by_engine[engine] = self._make()
            return kept

    def forget(self, engine: Engine) -> None:
        with self._guard:
            self._by_engine.pop(engine, None)
