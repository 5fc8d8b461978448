"""One DuckDB instance per process for reading small files, instead of a new one per ingest.

Starting a DuckDB instance costs 15–30 ms of CPU, more than reading a file of a few hundred rows
does. Small files are therefore read through a connection of their own (`cursor()`: its own session,
temporary views and registered tables, dropped when it closes) on an instance that the process keeps.
What the connections share is global to the instance: the memory limit, which then bounds the small
ingests of the process together, the spill directory, which is off (a small file never needs one), and
one thread (a query over a few hundred rows costs more to schedule on several than to run on one).
Nothing an ingest reads or writes is kept in the instance: the staged Parquet file is written to the
ingest's own work folder, and the Parquet metadata cache stays off here so that no footer outlives its
ingest. A forked child makes an instance of its own (see `_after_fork_in_child`).
"""

from __future__ import annotations

import os
import threading

import duckdb

from obert.datastore.engine import connect

# A file at most this big (and not compressed) is read on the shared instance.
SMALL_FILE_BYTES = 4 * 1024**2

_lock = threading.Lock()
_instances: dict[str, duckdb.DuckDBPyConnection] = {}
# A forked child's copies of its parent's instances: never used, and never destroyed either (DuckDB
# crashes tearing down an instance a fork copied), so they are kept here for the child's life.
_inherited: list[duckdb.DuckDBPyConnection] = []


def small_file_connection(memory_limit: str) -> duckdb.DuckDBPyConnection:
    """A new connection to this process's shared instance with `memory_limit`; close it when done."""
    with _lock:
        instance = _instances.get(memory_limit)
        if instance is None:
            instance = connect(memory_limit=memory_limit, threads=1)
            instance.execute("SET temp_directory = ''")
            _instances[memory_limit] = instance
        return instance.cursor()


def _after_fork_in_child() -> None:
    global _lock
    _lock = threading.Lock()  # the parent's may have been held by another of its threads at the fork
    _inherited.extend(_instances.values())
    _instances.clear()


os.register_at_fork(after_in_child=_after_fork_in_child)
