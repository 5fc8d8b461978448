"""``ingest_file``: any supported file → one typed, profiled Parquet version, published atomically."""

from __future__ import annotations

import dataclasses
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import duckdb

from obert.datastore.engine import connect, quote_literal
from obert.datastore.geo import detect_geo
from obert.datastore.schema import Field
from obert.errors import FieldError, Invalid, ObertError, TooLarge, msg
from obert.ingest.csvfile import stage_csv
from obert.ingest.declared import Declared, stage_declared_csv
from obert.ingest.infer import PLACEHOLDERS
from obert.ingest.jsonfile import stage_geojson, stage_json
from obert.ingest.parquetfile import stage_parquet
from obert.ingest.profile import Profile, profile_parquet
from obert.ingest.result import ColumnInfo, IngestResult
from obert.ingest.shared_engine import SMALL_FILE_BYTES, small_file_connection
from obert.ingest.source import check_size, decompress, detect_format, is_compressed, read_head, sha256_file
from obert.ingest.spreadsheet import stage_spreadsheet
from obert.ingest.stage import Staged, publish

Progress = Callable[[int, int | None], None]


def ingest_file(
    source: Path,
    *,
    dest: Path,
    format: str | None = None,
    max_bytes: int,
    max_columns: int = 2000,
    max_cell_bytes: int = 1_000_000,
    sheet: str | None = None,
    memory_limit: str = "512MB",
    progress: Progress | None = None,
    sha256: str | None = None,
    declared: Declared | None = None,
) -> IngestResult:
    """Read `source` (CSV/TSV, XLSX, ODS, JSON, GeoJSON or Parquet, optionally .gz/.zip) into `dest`.

    The Parquet file appears at `dest` complete and fsynced, or not at all: on any error nothing is
    left behind and `dest` keeps whatever it held before. Bad input raises ``Invalid`` or ``TooLarge``
    naming the line, column or JSON path at fault. `progress(rows, total)` is called as rows are
    read: with no total while a CSV file is read (an estimate from DuckDB's progress through the file,
    about every second), then with the exact count once the table is written. A caller that already hashed
    `source` passes `sha256`, which spares reading the file once more. With `declared` (a data
    package's Table Schema), a CSV file's columns take the declared types instead of inferred ones.
    """
    started = time.perf_counter()
    size = check_size(source, max_bytes=max_bytes)
    report = progress or (lambda done, total: None)
    report(0, None)
    dest.parent.mkdir(parents=True, exist_ok=True)
    # The work folder sits next to `dest` so the final rename never crosses file systems.
    with (
        tempfile.TemporaryDirectory(dir=dest.parent, prefix=f".{dest.name}.") as work,
        ThreadPoolExecutor(2) as pool,
    ):
        workdir = Path(work)
        # hashlib releases the GIL on large buffers, so the checksum costs little wall time here.
        digest = pool.submit(sha256_file, source) if sha256 is None else None
        path, name = source, source.name
        compressed = is_compressed(read_head(source, 8), source)
        if compressed:
            path, name = decompress(source, workdir=workdir, max_bytes=max_bytes)
        fmt = detect_format(path, name=name, hint=format)
        tmp = workdir / "table.parquet"
        # A small file is read in moments: a DuckDB instance of its own would cost more than the reading,
        # and telling its progress would too.
        small = not compressed and size <= SMALL_FILE_BYTES
        con = small_file_connection(memory_limit) if small else connect(memory_limit=memory_limit)
        try:
            with _duckdb_errors():
                if not small:
                    con.execute(f"SET temp_directory = {quote_literal(str(workdir / 'spill'))}")
                    # The profile asks the written file a few queries; its footer is read once for them.
                    con.execute("SET parquet_metadata_cache = true")
                staged = _stage(
                    fmt if declared is None or fmt != "csv" else "declared-csv",
                    con,
                    path,
                    tmp=tmp,
                    workdir=workdir,
                    max_columns=max_columns,
                    max_cell_bytes=max_cell_bytes,
                    sheet=sheet,
                    declared=declared,
                    progress=None if small else lambda rows: report(rows, None),
                )
                # The file's own checksum, taken while the profile reads it: Croissant and Data Package
                # descriptions give it without reading the file again.
                table_digest = pool.submit(sha256_file, tmp)
                profiles = profile_parquet(
                    con, tmp, staged.names, staged.types, staged.stats, few=staged.few_values
                )
        finally:
            con.close()
        _check_cells(staged, profiles, max_cell_bytes)
        sha = digest.result() if digest is not None else str(sha256)
        table_sha, table_bytes = table_digest.result(), tmp.stat().st_size
        publish(tmp, dest)
    report(staged.row_count, staged.row_count)
    result = _result(staged, profiles, fmt=fmt, sha=sha, size=size, elapsed=time.perf_counter() - started)
    return dataclasses.replace(result, table_sha256=table_sha, table_bytes=table_bytes)


