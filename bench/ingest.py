"""Ingest benchmark: obert's ingest_file against DuckDB, PostgreSQL COPY and sqlite-utils, same file.

usage: PYTHONPATH=. .venv/bin/python bench/ingest.py [--rows 1000000] [--runs 3] [--workdir /tmp/obert-bench]
           [--sqlite-utils-runs 1] [--no-postgres] [--before-code OLD_CHECKOUT]
           [--memory-rows 1000000,2000000]

Builds a big CSV from the real 2018 accidents file (ids made unique per copy), then times, in the
same run and in turn:

- DuckDB's ``CREATE TABLE t AS SELECT * FROM read_csv(file)`` (its own sniffing and typing into
  memory, nothing written): the engine's own limit;
- obert's full ingest (sniff, type inference, typed Parquet write with fsync and rename, profile,
  sha256), and the same with the checksum given, as an ingest job runs it for an upload (whose bytes
  were hashed while they were stored);
- PostgreSQL ``COPY t FROM STDIN (FORMAT csv)`` into all-text columns (CKAN XLoader's path), in a
  schema made for the run on ``OBERT_TEST_POSTGRES_URL``'s server and dropped afterwards (skipped
  when the variable is unset);
- ``sqlite-utils insert db t FILE --csv`` with type detection (Datasette's path; skipped when the
  ``sqlite-utils`` command is missing: ``pip install -e '.[bench]'``). It takes minutes, so it runs
  ``--sqlite-utils-runs`` times (once by default).

Then, apart from reading, typing and writing:

- the personal-data gate (``PersonalDataGate``, every cell searched for identifiers, as an ingest job
  runs it after ``ingest_file``) on obert's output, in process: the trust issue's extra cost;
- the command a user runs, process against process, start-up included: ``obert ingest FILE --dataset
  bench`` into a fresh data directory (ingest, gate, catalogue) against ``python -c`` opening DuckDB and
  writing ``CREATE TABLE t AS SELECT * FROM read_csv(file)`` into a database file;
- the peak memory (``/usr/bin/time``'s maximum resident set) of ``ingest_file`` in a child process, for
  each size in ``--memory-rows``: on a loaded machine a 2 GB file (about 8.5 M rows) takes minutes, so the
  slope between two smaller sizes tells whether memory grows with the file.

Prints wall-clock medians and ratios. On a shared machine wall time is noisy, so it also prints the
CPU seconds DuckDB and obert spend in this process (both run in-process; the sha256 thread counts).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import duckdb
import psycopg
import pyarrow as pa

from obert.ingest import ingest_file
from obert.ingest.source import sha256_file
from obert.tableservice.personal_data import PersonalDataGate

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


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def time_duckdb(csv: Path) -> tuple[float, float]:
    con = duckdb.connect()
    started, cpu = time.perf_counter(), _cpu()
    con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{csv}')")
    elapsed, cpu = time.perf_counter() - started, _cpu() - cpu
    con.close()
    return elapsed, cpu


def time_obert(csv: Path, dest: Path, sha256: str | None = None) -> tuple[float, float]:
    """`sha256` given: as an ingest job runs for an upload, whose checksum was taken while it was stored."""
    started, cpu = time.perf_counter(), _cpu()
    result = ingest_file(csv, dest=dest, max_bytes=10 * 1024**3, sha256=sha256)
    elapsed, cpu = time.perf_counter() - started, _cpu() - cpu
    assert result.row_count > 0
    return elapsed, cpu


def time_gate(parquet: Path) -> tuple[float, float]:
    """The personal-data gate over obert's output, as an ingest job runs it (default sample of 200,000)."""
    started, cpu = time.perf_counter(), _cpu()
    PersonalDataGate(sample_rows=200_000)(resource_id="bench", result=None, path=parquet)  # type: ignore[arg-type]
    return time.perf_counter() - started, _cpu() - cpu


_DUCKDB_PROCESS = """
import sys, duckdb
con = duckdb.connect(sys.argv[2])
con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?)", [sys.argv[1]])
con.close()
"""


