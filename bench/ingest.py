"""Ingest benchmark: obert's ingest_file against DuckDB's bare CREATE TABLE AS read_csv.

usage: PYTHONPATH=. .venv/bin/python bench/ingest.py [--rows 1000000] [--runs 3] [--workdir /tmp/obert-bench]

Builds a big CSV from the real 2018 accidents file (ids made unique per copy), then times, in the
same run and alternately, DuckDB's ``CREATE TABLE t AS SELECT * FROM read_csv(file)`` (its own
sniffing and typing into memory, nothing written) and obert's full ingest (sniff, type inference,
typed Parquet write with fsync and rename, profile, sha256). Prints each median and the ratio.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import duckdb

from obert.ingest import ingest_file

SOURCE = Path(__file__).resolve().parent.parent / "obert" / "demo" / "files" / "2018_accidents_gu_bcn.csv"


def make_csv(target: Path, rows: int) -> None:
    with SOURCE.open(encoding="utf-8-sig", newline="") as f:
        header, *lines = [line for line in f.read().split("\r\n") if line]
    written = 0
    with target.open("w", encoding="utf-8", newline="") as out:
        out.write(header + "\r\n")
        copy = 0
        while written < rows:
            for line in lines:
                if written >= rows:
                    break
                first, rest = line.split(",", 1)
                out.write(f"{first.strip()}-{copy},{rest}\r\n")
                written += 1
            copy += 1


def time_duckdb(csv: Path) -> float:
    con = duckdb.connect()
    started = time.perf_counter()
    con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{csv}')")
    elapsed = time.perf_counter() - started
    con.close()
    return elapsed


def time_obert(csv: Path, dest: Path) -> float:
    started = time.perf_counter()
    result = ingest_file(csv, dest=dest, max_bytes=10 * 1024**3)
    elapsed = time.perf_counter() - started
    assert result.row_count > 0
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/obert-bench"))
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    csv = args.workdir / f"accidents_{args.rows}.csv"
    if not csv.exists():
        make_csv(csv, args.rows)
    print(f"file: {csv} ({csv.stat().st_size / 1e6:.1f} MB, {args.rows} rows)")
    duck, obert = [], []
    for _ in range(args.runs):
        duck.append(time_duckdb(csv))
        obert.append(time_obert(csv, args.workdir / "out.parquet"))
    d, o = statistics.median(duck), statistics.median(obert)
    print(f"duckdb CTAS read_csv : median {d:.2f} s  runs {[round(x, 2) for x in duck]}")
    print(f"obert ingest_file    : median {o:.2f} s  runs {[round(x, 2) for x in obert]}")
    print(f"ratio obert / duckdb : {o / d:.2f}  (target <= 1.5)")
    print("optional peer, not a dependency: sqlite-utils insert db t FILE --csv --detect-types")


if __name__ == "__main__":
    main()