def _stage(
    fmt: str,
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    tmp: Path,
    workdir: Path,
    max_columns: int,
    max_cell_bytes: int,
    sheet: str | None,
    declared: Declared | None = None,
    progress: Callable[[int], None] | None = None,
) -> Staged:
    if fmt == "declared-csv" and declared is not None:
        return stage_declared_csv(
            con,
            path,
            declared,
            tmp=tmp,
            workdir=workdir,
            max_columns=max_columns,
            max_cell_bytes=max_cell_bytes,
        )
    if fmt == "csv":
        return stage_csv(
            con,
            path,
            tmp=tmp,
            workdir=workdir,
            max_columns=max_columns,
            max_cell_bytes=max_cell_bytes,
            progress=progress,
        )
    if fmt in ("xlsx", "ods"):
        return stage_spreadsheet(con, path, tmp=tmp, max_columns=max_columns, sheet=sheet)
    if fmt == "json":
        return stage_json(con, path, tmp=tmp, max_columns=max_columns)
    if fmt == "geojson":
        return stage_geojson(con, path, tmp=tmp, max_columns=max_columns)
    return stage_parquet(con, path, tmp=tmp, max_columns=max_columns)


def _check_cells(staged: Staged, profiles: list[Profile], max_cell_bytes: int) -> None:
    for name, prof in zip(staged.names, profiles, strict=True):
        if prof.max_length > max_cell_bytes:
            raise TooLarge(
                msg("column {name} holds a value of {length} characters", name=name, length=prof.max_length),
                errors=[FieldError(f"column {name}", f"a value is longer than {max_cell_bytes} bytes")],
            )


def _result(
    staged: Staged, profiles: list[Profile], *, fmt: str, sha: str, size: int, elapsed: float
) -> IngestResult:
    columns = []
    for i, (name, typ, prof) in enumerate(zip(staged.names, staged.types, profiles, strict=True)):
        placeholders = dict(prof.unknowns)
        if staged.placeholders[i]:
            placeholders[PLACEHOLDERS[0]] = staged.placeholders[i]
        original = staged.original_names[i] if i < len(staged.original_names) else name
        columns.append(
            ColumnInfo(
                name=name,
                original_name=original,
                type=typ,
                nulls=prof.nulls,
                distinct=prof.distinct,
                min=prof.min,
                max=prof.max,
                top=prof.top,
                placeholders=placeholders,
                reading=staged.readings[i] if i < len(staged.readings) else {},
                unit=staged.units.get(name),
            )
        )
    fields = [Field(c.name, c.type) for c in columns]
    ranges = {
        n: p.coord_range for n, p in zip(staged.names, profiles, strict=True) if p.coord_range is not None
    }
    geometry = next((c.name for c in columns if c.type == "geometry"), None)
    warnings = list(staged.warnings)
    suppressed = sum(staged.placeholders)
    if suppressed:
        warnings.append(
            msg("{count} suppressed values ('..') were stored as empty (NULL)", count=suppressed)
            if suppressed > 1
            else msg("{count} suppressed value ('..') was stored as empty (NULL)", count=suppressed)
        )
    return IngestResult(
        row_count=staged.row_count,
        columns=columns,
        format=fmt,
        encoding=staged.encoding,
        delimiter=staged.delimiter,
        geo=detect_geo(fields, ranges, geometry=geometry),
        sha256=sha,
        byte_size=size,
        elapsed_s=elapsed,
        warnings=warnings,
        sheet=staged.sheet,
        left_out=staged.left_out,
    )


@contextmanager
def _duckdb_errors() -> Iterator[None]:
    """DuckDB errors that the format modules did not anticipate still reach the user as a 4xx."""
    try:
        yield
    except ObertError:
        raise
    except duckdb.OutOfMemoryException as exc:
        raise TooLarge(
            msg("the file needs more memory than allowed to read"),
            errors=[FieldError("file", str(exc).splitlines()[0])],
        ) from exc
    except duckdb.Error as exc:
        raise Invalid(
            msg("the file cannot be read"), errors=[FieldError("file", str(exc).splitlines()[0])]
        ) from exc
