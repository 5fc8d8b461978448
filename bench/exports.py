"""Export benchmark: CSV, XLSX and Parquet downloads of 10k and 1M rows against DuckDB's bare COPY.

usage: PYTHONPATH=. .venv/bin/python bench/exports.py [--sizes 10000,1000000] [--runs 3]
           [--workdir /tmp/obert-bench-exports] [--xlsxwriter-max 20000]

Builds the accidents table of bench/ingest.py (the real 2018 file repeated, 27 columns) at each size and
ingests it into a Parquet version, then times in turn, each run in a fresh process (so that its peak RSS is
its own, read with wait4):

- obert's `export()` stream of every row, drained to nothing, for csv, the spreadsheet CSV (BOM, `;`,
  decimal comma), xlsx and parquet, with a filter that keeps every row (`Any >= 0`) so that the query path
  runs (an unfiltered Parquet download is the version file itself);
- DuckDB's bare `COPY (SELECT … WHERE "Any" >= 0) TO file` in CSV and Parquet, the engine's own limit;
- for XLSX, which DuckDB cannot write without an extension, XlsxWriter in constant_memory mode (what obert
  used before) up to `--xlsxwriter-max` rows.

Prints medians of wall time, CPU time (every thread of the process: less noisy than wall time on a shared
machine), peak RSS, output size, and the ratio to DuckDB's COPY of the same format (to
CSV COPY for XLSX). The machine is shared: quote medians and ratios from one run, never across runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest import make_csv  # noqa: E402

CASES = ("obert csv", "obert csv spreadsheet", "obert xlsx", "obert parquet", "duckdb csv", "duckdb parquet")


def _one(case: str, version: Path, out_dir: Path) -> dict[str, float]:
    """One export in this process: seconds and bytes written. Imports and opening the file are left out
    of the time (a server has done both before the request)."""
    import duckdb
    import xlsxwriter

    from obert.datastore.export import SPREADSHEET_CSV, export
    from obert.datastore.filters import Range
    from obert.datastore.tables import open_table

    open_table(version)
    con = duckdb.connect()
    started, cpu = time.perf_counter(), time.process_time()
    size = 0
    if case.startswith("obert"):
        fmt = case.split()[1]
        style = {"csv_style": SPREADSHEET_CSV["ca"]} if case.endswith("spreadsheet") else {}
        for chunk in export(version, fmt, filters={"Any": Range(gte=0)}, **style):  # type: ignore[arg-type]
            size += len(chunk)
    elif case.startswith("duckdb"):
        fmt = case.split()[1]
        target = out_dir / f"copy.{fmt}"
        options = "(FORMAT parquet)" if fmt == "parquet" else "(HEADER)"
        con.execute(
            f"COPY (SELECT * FROM read_parquet('{version}') WHERE \"Any\" >= 0) TO '{target}' {options}"
        )
        size = target.stat().st_size
    else:  # xlsxwriter
        target = out_dir / "xlsxwriter.xlsx"
        book = xlsxwriter.Workbook(str(target), {"constant_memory": True})
        sheet = book.add_worksheet("data")
        cur = con.execute(f"SELECT * FROM read_parquet('{version}') WHERE \"Any\" >= 0")
        sheet.write_row(0, 0, [d[0] for d in cur.description])
        r = 1
        while batch := cur.fetchmany(10_000):
            for row in batch:
                sheet.write_row(r, 0, row)
                r += 1
        book.close()
        size = target.stat().st_size
    return {"seconds": time.perf_counter() - started, "cpu": time.process_time() - cpu, "bytes": size}


def _measure(case: str, version: Path, out_dir: Path) -> dict[str, float]:
    proc = subprocess.Popen(
        [sys.executable, __file__, "--one", case, str(version), str(out_dir)],
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stdout is not None
    output = proc.stdout.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{case} failed")
    result: dict[str, float] = json.loads(output)
    result["rss_mb"] = usage.ru_maxrss / 1024  # kilobytes on Linux
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/obert-bench-exports"))
    parser.add_argument("--xlsxwriter-max", type=int, default=20_000)
    parser.add_argument("--one", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        case, version, out_dir = args.one
        print(json.dumps(_one(case, Path(version), Path(out_dir))))
        return

    from obert.ingest import ingest_file

    args.workdir.mkdir(parents=True, exist_ok=True)
    print(
        f"{'rows':>9} {'case':<24} {'median s':>9} {'CPU s':>7} {'peak RSS MB':>12} {'MB out':>8} "
        f"{'× COPY (wall)':>13} {'× COPY (CPU)':>12}"
    )
    for rows in (int(s) for s in args.sizes.split(",")):
        csv_file = args.workdir / f"accidents-{rows}.csv"
        version = args.workdir / f"accidents-{rows}.parquet"
        if not version.exists():
            make_csv(csv_file, rows)
            ingest_file(csv_file, dest=version, max_bytes=10**10)
        cases = list(CASES) + (["xlsxwriter xlsx"] if rows <= args.xlsxwriter_max else [])
        medians: dict[str, dict[str, float]] = {}
        for case in cases:
            runs = [_measure(case, version, args.workdir) for _ in range(args.runs)]
            medians[case] = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        for case in cases:
            m = medians[case]
            fmt = case.split()[1]
            peer = medians["duckdb parquet" if fmt == "parquet" else "duckdb csv"]
            print(
                f"{rows:>9,} {case:<24} {m['seconds']:>9.3f} {m['cpu']:>7.2f} {m['rss_mb']:>12.0f} "
                f"{m['bytes'] / 1e6:>8.1f} {m['seconds'] / peer['seconds']:>13.2f} "
                f"{m['cpu'] / peer['cpu']:>12.2f}"
            )


if __name__ == "__main__":
    main()
