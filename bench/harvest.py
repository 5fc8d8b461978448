"""Harvest benchmark: a first harvest of a generated CKAN portal on 127.0.0.1, then a re-harvest with
nothing changed, and one after a few changes.

usage: PYTHONPATH=. .venv/bin/python bench/harvest.py [--datasets 10000] [--rows 1000] [--database URL]

The portal serves `package_search` pages of `--rows` packages (two resources each) from a real threaded
HTTP server; obert harvests it through its guarded HTTP client into a fresh SQLite store (or
`--database`, e.g. a PostgreSQL URL). Prints the time of each run and the process's peak RSS after it (the
fake portal's own packages live in the same process). Targets: first
run of 10,000 datasets in at most 60 s, unchanged re-harvest in at most 5 s.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from obert.auth import SYSTEM
from obert.harvest.fetch import Fetcher
from obert.harvest.models import SourceInput
from obert.harvest.runner import HarvestContext, run_harvest
from obert.harvest.sources import create_source, get_source
from obert.http import Allowlist, HttpClient
from obert.portal import build_portal
from obert.settings import Settings
from tests.harvest.servers import FakeCkan, serve


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--datasets", type=int, default=10_000)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--database", default=None)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="obert-bench-harvest-"))
    portal = build_portal(Settings(mode="test", data_dir=data_dir, database_url=args.database))
    http = HttpClient(allowlist=Allowlist.parse("127.0.0.1"), timeout=60)
    ctx = HarvestContext(
        store=portal.store, files=portal.files, fetcher=Fetcher(http, per_second=1000, retries=0)
    )
    ckan = FakeCkan(args.datasets)
    with serve(ckan.route) as server:
        create_source(
            store=portal.store,
            actor=SYSTEM,
            data=SourceInput(name="bench", type="ckan", url=server.url, config={"rows": args.rows}),
        )

        def timed(label: str, **config: object) -> None:
            source = get_source(store=portal.store, actor=SYSTEM, ref="bench")
            if config:
                source = source.model_copy(update={"config": {**source.config, **config}})
            started = time.perf_counter()
            report = run_harvest(ctx=ctx, source=source)
            elapsed = time.perf_counter() - started
            # Peak resident memory of the process so far: flat across runs means no growth per dataset.
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(
                f"{label:<34} {elapsed:7.2f} s  max RSS {peak:6.0f} MiB  "
                f"{report.state} {dict(sorted(report.counts.items()))}"
            )

        print(f"{args.datasets} datasets, {args.rows} a page, store {portal.store.backend}")
        timed("first harvest")
        timed("re-harvest, nothing changed")
        timed("full re-harvest, nothing changed", full=True)
        for n in range(0, args.datasets, max(1, args.datasets // 10)):
            ckan.modify(n, f"Changed {n}")
        ckan.remove(1)
        timed("re-harvest, 10 changed, 1 removed")
    http.close()
    portal.close()


if __name__ == "__main__":
    main()
