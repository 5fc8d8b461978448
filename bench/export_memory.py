"""Peak memory of one export of every row of a Parquet version, in this process (run one per case).

usage: PYTHONPATH=. .venv/bin/python bench/export_memory.py CASE VERSION
       CASE: parquet | csv | xlsx (obert's `export()` with a filter that keeps every row, `Any >= 0`)
             | copy (DuckDB's bare `COPY (SELECT … WHERE "Any" >= 0) TO file (FORMAT parquet)`)
       VERSION: a version written by bench/exports.py (/tmp/obert-bench-exports/accidents-1000000.parquet);
       a larger one: pyarrow.parquet.read_table it and write it N times with one ParquetWriter.

Prints the peak RSS after imports and opening the table, the peak at the end, wall and CPU seconds and the
output size. Imports and the table's opening are in the peak (a server has done both before a request).
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def main() -> None:
    import duckdb

    from obert.datastore.export import export
    from obert.datastore.filters import Range
    from obert.datastore.tables import open_table

    case, version = sys.argv[1], Path(sys.argv[2])
    open_table(version)
    before = _peak_mb()
    started, cpu = time.perf_counter(), time.process_time()
    size = 0
    if case == "copy":
        with tempfile.TemporaryDirectory() as tmp:
            target = Path(tmp) / "copy.parquet"
            duckdb.connect().execute(
                f"COPY (SELECT * FROM read_parquet('{version}') WHERE \"Any\" >= 0) TO '{target}' "
                "(FORMAT parquet)"
            )
            size = target.stat().st_size
    else:
        for chunk in export(version, case, filters={"Any": Range(gte=0)}):
            size += len(chunk)
    wall, used = time.perf_counter() - started, time.process_time() - cpu
    print(
        f"{case}: peak before {before:.0f} MB, peak {_peak_mb():.0f} MB, {wall:.2f} s wall, "
        f"{used:.2f} s CPU, {size / 1e6:.1f} MB out"
    )


if __name__ == "__main__":
    main()
