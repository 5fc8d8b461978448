"""Writing a typed table to a temporary Parquet file, and publishing it atomically."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from obert.datastore.engine import quote_ident, quote_literal
from obert.datastore.schema import ColumnType, Field, GeoInfo, TableSchema, encode_metadata
from obert.ingest.result import LeftOut

# Small row groups keep the first page of a query cheap; 122,880 is DuckDB's own default.
# Small enough that a page of rows decodes little (the first 100 rows of a filter read one group of
# every column), large enough that counts and aggregates over a million rows stay a few ms.
ROW_GROUP_SIZE = 32_768
# How often a long copy reports how far it has read.
WATCH_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class ColumnStats:
    """What the Parquet writer itself recorded about one column (min/max as text, None if not exact)."""

    nulls: int
    min: str | None
    max: str | None


@dataclass(frozen=True, slots=True)
class WriteStats:
    """The writer's own figures for a written file, which spare the profile a scan for them."""

    rows: int
    columns: dict[str, ColumnStats]


@dataclass(frozen=True, slots=True)
class Staged:
    """A table written to the temporary file, before profiling."""

    row_count: int
    names: list[str]
    original_names: list[str]
    types: list[ColumnType]
    placeholders: list[int]
    encoding: str | None = None
    delimiter: str | None = None
    warnings: list[str] = field(default_factory=list)
    sheet: str | None = None
    stats: WriteStats | None = None
    # How each number column was read, in ca/es/en, when it was not plain (thousands, '%', exact…).
    readings: list[dict[str, str]] = field(default_factory=list)
    # The unit a number column's values were written with and stored without ('EUR', '%'), by name.
    units: dict[str, str] = field(default_factory=dict)
    # Columns whose sample showed few distinct values: the profile counts their values exactly in the
    # scan that finds their top values, instead of estimating the count in a scan of its own.
    few_values: frozenset[str] = frozenset()
    # Parts of the source the table does not hold (other sheets, rows left out): see IngestResult.
    left_out: tuple[LeftOut, ...] = ()


def copy_select(
    con: duckdb.DuckDBPyConnection,
    select: str,
    *,
    tmp: Path,
    names: list[str],
    types: list[ColumnType],
    units: dict[str, str] | None = None,
    progress: Callable[[float], None] | None = None,
) -> WriteStats:
    """Run ``COPY (select) TO tmp`` with obert's schema in the file's metadata; the writer's stats.

    `progress` is told, about every second while the copy runs, the share of its input read so far.
    """
    geometry = next((n for n, t in zip(names, types, strict=True) if t == "geometry"), None)
    schema = TableSchema(
        fields=[Field(n, t) for n, t in zip(names, types, strict=True)],
        geo=GeoInfo(geometry=geometry),
        units=units or {},
    )
    meta = encode_metadata(schema)
    with _watching(con, progress):
        row = con.execute(
            f"COPY ({select}) TO {quote_literal(str(tmp))} (FORMAT parquet, COMPRESSION snappy, "
            f"ROW_GROUP_SIZE {ROW_GROUP_SIZE}, KV_METADATA {{obert: {quote_literal(meta)}}}, RETURN_STATS)"
        ).fetchone()
    assert row is not None
    return _write_stats(row, names)


@contextmanager
def _watching(con: duckdb.DuckDBPyConnection, progress: Callable[[float], None] | None) -> Iterator[None]:
    """Report DuckDB's own progress of the query run inside, from a thread of its own."""
    if progress is None:
        yield
        return
    con.execute("SET enable_progress_bar = true")
    con.execute("SET enable_progress_bar_print = false")
    con.execute("SET progress_bar_time = 0")
    stop = threading.Event()

    def watch() -> None:
        last = 0.0
        while not stop.wait(WATCH_SECONDS):
            share = con.query_progress()
            if share > last:  # -1 before the query starts; said again only when it moved on
                last = share
                progress(min(share, 100.0) / 100)

    watcher = threading.Thread(target=watch, name="ingest-progress", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        stop.set()
        watcher.join()


def _write_stats(row: tuple[Any, ...], names: list[str]) -> WriteStats:
    # RETURN_STATS answers (filename, count, file size, footer size, column_statistics, ...), the
    # statistics keyed by quoted column name, each a map of text values.
    raw: dict[str, dict[str, str]] = row[4] or {}
    columns: dict[str, ColumnStats] = {}
    for name in names:
        col = raw.get(quote_ident(name))
        if col is None or "null_count" not in col:
            continue  # the profile counts this column itself
        columns[name] = ColumnStats(int(col["null_count"]), _exact(col, "min"), _exact(col, "max"))
    return WriteStats(rows=int(row[1]), columns=columns)


def _exact(col: dict[str, str], key: str) -> str | None:
    # Long text is cut in the statistics (not exact), and NaN hides the real range.
    if col.get(f"{key}_is_exact") != "true" or col.get("has_nan") == "true":
        return None
    return col.get(key)


def publish(tmp: Path, dest: Path) -> None:
    """Make `tmp` durable, then move it to `dest` in one step (readers see the old file or the new)."""
    with tmp.open("rb") as f:
        os.fsync(f.fileno())
    tmp.replace(dest)
    dir_fd = os.open(dest.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
