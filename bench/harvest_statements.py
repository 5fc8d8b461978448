"""Where a first harvest's CPU goes as the catalogue grows: each SQL statement's CPU time (and the
commits'), summed per slice of datasets created, on SQLite.

usage: PYTHONPATH=. .venv/bin/python bench/harvest_statements.py [--datasets 100000] [--slice 10000]

Harvests bench/harvest.py's generated CKAN portal into a fresh SQLite store, timing every statement
with SQLAlchemy's cursor events (this thread's CPU time: the harvest runs in one thread) and every
commit, and prints, for the statements that cost most, the CPU milliseconds per 1,000 datasets in each
slice (the first 10,000 created, the next 10,000...), then the harvest thread's and the process's. A
statement whose figure grows from slice to slice is one whose cost grows with the catalogue.
"""

from __future__ import annotations

import argparse
import re
import shutil
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection

from obert.auth import SYSTEM
from obert.harvest import runner
from obert.harvest.fetch import Fetcher
from obert.harvest.models import SourceInput
from obert.harvest.runner import HarvestContext, run_harvest
from obert.harvest.sources import create_source, get_source
from obert.http import Allowlist, HttpClient
from obert.portal import build_portal
from obert.settings import Settings
from tests.harvest.servers import FakeCkan, serve


class Timings:
    def __init__(self, per_slice: int) -> None:
        self.per_slice = per_slice
        self.created = 0
        # slice -> statement -> CPU seconds
        self.cpu: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        self.totals: dict[int, dict[str, float]] = defaultdict(dict)

    @property
    def slice(self) -> int:
        return self.created // self.per_slice

    def add(self, statement: str, seconds: float) -> None:
        self.cpu[self.slice][statement] += seconds


def _key(statement: str) -> str:
    text = re.sub(r"\s+", " ", statement).strip()
    text = re.sub(r"\((\?, )+\?\)(, \((\?, )+\?\))*", "(?...)", text)
    return re.sub(r"__\[POSTCOMPILE_\w+\]", "(...)", text)[:100]


@contextmanager
def timed(timings: Timings, engine: Any) -> Iterator[None]:
    """Time each statement and commit on `engine`, and count the datasets the runner creates."""

    def before(conn: Connection, *_: object) -> None:
        conn.info["bench_started"] = time.thread_time()

    def after(conn: Connection, _cursor: object, statement: str, *_: object) -> None:
        timings.add(_key(statement), time.thread_time() - conn.info.pop("bench_started"))

    commit = Connection._commit_impl

    def timed_commit(self: Connection) -> None:
        started = time.thread_time()
        try:
            commit(self)
        finally:
            timings.add("COMMIT", time.thread_time() - started)

    flush = runner._RunState.flush
    marks = {"thread": time.thread_time(), "process": time.process_time(), "slice": 0}

    def counted_flush(self: runner._RunState) -> list[Any]:
        reports = flush(self)
        timings.created += len(reports)
        if timings.slice != marks["slice"]:
            done = int(marks["slice"])
            timings.totals[done] = {
                "harvest thread": time.thread_time() - marks["thread"],
                "process": time.process_time() - marks["process"],
            }
            marks.update(thread=time.thread_time(), process=time.process_time(), slice=timings.slice)
        return reports

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    Connection._commit_impl = timed_commit  # type: ignore[method-assign]
    runner._RunState.flush = counted_flush  # type: ignore[method-assign]
    try:
        yield
    finally:
        runner._RunState.flush = flush  # type: ignore[method-assign]
        Connection._commit_impl = commit  # type: ignore[method-assign]
        event.remove(engine, "after_cursor_execute", after)
        event.remove(engine, "before_cursor_execute", before)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--datasets", type=int, default=100_000)
    parser.add_argument("--slice", type=int, default=10_000)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="obert-bench-statements-"))
    portal = build_portal(Settings(mode="test", data_dir=data_dir))
    http = HttpClient(allowlist=Allowlist.parse("127.0.0.1"), timeout=60)
    ctx = HarvestContext(
        store=portal.store, files=portal.files, fetcher=Fetcher(http, per_second=1000, retries=0)
    )
    timings = Timings(args.slice)
    with serve(FakeCkan(args.datasets).route) as server:
        config = {"rows": args.rows}
        create_source(
            store=portal.store,
            actor=SYSTEM,
            data=SourceInput(name="bench", type="ckan", url=server.url, config=config),
        )
        source = get_source(store=portal.store, actor=SYSTEM, ref="bench")
        started = time.perf_counter()
        with timed(timings, portal.store.engine):
            report = run_harvest(ctx=ctx, source=source)
        print(f"{args.datasets:,} datasets in {time.perf_counter() - started:.1f} s: {report.counts}")
    http.close()
    portal.close()
    shutil.rmtree(data_dir, ignore_errors=True)

    slices = sorted(timings.totals)
    per = 1000 / args.slice * 1000  # seconds per slice -> milliseconds per 1,000 datasets
    names = {name for s in slices for name in timings.cpu[s]}
    ranked = sorted(names, key=lambda n: -sum(timings.cpu[s][n] for s in slices))
    print(f"\nCPU ms per 1,000 datasets, by slice of {args.slice:,} created")
    print(" " * 100 + "".join(f"{s * args.slice // 1000:>6}k" for s in slices))
    for name in ranked[: args.top]:
        print(f"{name:<100}" + "".join(f"{timings.cpu[s][name] * per:7.1f}" for s in slices))
    for total in ("harvest thread", "process"):
        print(f"{total:<100}" + "".join(f"{timings.totals[s][total] * per:7.1f}" for s in slices))


if __name__ == "__main__":
    main()
