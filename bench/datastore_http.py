"""Datastore HTTP benchmark: filtered pages of 100 rows and their count, over HTTP, cached and not.

usage: PYTHONPATH=. .venv/bin/python bench/datastore_http.py [--rows 1000000] [--clients 16]
           [--generator auto|wrk|python] [--duration 15] [--requests 40] [--workers 2]
           [--workdir /tmp/obert-bench-http] [--datasette PATH] [--datasette-workers N]

Builds the 1M-row accidents table of bench/ingest.py, ingests it into an obert data dir, serves it with
`obert serve --workers N` on 127.0.0.1 (no job threads) and drives it with `--clients` concurrent clients
in a closed loop. Cached: every request asks for the first 100 rows of one district (the ten in turn) with
the total count, so after the first ten, pages and counts come from obert's caches. Uncached: 100 rows of
one neighbourhood at `--offsets` offsets each (73 x 60 = 4,380 pages, none asked twice), on a cold server
and on a primed one, and DuckDB alone on the same pages. The load generator is wrk (C, with a Lua script
that rotates the paths) when it is on PATH, else an httpx/asyncio client in Python, which costs as much
CPU as the server; both peers get the same one. When datasette is given (or on PATH) the same CSV becomes
a SQLite table, indexed on the two filtered columns, and datasette serves the same filters and pages in
the same run (keyset pages without counts for the uncached ones). Prints p50/p95 latency, requests per
second and the server processes' CPU per request for each, and the ratios. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

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
SERVE = "from obert.cli import app; app()"
# An older checkout may not know OBERT_WORKERS or OBERT_ACCESS_LOG: it is served in one process, quietly.
SERVE_BEFORE = """
import sys, uvicorn
from obert.app import create_app
from obert.settings import Settings
app = create_app(Settings())
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
"""
# wrk: the connections ask for the paths in turn; the summary comes back as one JSON line (latencies in µs).
WRK_SCRIPT = """
local paths = {%(paths)s}
local requests = {}
init = function(args)
  for i, p in ipairs(paths) do requests[i] = wrk.format("GET", p) end