def _timed_process(args: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall seconds and peak resident memory (MB) of one child process, start-up included."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "time.txt"
        started = time.perf_counter()
        subprocess.run(
            ["/usr/bin/time", "-f", "%M", "-o", str(report), *args],
            env={**os.environ, **(env or {})},
            check=True,
            stdout=subprocess.DEVNULL,
        )
        elapsed = time.perf_counter() - started
        peak_kb = float(report.read_text().split()[-1])
    return elapsed, peak_kb / 1024


def time_duckdb_process(csv: Path, workdir: Path) -> float:
    db = workdir / "duckdb_bench.db"
    db.unlink(missing_ok=True)
    wall, _ = _timed_process([sys.executable, "-c", _DUCKDB_PROCESS, str(csv), str(db)])
    db.unlink(missing_ok=True)
    return wall


def time_obert_command(csv: Path, workdir: Path) -> tuple[float, float]:
    data = workdir / "obert_command_data"
    shutil.rmtree(data, ignore_errors=True)
    env = {"OBERT_DATA_DIR": str(data), "OBERT_SECRET_KEY": "bench-" + uuid.uuid4().hex}
    result = _timed_process([sys.executable, "-m", "obert", "ingest", str(csv), "--dataset", "bench"], env)
    shutil.rmtree(data, ignore_errors=True)
    return result


_INGEST_PROCESS = """
import sys
from pathlib import Path
from obert.ingest import ingest_file
from obert.ingest.source import sha256_file
ingest_file(Path(sys.argv[1]), dest=Path(sys.argv[2]), max_bytes=100 * 1024**3)
"""


def peak_memory(csv: Path, workdir: Path) -> tuple[float, float]:
    """Wall seconds and peak memory (MB) of ``ingest_file`` alone, in a child process."""
    return _timed_process([sys.executable, "-c", _INGEST_PROCESS, str(csv), str(workdir / "mem.parquet")])


_TIME_OTHER = """
import resource, sys, time
from pathlib import Path
from obert.ingest import ingest_file
from obert.ingest.source import sha256_file
u = resource.getrusage(resource.RUSAGE_SELF)
started, cpu = time.perf_counter(), u.ru_utime + u.ru_stime
ingest_file(Path(sys.argv[1]), dest=Path(sys.argv[2]), max_bytes=10 * 1024**3)
u = resource.getrusage(resource.RUSAGE_SELF)
print("FIGURES", time.perf_counter() - started, u.ru_utime + u.ru_stime - cpu, flush=True)
"""


def time_other_checkout(code: Path, csv: Path, dest: Path) -> tuple[float, float]:
    """obert's ingest_file from another source tree (an older checkout), in a child process."""
    stdout = subprocess.run(
        [sys.executable, "-c", _TIME_OTHER, str(csv), str(dest)],
        env={**os.environ, "PYTHONPATH": str(code)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # DuckDB's progress bar shares stdout; the figures follow their marker.
    out = stdout[stdout.rindex("FIGURES") :].split()[1:3]
    return float(out[0]), float(out[1])


def postgres_url() -> str | None:
    url = os.environ.get("OBERT_TEST_POSTGRES_URL")
    return url.replace("postgresql+psycopg://", "postgresql://", 1) if url else None


def time_postgres(csv: Path, url: str) -> float:
    """COPY into a fresh table of text columns in a schema of its own, dropped afterwards."""
    schema = f"bench_ingest_{uuid.uuid4().hex[:12]}"
    with csv.open(encoding="utf-8") as f:
        header = f.readline().strip().split(",")
    columns = ", ".join(f'"{name.strip()}" text' for name in header)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
        try:
            started = time.perf_counter()
            with conn.transaction():
                conn.execute(f'CREATE TABLE "{schema}".t ({columns})')
                with (
                    conn.cursor().copy(f'COPY "{schema}".t FROM STDIN (FORMAT csv, HEADER true)') as copy,
                    csv.open("rb") as src,
                ):
                    while chunk := src.read(1 << 20):
                        copy.write(chunk)
            elapsed = time.perf_counter() - started
            count = conn.execute(f'SELECT count(*) FROM "{schema}".t').fetchone()
            assert count is not None and count[0] > 0
        finally:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    return elapsed


def time_sqlite_utils(command: str, csv: Path, workdir: Path) -> float:
    db = workdir / "sqlite_utils_bench.db"
    db.unlink(missing_ok=True)
    started = time.perf_counter()
    # sqlite-utils 4 detects types by default; 3.x needs the flag.
    usage = subprocess.run([command, "insert", "--help"], capture_output=True, text=True).stdout
    detect = ["--detect-types"] if "--detect-types" in usage else []
    subprocess.run([command, "insert", str(db), "t", str(csv), "--csv", *detect], check=True)
    elapsed = time.perf_counter() - started
    db.unlink(missing_ok=True)
    return elapsed


def _line(label: str, runs: list[float], unit: str = "s") -> float:
    med = statistics.median(runs)
    print(f"{label:<28}: median {med:7.2f} {unit}  runs {[round(x, 2) for x in runs]}")
    return med


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sqlite-utils-runs", type=int, default=1)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument(
        "--before-code", type=Path, default=None, help="also time ingest_file from this older checkout"
    )
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/obert-bench"))
    parser.add_argument(
        "--memory-rows", default="", help="comma-separated sizes to measure peak memory on (default --rows)"
    )
    args = parser.parse_args()
    # The allocator obert's own processes give Arrow (obert.cli.common.arrow_allocator), so that the gate
    # measured in this process runs as it does in a worker or in `obert ingest`.
    pa.set_memory_pool(pa.jemalloc_memory_pool())
    args.workdir.mkdir(parents=True, exist_ok=True)
    csv = args.workdir / f"accidents_{args.rows}.csv"
    if not csv.exists():
        make_csv(csv, args.rows)
    print(f"file: {csv} ({csv.stat().st_size / 1e6:.1f} MB, {args.rows} rows)")
    load = Path("/proc/loadavg").read_text().strip()
    print(f"load average: {load}; arrow allocator: {pa.default_memory_pool().backend_name}")
    pg = None if args.no_postgres else postgres_url()
    beside = Path(sys.executable).parent / "sqlite-utils"  # the venv's, when it is not on PATH
    found = shutil.which("sqlite-utils") or (str(beside) if beside.exists() else None)
    sqlite_utils = found if args.sqlite_utils_runs > 0 else None
    duck, obert, duck_cpu, obert_cpu, pg_runs, su_runs = [], [], [], [], [], []
    known, known_cpu = [], []
    digest = sha256_file(csv)
    old, old_cpu, gate, gate_cpu, duck_proc, obert_proc, obert_rss = [], [], [], [], [], [], []
    for i in range(args.runs):
        wall, cpu = time_duckdb(csv)
        duck.append(wall)
        duck_cpu.append(cpu)
        if args.before_code:
            wall, cpu = time_other_checkout(args.before_code, csv, args.workdir / "out_before.parquet")
            old.append(wall)
            old_cpu.append(cpu)
        wall, cpu = time_obert(csv, args.workdir / "out.parquet")
        obert.append(wall)
        obert_cpu.append(cpu)
        wall, cpu = time_obert(csv, args.workdir / "out.parquet", sha256=digest)
        known.append(wall)
        known_cpu.append(cpu)
        wall, cpu = time_gate(args.workdir / "out.parquet")
        gate.append(wall)
        gate_cpu.append(cpu)
        duck_proc.append(time_duckdb_process(csv, args.workdir))
        wall, rss = time_obert_command(csv, args.workdir)
        obert_proc.append(wall)
        obert_rss.append(rss)
        if pg:
            pg_runs.append(time_postgres(csv, pg))
        if sqlite_utils and i < args.sqlite_utils_runs:
            su_runs.append(time_sqlite_utils(sqlite_utils, csv, args.workdir))
    d = _line("duckdb CTAS read_csv", duck)
    o = _line("obert ingest_file", obert)
    print(f"{'ratio obert / duckdb':<28}: {o / d:.2f}  (target <= 1.2)")
    k = _line("ingest_file, checksum known", known)
    print(f"{'ratio (checksum known)':<28}: {k / d:.2f}  (an upload: hashed while it was stored)")
    g = _line("personal-data gate", gate)
    print(f"{'ratio gate / duckdb':<28}: {g / d:.2f}  (target <= 0.3 more)")
    if old:
        b = _line("obert before", old)
        print(f"{'ratio before / duckdb':<28}: {b / d:.2f}")
    dc = _line("duckdb CTAS CPU", duck_cpu, "cpu-s")
    oc = _line("obert ingest_file CPU", obert_cpu, "cpu-s")
    print(f"{'CPU ratio obert / duckdb':<28}: {oc / dc:.2f}")
    kc = _line("checksum known CPU", known_cpu, "cpu-s")
    print(f"{'CPU ratio (checksum known)':<28}: {kc / dc:.2f}")
    if old_cpu:
        bc = _line("obert before CPU", old_cpu, "cpu-s")
        print(f"{'CPU ratio before / duckdb':<28}: {bc / dc:.2f}")
    gc = _line("personal-data gate CPU", gate_cpu, "cpu-s")
    print(f"{'CPU ratio gate / duckdb':<28}: {gc / dc:.2f}")
    dp = _line("process: python+duckdb file", duck_proc)
    op = _line("process: obert ingest", obert_proc)
    print(f"{'ratio command / duckdb proc':<28}: {op / dp:.2f}  (start-up, gate and catalogue included)")
    _line("obert ingest peak memory", obert_rss, "MB")
    sizes = [int(n) for n in args.memory_rows.split(",") if n] or [args.rows]
    for rows in sizes:
        sized = args.workdir / f"accidents_{rows}.csv"
        if not sized.exists():
            make_csv(sized, rows)
        wall, rss = peak_memory(sized, args.workdir)
        mb = sized.stat().st_size / 1e6
        print(f"{'ingest_file peak memory':<28}: {rss:7.0f} MB for {mb:.0f} MB ({rows} rows) in {wall:.1f} s")
    if pg_runs:
        p = _line("postgres COPY (text)", pg_runs)
        print(f"{'ratio obert / postgres':<28}: {o / p:.2f}")
    else:
        print("postgres COPY: skipped (OBERT_TEST_POSTGRES_URL unset or --no-postgres)")
    if su_runs:
        s = _line("sqlite-utils insert", su_runs)
        print(f"{'ratio obert / sqlite-utils':<28}: {o / s:.3f}")
    else:
        print("sqlite-utils insert: skipped (command not found; pip install -e '.[bench]')")
    print(f"load average at the end: {Path('/proc/loadavg').read_text().strip()}")


if __name__ == "__main__":
    main()
