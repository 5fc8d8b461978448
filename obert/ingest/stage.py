"""Writing a typed table to a temporary Parquet file, and publishing it atomically."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from obert.datastore.engine import quote_literal
from obert.datastore.schema import ColumnType, Field, GeoInfo, TableSchema, encode_metadata

# Small row groups keep the first page of a query cheap; 122,880 is DuckDB's own default.
# Small enough that a page of rows decodes little (the first 100 rows of a filter read one group of
# every column), large enough that counts and aggregates over a million rows stay a few ms.
ROW_GROUP_SIZE = 32_768


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


def copy_select(
    con: duckdb.DuckDBPyConnection, select: str, *, tmp: Path, names: list[str], types: list[ColumnType]
) -> None:
    """Run ``COPY (select) TO tmp`` with obert's schema in the file's metadata."""
    geometry = next((n for n, t in zip(names, types, strict=True) if t == "geometry"), None)
    schema = TableSchema(
        fields=[Field(n, t) for n, t in zip(names, types, strict=True)], geo=GeoInfo(geometry=geometry)
    )
    meta = encode_metadata(schema)
    con.execute(
        f"COPY ({select}) TO {quote_literal(str(tmp))} (FORMAT parquet, COMPRESSION snappy, "
        f"ROW_GROUP_SIZE {ROW_GROUP_SIZE}, KV_METADATA {{obert: {quote_literal(meta)}}})"
    )


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
