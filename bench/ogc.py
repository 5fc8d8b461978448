"""OGC API - Features benchmark: a 1,000-feature items page of the accidents table and a bbox query over a
1,000,000-point table, each beside the bare DuckDB query of the same rows in the same run.

usage: PYTHONPATH=. .venv/bin/python bench/ogc.py [--points 1000000] [--runs 30]
           [--workdir /tmp/obert-bench-ogc]

Loads the demo catalogue (its 9,936-row 2018 accidents table) and a generated table of `--points` random
points over Barcelona into an obert data dir, serves it with uvicorn in another process on 127.0.0.1 (no job
threads) and times, one request after another over one keep-alive connection:

- `GET /api/ogc/collections/accidents-gu-bcn-2018/items?limit=1000&offset=N` (N varies), against DuckDB's
  `SELECT * FROM read_parquet(version) LIMIT 1000 OFFSET N` on the same file (target p50 ≤ 50 ms);
- `GET /api/ogc/collections/<points>/items?bbox=…` (a different 0.01° box each time, default limit 10,
  with numberMatched), against DuckDB's count and first 10 rows of the same box on the same file
  (target p50 ≤ 100 ms).

The first bbox request builds the table's position index (reported apart); later ones use it. Prints
medians, p95, the obert/DuckDB ratios and the server process's CPU time per items page (from /proc, so
a loaded machine does not inflate it as it does wall-clock times). Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from obert.app import create_app  # noqa: E402
from obert.auth import SYSTEM  # noqa: E402
from obert.catalog import datasets, resources  # noqa: E402
from obert.catalog.common import validated  # noqa: E402
from obert.catalog.models import DatasetInput  # noqa: E402
from obert.demo import catalog_settings, load_demo  # noqa: E402
from obert.portal import build_portal  # noqa: E402
from obert.settings import Settings  # noqa: E402
from obert.tableservice.published import open_version  # noqa: E402

ACCIDENTS = "accidents-gu-bcn-2018"
POINTS = "punts-bench-taula"
BCN = (2.06, 41.33, 2.22, 41.46)
SERVE = """
import sys, uvicorn
from pathlib import Path
from obert.app import create_app
from obert.demo import catalog_settings
from obert.settings import Settings
settings = Settings(mode="test", data_dir=Path(sys.argv[1]), base_url=sys.argv[2], job_threads=0,
                    rate_limits_enabled=False, **catalog_settings())
uvicorn.run(create_app(settings), host="127.0.0.1", port=int(sys.argv[3]), log_level="warning",
            access_log=False)
