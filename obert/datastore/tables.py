"""Open tables: one locked-down DuckDB connection per Parquet version, kept in a small LRU cache.

Opening costs a few milliseconds (connection, view, Parquet footer); reusing it is what keeps a
page of rows well under the 20 ms target. A version file never changes once published, and the
cache key includes its mtime and size, so a replaced file is never served stale.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import duckdb

from obert.datastore.engine import connect, file_key, lock_down, parquet_source, read_schema, translated
from obert.datastore.schema import TableSchema, row_id_column

CACHE_SIZE = 32


@dataclass(frozen=True, slots=True)
class OpenTable:
    path: Path
    schema: TableSchema
    con: duckdb.DuckDBPyConnection
    key: tuple[str, int, int]  # file_key(path): what results computed from this version are cached under

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor for one request: DuckDB connections are not shared across threads, cursors are cheap."""
        return self.con.cursor()


_cache: OrderedDict[tuple[str, int, int], OpenTable] = OrderedDict()
_lock = threading.Lock()


def cached_table(path: Path) -> OpenTable | None:
    """The open table for `path` if it is open already (a stat, no DuckDB work); else None."""
    try:
        key = file_key(path)
    except FileNotFoundError:
        return None
    with _lock:
        return _cache.get(key)


def open_table(path: Path) -> OpenTable:
    """The cached open table for `path`, exposing it as the view ``t`` (with ``file_row_number``)."""
    try:
        key = file_key(path)
    except FileNotFoundError:
        return _missing(path)
    with _lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            return hit
    con = connect(threads=2)
    try:
        with translated():
            schema = read_schema(con, path)
            row_id = row_id_column(schema.names())
            con.execute(f"CREATE VIEW t AS SELECT {row_id}* FROM {parquet_source(path)}")
            lock_down(con, allowed_files=[path])
    except BaseException:
        con.close()
        raise
    table = OpenTable(path=path, schema=schema, con=con, key=key)
    with _lock:
        _cache[key] = table
        while len(_cache) > CACHE_SIZE:
            _, old = _cache.popitem(last=False)
            old.con.close()
    return table


def _missing(path: Path) -> OpenTable:
    con = connect()
    try:
        read_schema(con, path)  # raises NotFound
    finally:
        con.close()
    raise AssertionError("unreachable")  # pragma: no cover
