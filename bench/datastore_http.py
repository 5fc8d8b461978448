"""Datastore HTTP benchmark: a filtered page of 100 rows with its total count, over HTTP, 16 clients.

usage: PYTHONPATH=. .venv/bin/python bench/datastore_http.py [--rows 1000000] [--requests 40]
           [--clients 16] [--workdir /tmp/obert-bench-http] [--datasette PATH] [--sqlite-utils PATH]

Builds the 1M-row accidents table of bench/ingest.py, ingests it into an obert data dir, serves it with
uvicorn in a subprocess on 127.0.0.1 (one process, no background jobs) and drives it with an httpx/asyncio
load generator: `--clients` concurrent clients, each making `--requests` requests in a bounded loop, every
request asking for the first 100 rows of one district (the ten districts in turn) with the total count.
When datasette and sqlite-utils are given (or found on PATH), the same CSV is inserted with
`sqlite-utils insert --csv --detect-types` and datasette is measured on the same filter in the same run.
Prints p50/p95 latency and requests per second for each, and the ratio. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest import make_csv  # noqa: E402

DISTRICTS = [
    "Ciutat Vella",
    "Eixample",
    "Sants-Montjuïc",
    "Les Corts",
    "Sarrià-Sant Gervasi",
    "Gràcia",
    "Horta-Guinardó",
    "Nou Barris",
    "Sant Andreu",
    "Sant Martí",
]
SERVE = """
import sys, uvicorn
from obert.app import create_app
from obert.settings import Settings
# The read budget stays on (its cost is part of every request) but is set high enough never to refuse.
settings = Settings(mode="test", data_dir=sys.argv[1], job_threads=0, rate_limit_reads="10000000 per minute")
app = create_app(settings)
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning", access_log=False)
"""


@dataclass
class Figures:
    name: str
    latencies: list[float]
    elapsed: float
    server_cpu: float | None = None  # CPU seconds the server process spent on the measured requests

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.elapsed

    def line(self) -> str:
        lat = sorted(self.latencies)
        p50 = statistics.median(lat) * 1000
        p95 = lat[int(len(lat) * 0.95) - 1] * 1000
        rate = f"{self.rps:7.1f} req/s"
        cpu = (
            "" if self.server_cpu is None else f"  server CPU {self.server_cpu / len(lat) * 1000:.2f} ms/req"
        )
        return f"{self.name:<10} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  {rate}{cpu}  ({len(lat)} requests)"


def process_cpu(pid: int) -> float | None:
    """User + system CPU seconds of a process (Linux), a figure less disturbed by a busy machine."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_up(url: str, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=60).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{url} did not come up")


def prepare_obert(csv: Path, data_dir: Path) -> None:
    from obert.auth import SYSTEM
    from obert.ingest.local import ingest_local_file
    from obert.portal import build_portal
    from obert.settings import Settings

    portal = build_portal(Settings(mode="test", data_dir=data_dir, ingest_max_bytes=10 * 1024**3))
    try:
        started = time.perf_counter()
        done = ingest_local_file(
            ingester=portal.ingester, actor=SYSTEM, path=csv, dataset="bench", resource="accidents"
        )
        print(
            f"obert ingest: version {done.outcome.version.number}, {done.outcome.version.row_count} rows "
            f"({time.perf_counter() - started:.1f} s)"
        )
    finally:
        portal.close()


async def load(
    name: str, urls: list[str], clients: int, requests: int, check: str, pid: int | None = None
) -> Figures:
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        for url in urls[:3]:  # warm-up
            (await client.get(url)).raise_for_status()

        async def worker(n: int) -> None:
            for i in range(requests):
                url = urls[(3 + n * requests + i) % len(urls)]
                started = time.perf_counter()
                response = await client.get(url)
                latencies.append(time.perf_counter() - started)
                response.raise_for_status()
                if check not in response.text:
                    raise SystemExit(f"{name}: unexpected answer from {url}: {response.text[:200]}")

        started = time.perf_counter()
        cpu = process_cpu(pid) if pid else None
        await asyncio.gather(*(worker(n) for n in range(clients)))
        elapsed = time.perf_counter() - started
        after = process_cpu(pid) if pid else None
    server_cpu = after - cpu if after is not None and cpu is not None else None
    return Figures(name, latencies, elapsed, server_cpu)


