"""The Parquet writer's options on obert's own typed read of the accidents CSV: CPU, size, reading.

usage: PYTHONPATH=. .venv/bin/python bench/ingest_write.py [--rows 1000000] [--runs 3]
           [--workdir /tmp/obert-bench] [--options now,zstd1,...]

Captures the exact ``COPY (SELECT … FROM read_csv(…))`` that ``ingest_file`` runs on the file bench/ingest.py
builds, then, alternating the options within each run:

- writes it with each set of options (``COPY … TO x.parquet (…)``), from the CSV, as an ingest does;
- writes the same rows from an in-memory DuckDB table, which leaves out the CSV parsing: the writer's own
  cost;
- reads every file back as obert does: the personal-data gate's CPU, and one aggregate over every row.

Prints medians of CPU seconds (this process, DuckDB's threads included: steadier than wall time on a
shared machine), wall seconds, file sizes, and each option's ratio to the options obert uses ("now").
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

import duckdb
import pyarrow as pa

import obert.ingest.csvfile as csvfile
from obert.ingest import ingest_file
from obert.tableservice.personal_data import PersonalDataGate

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest import make_csv

OPTIONS = {
    "now": "COMPRESSION snappy, ROW_GROUP_SIZE 32768",
    "nobloom": "COMPRESSION snappy, ROW_GROUP_SIZE 32768, WRITE_BLOOM_FILTER false",
    "lz4_raw": "COMPRESSION lz4_raw, ROW_GROUP_SIZE 32768",
    "zstd1": "COMPRESSION zstd, COMPRESSION_LEVEL 1, ROW_GROUP_SIZE 32768",
    "none": "COMPRESSION uncompressed, ROW_GROUP_SIZE 32768",
    "rg64k": "COMPRESSION snappy, ROW_GROUP_SIZE 65536",
    "rg122k": "COMPRESSION snappy, ROW_GROUP_SIZE 122880",
    "v2": "COMPRESSION snappy, ROW_GROUP_SIZE 32768, PARQUET_VERSION V2",
    # Not usable (rows would lose the file's order); shown for what the ordered write costs.
    "unordered": "COMPRESSION snappy, ROW_GROUP_SIZE 32768, PRESERVE_ORDER false",
}


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def typed_select(csv: Path, workdir: Path) -> str:
    """The SELECT that ingest_file copies to Parquet for this file (its types, marks and trims)."""
    seen: list[str] = []
    real = csvfile.copy_select

    def capture(con: duckdb.DuckDBPyConnection, select: str, **kwargs: object) -> object:
        seen.append(select)
        return real(con, select, **kwargs)  # type: ignore[arg-type]

    csvfile.copy_select = capture  # type: ignore[assignment]
    try:
        ingest_file(csv, dest=workdir / "write_ref.parquet", max_bytes=10 * 1024**3, sha256="-")
    finally:
        csvfile.copy_select = real
    return seen[-1]


def timed(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[float, float]:
    started, cpu = time.perf_counter(), _cpu()
    con.execute(sql).fetchall()
    return time.perf_counter() - started, _cpu() - cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/obert-bench"))
    parser.add_argument("--options", default=",".join(OPTIONS))
    args = parser.parse_args()
    pa.set_memory_pool(pa.jemalloc_memory_pool())  # as obert's processes (see bench/ingest.py)
    names = args.options.split(",")
    args.workdir.mkdir(parents=True, exist_ok=True)
    csv = args.workdir / f"accidents_{args.rows}.csv"
    if not csv.exists():
        make_csv(csv, args.rows)
    print(f"load average: {Path('/proc/loadavg').read_text().strip()}")
    select = typed_select(csv, args.workdir)
    memory = duckdb.connect()
    memory.execute(f"CREATE TABLE t AS {select}")
    out = {n: args.workdir / f"write_{n}.parquet" for n in names}
    stats: dict[str, dict[str, list[float]]] = {n: {} for n in names}

    def note(name: str, what: str, value: float) -> None:
        stats[name].setdefault(what, []).append(value)

    for _ in range(args.runs):
        for n in names:
            con = duckdb.connect(config={"memory_limit": "512MB"})
            wall, cpu = timed(
                con, f"COPY ({select}) TO '{out[n]}' (FORMAT parquet, {OPTIONS[n]}, RETURN_STATS)"
            )
            con.close()
            note(n, "csv wall", wall)
            note(n, "csv cpu", cpu)
            note(n, "alone cpu", timed(memory, f"COPY t TO '{out[n]}.mem' (FORMAT parquet, {OPTIONS[n]})")[1])
            cpu = _cpu()
            PersonalDataGate(sample_rows=200_000)(resource_id="bench", result=None, path=out[n])  # type: ignore[arg-type]
            note(n, "gate cpu", _cpu() - cpu)
            con = duckdb.connect()
            scan = (
                f"SELECT count(DISTINCT Nom_carrer), sum(Coordenada_UTM_X), max(Numero_expedient), "
                f"count(*) FILTER (WHERE Nom_barri LIKE '%Gr%') FROM '{out[n]}'"
            )
            note(n, "scan cpu", timed(con, scan)[1])
            con.close()
    med = {n: {k: statistics.median(v) for k, v in s.items()} for n, s in stats.items()}
    base = med.get("now")
    print(
        f"{'options':<10} {'CSV->parquet cpu':>17} {'wall':>6} {'write alone cpu':>16} {'MB':>6} "
        f"{'gate cpu':>9} {'scan cpu':>9}"
    )
    for n in names:
        m = med[n]
        ratio = f" ({m['csv cpu'] / base['csv cpu']:.2f}x)" if base else ""
        alone = f" ({m['alone cpu'] / base['alone cpu']:.2f}x)" if base else ""
        print(
            f"{n:<10} {m['csv cpu']:>9.2f}{ratio:<8} {m['csv wall']:>6.2f} {m['alone cpu']:>8.2f}{alone:<8} "
            f"{out[n].stat().st_size / 1e6:>6.1f} {m['gate cpu']:>9.2f} {m['scan cpu']:>9.3f}"
        )
    for n in names:
        out[n].unlink(missing_ok=True)
        Path(f"{out[n]}.mem").unlink(missing_ok=True)
    print(f"load average at the end: {Path('/proc/loadavg').read_text().strip()}")


if __name__ == "__main__":
    main()