"""


def _points_csv(path: Path, count: int) -> None:
    rng = random.Random(19)
    districts = ["Ciutat Vella", "Eixample", "Sants-Montjuïc", "Les Corts", "Gràcia", "Sant Martí"]
    with path.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["id", "Nom_districte", "valor", "Longitud", "Latitud"])
        for i in range(count):
            out.writerow(
                [
                    i + 1,
                    districts[i % len(districts)],
                    i % 97,
                    round(rng.uniform(BCN[0], BCN[2]), 6),
                    round(rng.uniform(BCN[1], BCN[3]), 6),
                ]
            )


def _load(workdir: Path, points: int) -> tuple[Path, Path]:
    """The data dir, with the demo and the generated table; returns the two tables' Parquet files."""
    settings = Settings(mode="test", data_dir=workdir / "data", job_threads=0, **catalog_settings())
    portal = build_portal(settings)
    load_demo(portal)
    source = workdir / "punts.csv"
    started = time.perf_counter()
    _points_csv(source, points)
    dataset = datasets.create_dataset(
        store=portal.store,
        actor=SYSTEM,
        data=validated(
            DatasetInput,
            {"name": "punts-bench", "title": {"en": "Random points"}, "resources": [{"name": POINTS}]},
        ),
    )
    with source.open("rb") as stream:
        resources.attach_upload(
            store=portal.store,
            files=portal.files,
            actor=SYSTEM,
            ref=dataset.resources[0].id,
            filename=source.name,
            stream=stream,
            max_bytes=10**10,
        )
    runner = portal.job_runner(1)
    while runner.run_once():
        pass
    print(f"generated and ingested {points:,} points in {time.perf_counter() - started:.1f} s")
    paths = tuple(
        open_version(store=portal.store, actor=SYSTEM, tables=portal.tables, ref=ref).path
        for ref in (ACCIDENTS, POINTS)
    )
    portal.close()
    return paths[0], paths[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _time(run: Callable[[int], object], runs: int) -> list[float]:
    out = []
    for i in range(runs):
        started = time.perf_counter()
        run(i)
        out.append((time.perf_counter() - started) * 1000)
    return out


def _cpu_seconds(pid: int) -> float:
    """The CPU time process `pid` has used (user and system, every thread): what a request costs the
    server, which the machine's load does not inflate as it does the wall-clock times."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _line(name: str, ms: list[float]) -> float:
    p50 = statistics.median(ms)
    p95 = sorted(ms)[max(0, int(len(ms) * 0.95) - 1)]
    print(f"  {name:<34} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   ({len(ms)} runs)")
    return p50


def _box(i: int) -> tuple[float, float, float, float]:
    rng = random.Random(i)
    west = rng.uniform(BCN[0], BCN[2] - 0.01)
    south = rng.uniform(BCN[1], BCN[3] - 0.01)
    return (round(west, 5), round(south, 5), round(west + 0.01, 5), round(south + 0.01, 5))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/obert-bench-ogc"))
    args = parser.parse_args()
    shutil.rmtree(args.workdir, ignore_errors=True)
    args.workdir.mkdir(parents=True)
    accidents, points = _load(args.workdir, args.points)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(args.workdir / "data"), url, str(port)],
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    try:
        client = httpx.Client(base_url=url, timeout=60)
        deadline = time.monotonic() + 60
        while True:
            try:
                client.get("/health")
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        con = duckdb.connect()
        settings = Settings(
            mode="test", data_dir=args.workdir / "data", job_threads=0, rate_limits_enabled=False,
            **catalog_settings(),
        )  # fmt: skip
        _run(client, con, accidents, points, args.runs, settings, server.pid)
    finally:
        server.terminate()
        server.wait(10)


def _in_process(settings: Settings, path: str, runs: int) -> list[float]:
    """The items page answered by the app in this process through ASGI: the server's own time, without
    uvicorn and the loopback socket (which cost most on a loaded machine for a 770 kB page)."""

    async def timed() -> list[float]:
        transport = httpx.ASGITransport(app=create_app(settings))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            await client.get(path, params={"limit": 1000})
            out = []
            for i in range(runs):
                started = time.perf_counter()
                response = await client.get(path, params={"limit": 1000, "offset": (i % 9) * 1000})
                out.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
            return out

    return asyncio.run(timed())


def _run(
    client: httpx.Client,
    con: duckdb.DuckDBPyConnection,
    accidents: Path,
    points: Path,
    runs: int,
    settings: Settings,
    server_pid: int,
) -> None:
    page = f"/api/ogc/collections/{ACCIDENTS}/items"

    def items(i: int) -> None:
        response = client.get(page, params={"limit": 1000, "offset": (i % 9) * 1000})
        assert response.status_code == 200 and response.content.endswith(b"]}")

    started = time.perf_counter()
    first_page = client.get(page, params={"limit": 1000}).json()
    first_ms = (time.perf_counter() - started) * 1000
    assert len(first_page["features"]) == 1000 and first_page["numberMatched"] == 9936
    started = time.perf_counter()
    items(1)
    second_ms = (time.perf_counter() - started) * 1000

    def bare_items(i: int) -> None:
        rows = con.execute(
            f"SELECT * FROM read_parquet('{accidents}') LIMIT 1000 OFFSET {(i % 9) * 1000}"
        ).fetchall()
        assert len(rows) == 1000

    time.sleep(5)  # the server makes the small version whole in the background after its first page
    items(0)  # the version opened, its features in memory: what a served table's readers meet
    print(f"\n1,000-feature page of the {ACCIDENTS} table (9,936 rows):")
    print(f"  first page of the version (opens it; answered from its own rows): {first_ms:.0f} ms")
    print(f"  second page, right after it (while the version is made whole): {second_ms:.0f} ms")
    cpu = _cpu_seconds(server_pid)
    obert_items = _line("obert GET …/items?limit=1000", _time(items, runs))
    per_request = (_cpu_seconds(server_pid) - cpu) / runs * 1000
    print(f"    server CPU per request (all its threads): {per_request:.1f} ms")
    _line("  the same, in process (no socket)", _in_process(settings, page, runs))
    duck_items = _line("DuckDB SELECT … LIMIT 1000", _time(bare_items, runs))

    boxes = f"/api/ogc/collections/{POINTS}/items"
    started = time.perf_counter()
    client.get(boxes, params={"bbox": ",".join(map(str, _box(-1)))})
    first = (time.perf_counter() - started) * 1000
    matched: list[int] = []

    def bbox(i: int) -> None:
        response = client.get(boxes, params={"bbox": ",".join(map(str, _box(i)))})
        assert response.status_code == 200
        matched.append(int(response.content.split(b'"numberMatched":', 1)[1].split(b",", 1)[0]))

    def bare_bbox(i: int) -> None:
        w, s, e, n = _box(i)
        where = f"Longitud BETWEEN {w} AND {e} AND Latitud BETWEEN {s} AND {n}"
        source = f"read_parquet('{points}')"
        con.execute(f"SELECT count(*) FROM {source} WHERE {where}").fetchall()
        con.execute(f"SELECT * FROM {source} WHERE {where} LIMIT 10").fetchall()

    size = points.stat().st_size / 1e6
    print(f"\nbbox query (0.01° box, limit 10, numberMatched) over {POINTS} ({size:.0f} MB):")
    print(f"  first request, building the position index: {first:.0f} ms")
    obert_bbox = _line("obert GET …/items?bbox=…", _time(bbox, runs))
    duck_bbox = _line("DuckDB count + first 10 in the box", _time(bare_bbox, runs))
    print(f"  (boxes matched {min(matched):,}–{max(matched):,} points)")

    print("\nratios obert / DuckDB (p50):")
    print(
        f"  items page: {obert_items / duck_items:.2f}   (target: p50 ≤ 50 ms, measured {obert_items:.1f} ms)"
    )
    print(
        f"  bbox:       {obert_bbox / duck_bbox:.2f}   (target: p50 ≤ 100 ms, measured {obert_bbox:.1f} ms)"
    )


if __name__ == "__main__":
    main()