def measure(
    name: str,
    cmd: list[str],
    base: str,
    urls: list[str],
    args: argparse.Namespace,
    check: str,
    code: Path = ROOT,
) -> Figures:
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(code)})
    try:
        wait_up(urls[0], proc)
        return asyncio.run(load(name, urls, args.clients, args.requests, check, proc.pid))
    finally:
        proc.terminate()
        proc.wait(30)


def load_sqlite(args: argparse.Namespace, csv: Path, db: Path, data_dir: Path) -> None:
    """The same CSV as a SQLite table for datasette.

    `sqlite-utils insert --csv` (type detection included) is the usual way, but takes tens of minutes
    for a million rows on a busy 2-core machine; `--loader sqlite3` declares the column types obert
    inferred and lets the sqlite3 shell's `.import` (C) load the rows, which ends in the same table.
    """
    if args.loader == "sqlite-utils":
        subprocess.run([args.sqlite_utils, "insert", str(db), "t", str(csv), "--csv"], check=True)
        return
    import duckdb

    version = next((data_dir / "tables").rglob("*.parquet"))
    described = duckdb.connect().execute(f"DESCRIBE SELECT * FROM read_parquet('{version}')").fetchall()
    affinity = {"BIGINT": "INTEGER", "DOUBLE": "REAL"}
    with csv.open(encoding="utf-8-sig") as f:
        header = f.readline().rstrip("\r\n").split(",")
    cols = ", ".join(
        f'"{name}" {affinity.get(str(row[1]), "TEXT")}' for name, row in zip(header, described, strict=True)
    )
    script = f'CREATE TABLE t ({cols});\n.import --csv --skip 1 "{csv}" t\n'
    subprocess.run(["sqlite3", str(db)], input=script.encode(), check=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=40, help="requests per client")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/obert-bench-http"))
    parser.add_argument("--datasette", default=shutil.which("datasette"))
    parser.add_argument("--sqlite-utils", dest="sqlite_utils", default=shutil.which("sqlite-utils"))
    parser.add_argument("--loader", choices=("sqlite3", "sqlite-utils"), default="sqlite3")
    parser.add_argument(
        "--before-code",
        type=Path,
        default=None,
        help="also serve obert from this source tree (an older checkout), in the same run: before/after",
    )
    parser.add_argument(
        "--distinct-pages",
        action="store_true",
        help="also measure obert with every request a different page (no page cache hits)",
    )
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    csv = args.workdir / f"accidents_{args.rows}.csv"
    if not csv.exists():
        make_csv(csv, args.rows)
    print(
        f"table: {csv} ({csv.stat().st_size / 1e6:.1f} MB, {args.rows} rows); "
        f"{args.clients} clients x {args.requests} requests; {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f}"
    )

    data_dir = args.workdir / "obert-data"
    if not (data_dir / "tables").exists():
        prepare_obert(csv, data_dir)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    urls = [f"{base}/api/v1/datastore/accidents/rows?Nom_districte={d}&limit=100" for d in DISTRICTS]
    serve = [sys.executable, "-c", SERVE, str(data_dir), str(port)]
    if args.before_code:
        before = measure("obert-old", serve, base, urls, args, '"count"', code=args.before_code)
        print(before.line() + f"  (served from {args.before_code})")
    obert = measure("obert", serve, base, urls, args, '"count"')
    print(obert.line())
    if args.distinct_pages:
        total = args.clients * args.requests + 3
        pages = [f"{urls[i % len(urls)]}&offset={100 * (i // len(urls))}" for i in range(total)]
        uncached = measure("obert*", serve, base, pages, args, '"count"')
        print(uncached.line() + "  * every request a different page: no page cache hits")

    if not args.datasette or (args.loader == "sqlite-utils" and not args.sqlite_utils):
        print("datasette: not measured (pass --datasette [and --sqlite-utils], or put them on PATH)")
        return
    db = args.workdir / "accidents.db"
    if not db.exists():
        started = time.perf_counter()
        load_sqlite(args, csv, db, data_dir)
        print(f"{args.loader} load into SQLite: {time.perf_counter() - started:.1f} s")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    urls = [
        f"{base}/accidents/t.json?Nom_districte={d}&_size=100&_shape=objects&_nosuggest=1" for d in DISTRICTS
    ]
    cmd = [args.datasette, "serve", "--immutable", str(db), "-h", "127.0.0.1", "-p", str(port)]
    peer = measure("datasette", cmd, base, urls, args, "filtered_table_rows_count")
    print(peer.line())
    print(f"ratio obert / datasette req/s: {obert.rps / peer.rps:.1f}x  (target >= 10x; p50 target <= 20 ms)")


if __name__ == "__main__":
    main()
