"""The personal-data gate on a million-row version: its cost, and whether one identifier is caught.

    PYTHONPATH=$PWD .venv/bin/python bench/privacy_gate.py [--rows 1000000] [--runs 3]
        [--sample-rows 200000] [--workdir /tmp/obert-bench] [--before-code OLD_CHECKOUT]

Builds the accidents CSV the ingest benchmark uses (bench/ingest.py, the real 2018 file copied with
unique ids), ingests it once into Parquet, and writes a copy in which one street-name cell out of
the million reads "Contacte: DNI 12.345.678-Z" (the DNI's digits separated by a zero-width space).
Then it runs the gate (`PersonalDataGate`, as an ingest job does, with `--sample-rows` like
``OBERT_PRIVACY_SCAN_ROWS``) in a child process per run and prints median wall and CPU seconds and
the peak memory, for this tree and, with `--before-code`, for an older checkout; and whether each
tree holds the copy with the DNI back.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from obert.ingest import ingest_file

HERE = Path(__file__).resolve().parent
NEEDLE = "Contacte: DNI 12.345.\u200b678-Z"

_RUN = """
import json, resource, sys, time
from pathlib import Path
try:  # the gate moved from obert.ingest to obert.tableservice; older checkouts have it there
    from obert.tableservice.personal_data import PersonalDataGate
except ImportError:
    from obert.ingest.personal_data import PersonalDataGate
gate = PersonalDataGate(sample_rows=int(sys.argv[2]))
started, cpu = time.perf_counter(), time.process_time()
hold = gate(resource_id="bench", result=None, path=Path(sys.argv[1]))
wall, cpu = time.perf_counter() - started, time.process_time() - cpu
blocking = [] if hold is None else hold.findings["decision"]["blocking"]
print("FIGURES", json.dumps({"wall": wall, "cpu": cpu,
      "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
      "held": hold is not None, "blocking": [[f["column"], f["kind"], f["matched"]] for f in blocking]}))
"""


def _make_csv(target: Path, rows: int) -> None:
    spec = importlib.util.spec_from_file_location("bench_ingest", HERE / "ingest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.make_csv(target, rows)


def _with_needle(source: Path, target: Path) -> None:
    table = pq.read_table(source)
    streets = table.column("Nom_carrer").to_pylist()
    streets[len(streets) * 7 // 9] = NEEDLE
    index = table.column_names.index("Nom_carrer")
    table = table.set_column(index, "Nom_carrer", pa.array(streets, pa.string()))
    pq.write_table(table, target, row_group_size=32_768)


def _run(code: Path, path: Path, sample_rows: int) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", _RUN, str(path), str(sample_rows)],
        env={**os.environ, "PYTHONPATH": str(code)},
        cwd=code,  # `python -c` puts the working folder first on the path: it must be the tree timed
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    figures: dict[str, object] = json.loads(out[out.rindex("FIGURES") + 8 :])
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sample-rows", type=int, default=200_000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/obert-bench"))
    parser.add_argument("--before-code", type=Path, default=None)
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    csv = args.workdir / f"accidents_{args.rows}.csv"
    version = args.workdir / f"accidents_{args.rows}.parquet"
    needle = args.workdir / f"accidents_{args.rows}_one_dni.parquet"
    if not csv.exists():
        _make_csv(csv, args.rows)
    if not version.exists():
        ingest_file(csv, dest=version, max_bytes=10 * 1024**3)
    if not needle.exists():
        _with_needle(version, needle)
    print(f"version: {version} ({args.rows:,} rows), sample {args.sample_rows:,} rows")
    trees = [("this tree", HERE.parent)] + ([("before", args.before_code)] if args.before_code else [])
    for label, code in trees:
        runs = [_run(code, version, args.sample_rows) for _ in range(args.runs)]
        wall = statistics.median(float(str(r["wall"])) for r in runs)
        cpu = statistics.median(float(str(r["cpu"])) for r in runs)
        rss = max(float(str(r["rss_mb"])) for r in runs)
        print(f"{label:<10} gate: median {wall:6.2f} s wall {cpu:6.2f} s cpu, peak {rss:5.0f} MB, "
              f"held: {runs[0]['held']}")  # fmt: skip
        caught = _run(code, needle, args.sample_rows)
        print(f"{label:<10} one DNI in a street-name cell: held {caught['held']} {caught['blocking']}")


if __name__ == "__main__":
    main()
