"""Harvest benchmark: a first harvest of a generated CKAN portal on 127.0.0.1, then a re-harvest with
nothing changed, and one after a few changes; at each size, into each kind of store.

usage: PYTHONPATH=. .venv/bin/python bench/harvest.py [--sizes 10000 100000] [--rows 1000]
           [--postgres postgresql+psycopg://root@127.0.0.1:5432/test] [--database URL]

The portal serves `package_search` pages of `--rows` packages (two resources each) from a real threaded
HTTP server; obert harvests it through its guarded HTTP client into a fresh SQLite store and, with
`--postgres`, into a fresh database made on that server for each size (dropped afterwards); `--database`
harvests into that one store only. Prints the time of each run, its CPU seconds (this process, which holds
the fake portal too, plus the PostgreSQL server processes serving the store's connections, read from
/proc: the server must run on this machine) and the process's peak RSS after it (the fake portal's own
packages live in the same process), then the first harvest's cost per dataset at each size and mode, by
wall clock and by CPU, its growth from the smallest size, and PostgreSQL against the embedded mode. On a
shared machine the CPU figures are the ones to read: wall clock is mostly waiting for a core. Targets: first
run of 10,000 datasets in at most 60 s, unchanged re-harvest in at most 5 s; the cost per dataset flat
from 10k to 100k in both modes, and PostgreSQL within 2x of the embedded mode.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from bench.relevance import postgres_database
from obert.auth import SYSTEM
from obert.harvest.fetch import Fetcher
from obert.harvest.models import SourceInput
from obert.harvest.runner import HarvestContext, run_harvest
from obert.harvest.sources import create_source, get_source
from obert.http import Allowlist, HttpClient
from obert.portal import build_portal
from obert.settings import Settings
from obert.storage import Store
from tests.harvest.servers import FakeCkan, serve


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=None)
    parser.add_argument("--datasets", type=int, default=10_000, help="one size (when --sizes is not given)")
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--postgres", default=None, help="PostgreSQL server: a database per size on it")
    parser.add_argument("--database", default=None, help="harvest into this store only")
    args = parser.parse_args()
    sizes = args.sizes or [args.datasets]
    first: dict[tuple[str, int], Cost] = {}
    for size in sizes:
        if args.database:
            first[("given", size)] = harvest(size, args.rows, args.database)
            continue
        first[("sqlite", size)] = harvest(size, args.rows, None)
        if args.postgres:
            with postgres_database(args.postgres, prefix="obert_harvest") as url:
                first[("postgresql", size)] = harvest(size, args.rows, url)
    print(f"\nfirst harvest, per dataset (load average {' '.join(f'{n:.1f}' for n in os.getloadavg())})")
    for (mode, size), cost in first.items():
        per, per_cpu = cost.wall / size * 1000, cost.cpu / size * 1000
        smallest = first[(mode, sizes[0])]
        wall_then, cpu_then = smallest.wall / sizes[0] * 1000, smallest.cpu / sizes[0] * 1000
        growth = (
            f"  x{per / wall_then:.2f} wall, x{per_cpu / cpu_then:.2f} CPU the cost at {sizes[0]:,}"
            if size != sizes[0]
            else ""
        )
        embedded = first.get(("sqlite", size))
        against = (
            f"  x{cost.wall / embedded.wall:.2f} wall, x{cost.cpu / embedded.cpu:.2f} CPU the embedded mode"
            if mode == "postgresql" and embedded
            else ""
        )
        print(
            f"  {mode:<10} {size:>9,}  {cost.wall:8.1f} s  {per:6.2f} ms a dataset, CPU {per_cpu:6.2f} ms"
            f"{growth}{against}"
        )


@dataclass(frozen=True)
class Cost:
    wall: float
    cpu: float


def server_cpu(store: Store) -> float:
    """CPU seconds spent so far by the PostgreSQL server processes serving this store's database (0 on
    SQLite, whose work is this process's). Read from /proc, so the server must run on this machine."""
    if store.backend != "postgresql":
        return 0.0
    with store.read() as conn:
        pids = conn.execute(
            sa.text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        ).scalars()
        ticks = 0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # gone, or another machine's
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def harvest(size: int, rows: int, database: str | None) -> Cost:
    """Harvest a portal of `size` datasets into a fresh store at `database` (SQLite when None); the first
    harvest's wall and CPU seconds."""
    data_dir = Path(tempfile.mkdtemp(prefix="obert-bench-harvest-"))
    portal = build_portal(Settings(mode="test", data_dir=data_dir, database_url=database))
    http = HttpClient(allowlist=Allowlist.parse("127.0.0.1"), timeout=60)
    ctx = HarvestContext(
        store=portal.store, files=portal.files, fetcher=Fetcher(http, per_second=1000, retries=0)
    )
    ckan = FakeCkan(size)
    costs: list[Cost] = []
    with serve(ckan.route) as server:
        create_source(
            store=portal.store,
            actor=SYSTEM,
            data=SourceInput(name="bench", type="ckan", url=server.url, config={"rows": rows}),
        )

        def timed(label: str, **config: object) -> None:
            source = get_source(store=portal.store, actor=SYSTEM, ref="bench")
            if config:
                source = source.model_copy(update={"config": {**source.config, **config}})
            started, cpu = time.perf_counter(), time.process_time() + server_cpu(portal.store)
            report = run_harvest(ctx=ctx, source=source)
            elapsed = time.perf_counter() - started
            costs.append(Cost(elapsed, time.process_time() + server_cpu(portal.store) - cpu))
            # Peak resident memory of the process so far: flat across runs means no growth per dataset.
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(
                f"{label:<34} {elapsed:7.2f} s  CPU {costs[-1].cpu:7.2f} s  max RSS {peak:6.0f} MiB  "
                f"{report.state} {dict(sorted(report.counts.items()))}",
                flush=True,
            )

        print(f"{size} datasets, {rows} a page, store {portal.store.backend}")
        timed("first harvest")
        timed("re-harvest, nothing changed")
        timed("full re-harvest, nothing changed", full=True)
        for n in range(0, size, max(1, size // 10)):
            ckan.modify(n, f"Changed {n}")
        ckan.remove(1)
        timed("re-harvest, 10 changed, 1 removed")
    http.close()
    portal.close()
    shutil.rmtree(data_dir, ignore_errors=True)
    return costs[0]


if __name__ == "__main__":
    main()
