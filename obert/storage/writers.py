"""SQLite's writers wait for their turn in a queue, not in SQLite's busy handler.

SQLite lets one connection write at a time. A writer that finds the write lock taken is left to SQLite's
busy handler, which sleeps and tries again at growing intervals (1, 2, 5, 10, 15, 20, 25 … up to 100 ms
between tries): with writes arriving steadily from several threads and processes, a writer sleeps on long
after the lock was freed, and the waits add up into the slowest answers of the portal. So a write first
waits for its turn within its process (a lock, which wakes the next writer the moment the previous one
finishes) and then between processes (an advisory lock on a dot file beside the database, tried every
`POLL` seconds), and asks SQLite for the write lock when it is free.

Correctness does not depend on it: SQLite's own lock still guards the file. A writer that has waited
`PATIENCE` seconds goes ahead without its turn and leaves the rest to SQLite's busy timeout, as before.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import ClassVar

POLL = 0.0005  # between tries of another process's turn: a write takes milliseconds
PATIENCE = 30.0  # SQLite's own busy timeout (obert.storage.db)


class WriterQueue:
    """The writers of one SQLite file, one at a time (one queue per file and process)."""

    _queues: ClassVar[dict[str, WriterQueue]] = {}
    _queues_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, lock_path: str) -> None:
        self._lock_path = lock_path
        self._in_process = threading.Lock()
        self._fd: int | None = None
        self._pid = 0

    @classmethod
    def for_sqlite(cls, database: str | None) -> WriterQueue | None:
        """The queue of the SQLite file `database` (None for an in-memory database: one connection)."""
        if not database or database == ":memory:" or database.startswith("file::memory:"):
            return None
        path = Path(database).resolve()
        # A dot name: backups leave such files out (obert.storage.backup).
        with cls._queues_lock:
            return cls._queues.setdefault(str(path), cls(str(path.with_name(f".{path.name}-writers.lock"))))

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Held while one write transaction runs."""
        deadline = time.monotonic() + PATIENCE
        if not self._in_process.acquire(timeout=PATIENCE):
            yield  # a writer stuck for half a minute: SQLite decides, as it would without the queue
            return
        try:
            locked = self._between_processes(deadline)
            try:
                yield
            finally:
                if locked:
                    fcntl.flock(self._file(), fcntl.LOCK_UN)
        finally:
            self._in_process.release()

    def _between_processes(self, deadline: float) -> bool:
        while True:
            try:
                fcntl.flock(self._file(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() > deadline:
                    return False
                time.sleep(POLL)
            except OSError:  # a file system without advisory locks: SQLite's handler alone
                return False

    def _file(self) -> int:
        # Opened again in a forked child: a lock belongs to the open file, which a fork shares.
        if self._fd is None or self._pid != os.getpid():
            self._fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd
