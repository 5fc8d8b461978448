"""Hot versions: whole tables kept in memory as Arrow, for pages read by row number.

A page of a filter read from Parquet decodes every column of the row groups it spans (tens of thousands
of values for 100 rows); once the filter's matching row numbers are known (see obert.datastore.query),
the same page taken from an in-memory Arrow table costs a fraction of a millisecond. A version is loaded
after it has served a few pages from disk, in the background, within the process's budget for versions
kept in memory (obert.datastore.resident, which says why no held or withdrawn version is served from it).
"""

from __future__ import annotations

import threading
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from obert.datastore import resident

LOAD_AFTER = 4  # pages read from disk before a version is loaded
_reads: dict[tuple[str, int, int], int] = {}
_lock = threading.Lock()


def hot_table(key: tuple[str, int, int]) -> pa.Table | None:
    """The version's table if it is in memory (no I/O)."""
    table = resident.kept(("arrow", *key))
    return table if isinstance(table, pa.Table) else None


def read_from_disk(key: tuple[str, int, int], path: Path) -> None:
    """Note a page of `path` read from disk; the LOAD_AFTER-th has it loaded, if it may fit."""
    if resident.budget() <= 0:
        return
    with _lock:
        if len(_reads) > 10_000:  # versions read now and then: start counting afresh
            _reads.clear()
        _reads[key] = count = _reads.get(key, 0) + 1
        if count < LOAD_AFTER:
            return
        del _reads[key]
    resident.make_in_background(("arrow", *key), lambda: load(path))


def load(path: Path) -> tuple[pa.Table, int] | None:
    """The whole version as one Arrow table and its size, or None if it cannot fit the budget."""
    meta = pq.ParquetFile(path).metadata
    if sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups)) > resident.budget():
        return None
    # Column by column, so that the file's pieces and their one-piece copy coexist for a column only.
    names = pq.ParquetFile(path).schema_arrow.names
    table = pa.table({n: pq.read_table(path, columns=[n]).column(0).combine_chunks() for n in names})
    pa.default_memory_pool().release_unused()
    return table, table.nbytes
