"""Hot versions: whole tables kept in memory as Arrow, within a budget, for pages read by row number.

A page of a filter read from Parquet decodes every column of the row groups it spans (tens of thousands
of values for 100 rows); once the filter's matching row numbers are known (see obert.datastore.query),
the same page taken from an in-memory Arrow table costs a fraction of a millisecond. A version is loaded
after it has served a few pages from disk, in a background thread, so the request that makes it hot does
not wait; the least recently used versions leave when the budget (`OBERT_DATASTORE_MEMORY_MB`, per
serving process) would be exceeded. Tables are keyed by the file's identity (path, mtime, size) like
every other cache of a version, and reached only through a table the catalogue allowed the caller to
read, so a held or withdrawn version is never served from here.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

log = logging.getLogger(__name__)

LOAD_AFTER = 4  # pages read from disk before a version is loaded
_budget = 0  # bytes; 0 keeps nothing in memory (the default until a portal configures it)
_tables: OrderedDict[tuple[str, int, int], pa.Table] = OrderedDict()
_reads: dict[tuple[str, int, int], int] = {}
_loading: set[tuple[str, int, int]] = set()
_lock = threading.Lock()


def configure(*, budget_bytes: int) -> None:
    """Set the memory this process may keep hot tables in (0: none); drops what no longer fits."""
    global _budget
    with _lock:
        _budget = max(0, budget_bytes)
        _evict(0)


def hot_table(key: tuple[str, int, int]) -> pa.Table | None:
    """The version's table if it is in memory (no I/O)."""
    with _lock:
        table = _tables.get(key)
        if table is not None:
            _tables.move_to_end(key)
        return table


def read_from_disk(key: tuple[str, int, int], path: Path) -> None:
    """Note a page of `path` read from disk; the LOAD_AFTER-th starts loading it if it may fit."""
    with _lock:
        if _budget <= 0 or key in _tables or key in _loading:
            return
        if len(_reads) > 10_000:  # versions read now and then: start counting afresh
            _reads.clear()
        _reads[key] = count = _reads.get(key, 0) + 1
        if count < LOAD_AFTER:
            return
        _loading.add(key)
    threading.Thread(target=_load, args=(key, path), name="obert-hot-table", daemon=True).start()


def _load(key: tuple[str, int, int], path: Path) -> None:
    try:
        meta = pq.ParquetFile(path).metadata
        size = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
        if size > _budget:
            return
        # Column by column, so that the file's pieces and their one-piece copy coexist for a column only.
        names = pq.ParquetFile(path).schema_arrow.names
        table = pa.table({n: pq.read_table(path, columns=[n]).column(0).combine_chunks() for n in names})
        pa.default_memory_pool().release_unused()
        with _lock:
            _evict(table.nbytes)
            if table.nbytes <= _budget:
                _tables[key] = table
    except (OSError, pa.ArrowException) as exc:  # a version replaced or removed meanwhile: read from disk
        log.warning("could not keep table %s in memory: %s", path.name, exc)
    finally:
        with _lock:
            _loading.discard(key)
            _reads.pop(key, None)


def _evict(incoming: int) -> None:
    """Drop the least recently used tables until `incoming` more bytes fit (the lock held)."""
    used = sum(t.nbytes for t in _tables.values())
    while _tables and used + incoming > _budget:
        _, old = _tables.popitem(last=False)
        used -= old.nbytes


def in_memory_bytes() -> int:
    """What the hot tables of this process take."""
    with _lock:
        return sum(t.nbytes for t in _tables.values())