end
local n = 0
request = function()
  n = n + 1
  return requests[(n %% #requests) + 1]
end
done = function(summary, latency, _)
  local e = summary.errors
  io.write(string.format(
    'WRK {"requests": %%d, "duration_us": %%d, "p50": %%d, "p95": %%d, "p99": %%d, "connect": %%d, ' ..
    '"read": %%d, "write": %%d, "status": %%d, "timeout": %%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), e.connect, e.read, e.write, e.status, e.timeout))
end
"""


@dataclass
class Figures:
    name: str
    p50: float  # seconds
    p95: float
    requests: int
    elapsed: float
    server_cpu: float | None = None  # CPU seconds the server processes spent on the measured requests
    client_cpu: float | None = None  # CPU seconds of the load generator

    @property
    def rps(self) -> float:
        return self.requests / self.elapsed

    def line(self) -> str:
        per = 1000 / self.requests
        cpu = "" if self.server_cpu is None else f"  server CPU {self.server_cpu * per:.2f} ms/req"
        client = "" if self.client_cpu is None else f", client {self.client_cpu * per:.2f}"
        latency = f"p50 {self.p50 * 1000:7.1f} ms  p95 {self.p95 * 1000:7.1f} ms"
        return f"{self.name:<10} {latency}  {self.rps:7.1f} req/s{cpu}{client}  ({self.requests} requests)"


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process and its descendants (Linux)."""
    total = 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                total += process_cpu(int(child))
    except OSError:
        pass
    return total


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_up(url: str, proc: subprocess.Popen[bytes], check: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            response = httpx.get(url, timeout=60)
            if response.status_code < 500:
                if check not in response.text:
                    raise SystemExit(f"unexpected answer from {url}: {response.text[:200]}")
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{url} did not come up")


def prepare_obert(csv: Path, data_dir: Path) -> None:
    from obert.auth import SYSTEM
    from obert.portal import build_portal
    from obert.settings import Settings
    from obert.tableservice.local import ingest_local_file

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


async def python_load(
    name: str, urls: list[str], clients: int, requests: int, check: str, pid: int
) -> Figures:
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:

        async def worker(n: int) -> None:
            for i in range(requests):
                url = urls[(n * requests + i) % len(urls)]
                started = time.perf_counter()
                response = await client.get(url)
                latencies.append(time.perf_counter() - started)
                response.raise_for_status()
                if check not in response.text:
                    raise SystemExit(f"{name}: unexpected answer from {url}: {response.text[:200]}")

        started = time.perf_counter()
        cpu, own = process_cpu(pid), time.process_time()
        await asyncio.gather(*(worker(n) for n in range(clients)))
        elapsed = time.perf_counter() - started
        server_cpu, client_cpu = process_cpu(pid) - cpu, time.process_time() - own
    lat = sorted(latencies)
    p95 = lat[max(0, int(len(lat) * 0.95) - 1)]
    return Figures(name, statistics.median(lat), p95, len(lat), elapsed, server_cpu, client_cpu)


def wrk_load(name: str, urls: list[str], args: argparse.Namespace, duration: float, pid: int) -> Figures:
    base = urlsplit(urls[0])
    paths = [urlsplit(u).path + "?" + urlsplit(u).query for u in urls]
    script = args.workdir / f"wrk-{name}.lua"
    script.write_text(WRK_SCRIPT % {"paths": ", ".join(json.dumps(p) for p in paths)})
    cmd = [
        args.wrk,
        f"-c{args.clients}",
        f"-t{args.wrk_threads}",
        f"-d{duration:g}s",
        "--timeout",
        "120s",
        "-s",
        str(script),
        f"{base.scheme}://{base.netloc}",
    ]
    cpu = process_cpu(pid)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_cpu = process_cpu(pid) - cpu
    client_cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    line = next((x for x in out.splitlines() if x.startswith("WRK ")), None)
    if line is None:
        raise SystemExit(f"wrk printed no summary:\n{out}")
    got = json.loads(line[4:])
    errors = {k: got[k] for k in ("connect", "read", "write", "status", "timeout") if got[k]}
    if errors or not got["requests"]:
        raise SystemExit(f"{name}: wrk saw errors {errors} in {got['requests']} requests:\n{out}")
    return Figures(
        name,
        got["p50"] / 1e6,
        got["p95"] / 1e6,
        got["requests"],
        got["duration_us"] / 1e6,
        server_cpu,
        client_cpu,
    )


def measure(
    name: str,
    cmd: list[str],
    urls: list[str],
    args: argparse.Namespace,
    check: str,
    *,
    env: dict[str, str] | None = None,
    duration: float | None = None,
    code: Path = ROOT,
    warm: bool = True,
    prime: list[str] | None = None,
) -> Figures:
    # Run from the source tree served: `python -c` puts the working directory first on sys.path.
    proc = subprocess.Popen(cmd, cwd=code, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL)
    try:
        wait_up(urls[0] if warm else urls[0].split("?")[0], proc, check if warm else "")
        for url in urls[:10] if warm else ():  # warm-up: every district once (and a check of the answer)
            wait_up(url, proc, check)
        time.sleep(2)
        # A connection each, so that every process gets its share (the kernel spreads connections).
        with httpx.Client(timeout=120, headers={"Connection": "close"}) as client:
            for url in prime or ():
                client.get(url).raise_for_status()
        time.sleep(
            5 if prime else 0
        )  # versions made hot load in the background  # let the other worker processes finish starting
        if args.generator == "wrk":
            return wrk_load(name, urls, args, duration or args.duration, proc.pid)
        return asyncio.run(python_load(name, urls, args.clients, args.requests, check, proc.pid))
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


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


def datasette_command(args: argparse.Namespace, db: Path, port: int) -> tuple[list[str], str]:
    """datasette's own way to use several cores is the datasette-gunicorn plugin; without it, one process."""
    where = [str(db), "-h", "127.0.0.1", "-p", str(port)]
    if args.datasette_workers > 1:
        plugins = subprocess.run([args.datasette, "plugins"], capture_output=True, text=True).stdout
        if "datasette-gunicorn" in plugins:
            cmd = [args.datasette, "gunicorn", "-i", *where, "-w", str(args.datasette_workers)]
            return cmd, f"datasette gunicorn, {args.datasette_workers} workers"
        print("datasette: datasette-gunicorn is not installed, so one process serves")
    return [args.datasette, "serve", "--immutable", *where], "datasette serve, 1 process"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--generator", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--wrk", default=shutil.which("wrk"))
    parser.add_argument(
        "--wrk-threads", type=int, default=1, help="wrk threads (one keeps up with 16 clients)"
    )
    parser.add_argument("--duration", type=float, default=15, help="seconds of load for obert (wrk)")
    parser.add_argument(
        "--datasette-duration", type=float, default=60, help="seconds of load for datasette (wrk)"
    )
    parser.add_argument("--requests", type=int, default=40, help="requests per client (python generator)")
    parser.add_argument(
        "--workers", type=int, default=min(os.cpu_count() or 1, 4), help="obert web processes (OBERT_WORKERS)"
    )
    parser.add_argument("--access-log", action="store_true", help="keep obert's per-request console line")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/obert-bench-http"))
    parser.add_argument("--datasette", default=shutil.which("datasette"))
    parser.add_argument(
        "--datasette-workers", type=int, default=None, help="datasette processes (default: as obert)"
    )
    parser.add_argument("--sqlite-utils", dest="sqlite_utils", default=shutil.which("sqlite-utils"))
    parser.add_argument("--loader", choices=("sqlite3", "sqlite-utils"), default="sqlite3")
    parser.add_argument(
        "--before-code",
        type=Path,
        default=None,
        help="also serve obert from this source tree (an older checkout), in the same run: before/after",
    )
    parser.add_argument(
        "--offsets", type=int, default=60, help="uncached run: pages per neighbourhood (73 of them)"
    )
    args = parser.parse_args()
    if args.generator == "auto":
        args.generator = "wrk" if args.wrk else "python"
    if args.generator == "wrk" and not args.wrk:
        raise SystemExit(
            "wrk is not on PATH (Debian: apt-get install wrk); --generator python works without it"
        )
    if args.datasette_workers is None:
        args.datasette_workers = args.workers
    args.workdir.mkdir(parents=True, exist_ok=True)
    csv = args.workdir / f"accidents_{args.rows}.csv"
    if not csv.exists():
        make_csv(csv, args.rows)
    print(
        f"table: {csv} ({csv.stat().st_size / 1e6:.1f} MB, {args.rows} rows); {args.clients} clients, "
        f"load generator {args.generator}; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
    )

    data_dir = args.workdir / "obert-data"
    if not (data_dir / "tables").exists():
        prepare_obert(csv, data_dir)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    district_urls = [
        f"{base}/api/v1/datastore/accidents/rows?Nom_districte={quote(d)}&limit=100" for d in DISTRICTS
    ]
    serve = [sys.executable, "-c", SERVE, "serve", "--port", str(port)]
    # A production configuration; the read budget stays on (its cost is part of every request) but is set
    # high enough never to refuse.
    env = {
        "OBERT_MODE": "production",
        "OBERT_SECRET_KEY": secrets.token_urlsafe(32),
        "OBERT_DATA_DIR": str(data_dir),
        "OBERT_JOB_THREADS": "0",
        "OBERT_RATE_LIMIT_READS": "10000000 per minute",
        "OBERT_WORKERS": str(args.workers),
        "OBERT_ACCESS_LOG": "true" if args.access_log else "false",
    }
    how = f"obert serve, {args.workers} worker{'s' if args.workers > 1 else ''}"
    how += ", access log on" if args.access_log else ", access log off"
    if args.before_code:
        old_env = {**env, "PYTHONPATH": str(args.before_code)}
        old_serve = [sys.executable, "-c", SERVE_BEFORE, str(port)]
        before = measure(
            "obert-old", old_serve, district_urls, args, '"count"', env=old_env, code=args.before_code
        )
        print(before.line() + f"  (served from {args.before_code}: 1 process, access log off)")
    code_env = {**env, "PYTHONPATH": str(ROOT)}
    obert = measure("obert", serve, district_urls, args, '"count"', env=code_env)
    print(obert.line() + f"  ({how}) cached: the ten district pages, again and again")
    pages = uncached_pages(data_dir, args.offsets)
    print(
        f"uncached: {len(pages)} different pages ({len({b for b, _, _ in pages})} neighbourhoods x "
        f"{args.offsets} offsets spread over each one's rows), each asked once, in a shuffled order"
    )
    order = list(range(len(pages)))
    random.Random(22).shuffle(order)
    page_urls = [
        f"{base}/api/v1/datastore/accidents/rows?Nom_barri={quote(pages[i][0])}&limit=100&offset={pages[i][1]}"
        for i in order
    ]
    cold = measure("obert*", serve, page_urls, args, '"count"', env=code_env, warm=False)
    print(cold.line() + f"  ({how}) * uncached, cold: a fresh server")
    # Each process marks a neighbourhood's rows (and counts them) on its first page there, once per
    # version and filter, and keeps a version in memory after a few pages (OBERT_DATASTORE_MEMORY_MB).
    # Priming asks each neighbourhood for one row at a few offsets, so that every process sees it, and
    # no page of the run.
    prime = [
        f"{base}/api/v1/datastore/accidents/rows?Nom_barri={quote(b)}&limit=1&offset={k}"
        for k in range(2 * args.workers)
        for b in sorted({b for b, _, _ in pages})
    ]
    uncached = measure("obert*", serve, page_urls, args, '"count"', env=code_env, warm=False, prime=prime)
    print(uncached.line() + f"  ({how}) * uncached pages, each filter's count and marks computed before")
    for got in (cold, uncached):
        if got.requests > len(pages):
            print(f"  (more requests than the {len(pages)} different pages: shorten --duration)")
    print(f"engine alone, the same pages: {engine_alone(data_dir, [pages[i] for i in order[:300]])}")

    if not args.datasette or (args.loader == "sqlite-utils" and not args.sqlite_utils):
        print("datasette: not measured (pass --datasette [and --sqlite-utils], or put them on PATH)")
        return
    db = args.workdir / "accidents.db"
    if not db.exists():
        started = time.perf_counter()
        load_sqlite(args, csv, db, data_dir)
        print(f"{args.loader} load into SQLite: {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    subprocess.run(["sqlite3", str(db)], input=INDEXES.encode(), check=True)
    print(f"SQLite indexes on the two filtered columns: {time.perf_counter() - started:.1f} s")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    urls = [
        f"{base}/accidents/t.json?Nom_districte={quote(d)}&_size=100&_shape=objects&_nosuggest=1"
        for d in DISTRICTS
    ]
    cmd, peer_how = datasette_command(args, db, port)
    peer = measure(
        "datasette", cmd, urls, args, "filtered_table_rows_count", duration=args.datasette_duration
    )
    print(peer.line() + f"  ({peer_how}) cached figures' workload, with its count")
    # Datasette pages a rowid table by keyset (`_next` = the rowid before the page; SQLite's rowid is the
    # file row number + 1); its fast path: no count, no facets, no suggestions.
    peer_urls = []
    for i in order:
        barri, _, before = pages[i]
        after = "" if before is None else f"&_next={before + 1}"
        peer_urls.append(
            f"{base}/accidents/t.json?Nom_barri={quote(barri)}&_size=100&_shape=objects&_nosuggest=1"
            f"&_nocount=1&_nofacet=1{after}"
        )
    peer_uncached = measure(
        "datasette*", cmd, peer_urls, args, '"rows"', duration=args.datasette_duration, warm=False
    )
    print(peer_uncached.line() + f"  ({peer_how}) * the same uncached pages, without counts")
    print(
        f"ratio obert / datasette req/s, cached: {obert.rps / peer.rps:.1f}x; "
        f"uncached: {uncached.rps / peer_uncached.rps:.1f}x (cold {cold.rps / peer_uncached.rps:.1f}x) "
        "(target: uncached >= 300 req/s, p50 <= 40 ms; "
        f"obert* {uncached.rps:.0f} req/s, p50 {uncached.p50 * 1000:.1f} ms)"
    )


INDEXES = """
CREATE INDEX IF NOT EXISTS t_barri ON t ("Nom_barri");
CREATE INDEX IF NOT EXISTS t_districte ON t ("Nom_districte");
"""


def uncached_pages(data_dir: Path, offsets: int) -> list[tuple[str, int, int | None]]:
    """(neighbourhood, offset, file row number of the match before the page or None) for `offsets` pages
    of 100 rows spread over each neighbourhood's matches."""
    import duckdb

    version = next((data_dir / "tables").rglob("*.parquet"))
    con = duckdb.connect()
    src = f"read_parquet('{version}', file_row_number = true)"
    counts = con.execute(f"SELECT Nom_barri, count(*) FROM {src} GROUP BY 1 ORDER BY 1").fetchall()
    pages = []
    for barri, count in counts:
        if barri is None or count < 100:
            continue
        last = count - 100
        wanted = sorted({round(last * k / max(1, offsets - 1)) for k in range(offsets)})
        numbers = [
            r[0]
            for r in con.execute(
                f"SELECT file_row_number FROM {src} WHERE Nom_barri = ? ORDER BY 1", [barri]
            ).fetchall()
        ]
        pages += [(barri, off, numbers[off - 1] if off else None) for off in wanted]
    return pages


def engine_alone(data_dir: Path, pages: list[tuple[str, int, int | None]]) -> str:
    """DuckDB alone on the same Parquet file and pages (page + count by LIMIT/OFFSET), one thread of
    this process, and from an in-memory table: the engine's own cost, for the ratio."""
    import duckdb

    version = next((data_dir / "tables").rglob("*.parquet"))
    con = duckdb.connect(config={"threads": "2"})
    con.execute(f"CREATE VIEW p AS SELECT * FROM read_parquet('{version}')")
    out = []
    for name in ("p", "m"):
        if name == "m":
            con.execute("CREATE TABLE m AS SELECT * FROM p")
        times = []
        for barri, off, _ in pages:
            started = time.perf_counter()
            con.execute(
                f"SELECT * FROM {name} WHERE Nom_barri = ? LIMIT 100 OFFSET ?", [barri, off]
            ).fetchall()
            con.execute(f"SELECT count(*) FROM {name} WHERE Nom_barri = ?", [barri]).fetchall()
            times.append(time.perf_counter() - started)
        label = "Parquet" if name == "p" else "in-memory table"
        out.append(f"{label} p50 {statistics.median(times) * 1000:.1f} ms")
    return ", ".join(out) + f" ({len(pages)} pages, page + count, one client)"


if __name__ == "__main__":
    main()
