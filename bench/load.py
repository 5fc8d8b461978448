"""Load and fault harness: the sustained rate with p99 < 500 ms and no errors, and recovery from faults.

    PYTHONPATH=. .venv/bin/python bench/load.py --mode embedded [--levels 2,4,8,16] [--step 20]
    PYTHONPATH=. .venv/bin/python bench/load.py --mode scale-out --serve 2 --workers 2 \
        --postgres postgresql+psycopg://root@127.0.0.1:5432/test --redis redis://127.0.0.1:6379/0 \
        [--private-postgres] [--private-redis] [--fault kill-web,kill-worker,restart-postgres,restart-redis]
    PYTHONPATH=. .venv/bin/python bench/load.py --mode both --rounds 2 --light --serve 1 --web-workers 2 \
        --workers 1 --postgres … --redis …   # embedded and scale-out alternated, then side by side

Starts obert (bench/cluster.py), then a concurrency sweep: each level runs closed-loop clients for `--step`
seconds over the request mix of bench/load_mix.py, and the highest throughput whose p99 stays under 500 ms
with zero errors is the sustained rate. Resident memory of every server process is sampled each second.
Each fault then runs at `--fault-concurrency` clients: the fault strikes a third of the way in, the harness
waits for every /health, and checks that the errors were confined to the fault (requests in flight at a
killed process, or the outage of PostgreSQL) and that every accepted write is there (bench/load_mix.py).
`--json FILE` writes the figures for tests.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import statistics
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cluster import Cluster, _libpq, add_arguments, from_arguments
from cluster_procs import Proc, named_cpu_seconds, rss_bytes, tree_cpu_seconds
from load_mix import MIX, READS, Balancer, Client, Ledger, Sample, drive, verify

P99_BUDGET = 0.5
BIG_CSV = Path(__file__).resolve().parent.parent / "obert" / "demo" / "files" / "2018_accidents_gu_bcn.csv"
FAULTS = ("kill-web", "kill-worker", "restart-postgres", "restart-redis", "fill-disk")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summarise(samples: list[Sample], seconds: float) -> dict[str, Any]:
    latencies = [s.seconds for s in samples]
    errors = [s for s in samples if s.error]
    by_op: dict[str, list[float]] = {}
    for s in samples:
        by_op.setdefault(s.op, []).append(s.seconds)
    mix = {
        op: {
            "n": len(v),
            "p50_ms": round(percentile(v, 0.5) * 1000),
            "p99_ms": round(percentile(v, 0.99) * 1000),
        }
        for op, v in sorted(by_op.items())
    }
    return {
        "requests": len(samples),
        "rps": round(len(samples) / seconds, 1),
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 1),
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "errors": len(errors),
        "error_examples": sorted({f"{s.op} {s.error}"[:160] for s in errors})[:5],
        "mix": mix,
    }


@dataclass
class MemorySampler:
    """RSS of each server process every second, by process name (a restarted process starts a new series)."""

    procs: Callable[[], list[Proc]]
    series: dict[str, list[tuple[float, int]]] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        started = time.monotonic()
        while not self._stop.wait(1.0):
            for proc in self.procs():
                if proc.pid and (rss := rss_bytes(proc.pid)) is not None:
                    key = f"{proc.name}#{proc.restarts}"
                    self.series.setdefault(key, []).append((time.monotonic() - started, rss))

    def __enter__(self) -> MemorySampler:
        threading.Thread(target=self.run, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()

    def report(self) -> dict[str, dict[str, float]]:
        out = {}
        for key, points in self.series.items():
            if len(points) < 2:
                continue
            mib = [rss / 2**20 for _, rss in points]
            half = points[len(points) // 2 :]
            slope = _slope([t for t, _ in half], [r / 2**20 for _, r in half]) * 60
            out[key] = {
                "first_mib": round(mib[0], 1),
                "max_mib": round(max(mib), 1),
                "last_mib": round(mib[-1], 1),
                "second_half_mib_per_min": round(slope, 2),
                "each_minute_mib": _each_minute(points),
            }
        return out


def _each_minute(points: list[tuple[float, int]]) -> list[int]:
    """The first sample of each minute, in MiB."""
    seen: dict[int, int] = {}
    for t, rss in points:
        seen.setdefault(int(t // 60), round(rss / 2**20))
    return list(seen.values())


def _slope(xs: list[float], ys: list[float]) -> float:
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else 0.0


async def run_level(
    cluster: Cluster, ledger: Ledger, clients: int, seconds: float, seed: int, *, reads_only: bool = False
) -> tuple[list[Sample], float]:
    samples: list[Sample] = []
    balancer = Balancer(cluster.bases)
    limits = httpx.Limits(max_connections=clients * 2, max_keepalive_connections=clients * 2)
    async with httpx.AsyncClient(timeout=30, limits=limits) as http:
        started = time.monotonic()
        until = started + seconds
        lanes = [
            Client(http, balancer, cluster.token, ledger, samples, lane, random.Random(seed * 1000 + lane))
            for lane in range(clients)
        ]
        mix = READS if reads_only else MIX
        await asyncio.gather(*(drive(lane, until, mix) for lane in lanes))
        return samples, time.monotonic() - started


async def sweep(cluster: Cluster, ledger: Ledger, levels: list[int], seconds: float) -> dict[str, Any]:
    results = []
    best: dict[str, Any] | None = None
    for n, clients in enumerate(levels):
        cpu = _cpu(cluster)
        samples, took = await run_level(cluster, ledger, clients, seconds, seed=n)
        used = {k: v - cpu[k] for k, v in _cpu(cluster).items()}
        figures = {"clients": clients, **summarise(samples, took)}
        per_request = {k: round(v * 1000 / max(1, len(samples)), 1) for k, v in used.items()}
        figures["cpu_ms_per_request"] = per_request
        results.append(figures)
        print(
            f"  {clients:>3} clients: {figures['rps']:>7} req/s  p50 {figures['p50_ms']} ms  "
            f"p95 {figures['p95_ms']} ms  p99 {figures['p99_ms']} ms  errors {figures['errors']}  "
            f"CPU/request: web {per_request['web']} ms, workers {per_request['workers']} ms, "
            f"postgres {per_request['postgres']} ms, load generator {per_request['generator']} ms  "
            f"(load {_loadavg()})",
            flush=True,
        )
        for example in figures["error_examples"]:
            print(f"      {example}")
        if figures["errors"] or figures["p99_ms"] >= P99_BUDGET * 1000:
            break
        if best is None or figures["rps"] > best["rps"]:
            best = figures
    return {"levels": results, "sustained": best}


def _cpu(cluster: Cluster) -> dict[str, float]:
    """CPU seconds used so far by the web processes (and their children), the worker processes, and
    this load generator (server CPU per request is steadier under a busy machine than throughput)."""
    return {
        "web": tree_cpu_seconds([p.pid for p in cluster.web if p.pid]),
        "workers": tree_cpu_seconds([p.pid for p in cluster.job_workers if p.pid]),
        "generator": time.process_time(),
        # The PostgreSQL backends serving this run's database (they share the machine's cores too); a
        # backend that ends within a level takes its share with it.
        "postgres": named_cpu_seconds(cluster.database_name) if cluster.database_name else 0.0,
    }


def _loadavg() -> str:
    with contextlib.suppress(OSError):
        return Path("/proc/loadavg").read_text().split()[0]
    return "?"


def inject(cluster: Cluster, fault: str, ledger: Ledger, hold: float) -> dict[str, Any]:
    """Strike; returns what was hit (a web process's address, whose in-flight requests may fail)."""
    if fault == "kill-web":
        victim = cluster.web[0]
        cluster.kill9(victim)
        return {"victim": victim.name, "base": f"http://127.0.0.1:{victim.port}"}
    if fault == "kill-worker":
        _queue_big_ingest(cluster, ledger)
        victim, mid_ingest = _worker_mid_ingest(cluster)
        cluster.kill9(victim)
        return {"victim": victim.name, "base": None, "mid_ingest": mid_ingest}
    if fault == "restart-postgres":
        if cluster.pg is None:
            raise SystemExit(
                "restart-postgres needs --private-postgres (the shared server is never restarted)"
            )
        cluster.pg.restart()
        return {"victim": "postgres", "base": "*"}
    if fault == "restart-redis":
        if cluster.rd is None:
            raise SystemExit("restart-redis needs --private-redis")
        cluster.rd.restart()
        return {"victim": "redis", "base": None}
    if fault == "fill-disk":
        written = cluster.fill_disk(hold=hold)
        return {"victim": f"disk ({written // 2**20} MiB written)", "base": "*"}
    raise SystemExit(f"unknown fault {fault}; choose from {', '.join(FAULTS)}")


def _queue_big_ingest(cluster: Cluster, ledger: Ledger) -> None:
    """Upload the demo's 2.3 MB accidents file to a new dataset: its ingest runs for a few seconds."""
    base, auth = cluster.bases[-1], {"Authorization": f"Bearer {cluster.token}"}
    name = ledger.name("big")
    with httpx.Client(base_url=base, headers=auth, timeout=60) as http:
        rows = http.get("/api/v1/datastore/accidents-gu-bcn-2018/rows?limit=0").json()["count"]
        title = {"ca": name, "es": name, "en": name}
        body = {"name": name, "title": title, "organization": "guardia-urbana", "resources": [{"name": name}]}
        http.post("/api/v1/datasets", json=body).raise_for_status()
        ledger.datasets.add(name)
        with BIG_CSV.open("rb") as stream:
            http.post(
                f"/api/v1/resources/{name}/upload", files={"file": (BIG_CSV.name, stream)}
            ).raise_for_status()
        ledger.ingests[name] = rows


def _worker_mid_ingest(cluster: Cluster) -> tuple[Proc, bool]:
    """The worker process holding a running ingest (waits up to 20 s for one), else the first worker."""
    if not cluster.job_workers:
        raise SystemExit("kill-worker needs scale-out with --workers ≥ 1")
    pids = {proc.pid: proc for proc in cluster.job_workers}
    deadline = time.monotonic() + 20
    assert cluster.database_url
    with psycopg.connect(_libpq(cluster.database_url), autocommit=True) as conn:
        while time.monotonic() < deadline:
            sql = "SELECT lease_owner FROM jobs WHERE state = 'running' AND kind LIKE 'ingest%'"
            for (owner,) in conn.execute(sql).fetchall():
                with contextlib.suppress(IndexError, ValueError):
                    if (proc := pids.get(int(owner.split(":")[1]))) is not None:
                        return proc, True
            time.sleep(0.05)
    return cluster.job_workers[0], False


async def fault_run(
    cluster: Cluster, fault: str, clients: int, seconds: float, jobs_timeout: float
) -> dict[str, Any]:
    ledger = Ledger()
    loop = asyncio.get_running_loop()
    window: dict[str, Any] = {}

    async def strike() -> None:
        await asyncio.sleep(seconds / 3)
        window["start"] = time.monotonic()
        window.update(await loop.run_in_executor(None, inject, cluster, fault, ledger, seconds / 3))
        window["struck_in_s"] = round(time.monotonic() - window["start"], 2)
        window["recovered_after_s"] = round(await loop.run_in_executor(None, cluster.wait_healthy), 2)
        window["end"] = time.monotonic() + 1.0  # a second for keep-alive connections to notice

    striking = asyncio.create_task(strike())
    samples, took = await run_level(cluster, ledger, clients, seconds, seed=99)
    await striking
    # Requests that ended after the strike and started before recovery, answered 503 or not at all, at the
    # process that was hit (any process when PostgreSQL was away; none is left when the only one died).
    hit = {window["base"], "*"} | ({""} if len(cluster.web) == 1 else set())
    in_window = [
        s for s in samples if s.error and s.at + s.seconds >= window["start"] and s.at <= window["end"]
    ]
    expected = [
        s for s in in_window if s.status in (0, 503, 507) and (window["base"] == "*" or s.base in hit)
    ]
    unexpected = [s for s in samples if s.error and s not in expected]
    problems = await verify(cluster.bases, cluster.token, ledger, jobs_timeout=jobs_timeout)
    figures = summarise(samples, took)
    return {
        "fault": fault,
        "victim": window["victim"],
        "mid_ingest": window.get("mid_ingest"),
        "struck_in_s": window["struck_in_s"],
        "recovered_after_s": window["recovered_after_s"],
        "requests": figures["requests"],
        "p99_ms": figures["p99_ms"],
        "errors_at_the_fault": len(expected),
        "other_errors": len(unexpected),
        "other_error_examples": sorted({f"{s.op} {s.error}"[:160] for s in unexpected})[:5],
        "accepted": {"datasets": len(ledger.datasets), "ingests": len(ledger.ingests)},
        "problems": problems,
        "restarts": {p.name: p.restarts for p in cluster.supervisor.procs if p.restarts},
    }


async def main_async(args: argparse.Namespace, cluster: Cluster) -> dict[str, Any]:
    report: dict[str, Any] = {"mode": args.mode}
    levels = [int(x) for x in args.levels.split(",")]
    print(f"{args.mode}: {len(cluster.web)} web, {len(cluster.job_workers)} worker processes; sweep {levels}")
    ledger = Ledger()
    if args.warmup:  # first requests compile templates and fill caches: not what a running portal sees
        await run_level(cluster, ledger, 2, args.warmup, seed=12345)
    with MemorySampler(lambda: list(cluster.supervisor.procs)) as memory:
        report["sweep"] = await sweep(cluster, ledger, levels, args.step)
        if args.soak:  # hold the sustained level (or the lowest) to see whether memory stays flat
            clients = (report["sweep"]["sustained"] or {"clients": levels[0]})["clients"]
            samples, took = await run_level(
                cluster, ledger, clients, args.soak, seed=777, reads_only=args.soak_reads_only
            )
            report["soak"] = {"clients": clients, "seconds": round(took), **summarise(samples, took)}
            report["soak"]["reads_only"] = args.soak_reads_only
    report["memory"] = memory.report()
    report["sweep_problems"] = await verify(
        cluster.bases, cluster.token, ledger, jobs_timeout=args.jobs_timeout
    )
    report["sweep_accepted"] = {"datasets": len(ledger.datasets), "ingests": len(ledger.ingests)}
    report["faults"] = []
    for fault in filter(None, args.fault.split(",")):
        result = await fault_run(
            cluster, fault, args.fault_concurrency, args.fault_seconds, args.jobs_timeout
        )
        report["faults"].append(result)
    return report


def print_report(report: dict[str, Any]) -> None:
    best = report["sweep"]["sustained"]
    if best:
        print(
            f"sustained: {best['rps']} req/s at {best['clients']} clients, p50 {best['p50_ms']} ms, "
            f"p95 {best['p95_ms']} ms, p99 {best['p99_ms']} ms, 0 errors"
        )
    else:
        print("sustained: no level kept p99 < 500 ms with zero errors")
    if soak := report.get("soak"):
        print(
            f"soak: {soak['seconds']} s at {soak['clients']} clients: {soak['rps']} req/s, "
            f"p50 {soak['p50_ms']} ms, p95 {soak['p95_ms']} ms, p99 {soak['p99_ms']} ms, "
            f"errors {soak['errors']}"
        )
    for name, mem in report["memory"].items():
        print(
            f"memory {name}: {mem['first_mib']} → {mem['last_mib']} MiB (max {mem['max_mib']}), "
            f"{mem['second_half_mib_per_min']:+} MiB/min over the second half; each minute "
            f"{mem['each_minute_mib']}"
        )
    print(f"accepted writes {report['sweep_accepted']}; problems {report['sweep_problems'] or 'none'}")
    for f in report["faults"]:
        print(
            f"fault {f['fault']} ({f['victim']}{', mid-ingest' if f['mid_ingest'] else ''}): struck in "
            f"{f['struck_in_s']} s, healthy again after {f['recovered_after_s']} s more; "
            f"{f['errors_at_the_fault']} requests failed at the fault, {f['other_errors']} elsewhere; "
            f"accepted {f['accepted']}; problems {f['problems'] or 'none'}; restarts {f['restarts']}"
        )
        for example in f["other_error_examples"]:
            print(f"      {example}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--mode", choices=["embedded", "scale-out", "both"], default="embedded")
    parser.add_argument("--rounds", type=int, default=1, help="with --mode both: alternate this many times")
    add_arguments(parser)
    parser.add_argument("--levels", default="2,4,8,16,32", help="client counts to sweep")
    parser.add_argument("--step", type=float, default=20.0, help="seconds per level")
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds of unmeasured load first")
    parser.add_argument("--soak", type=float, default=0, help="then hold the sustained level this long")
    parser.add_argument(
        "--soak-reads-only",
        action="store_true",
        help="soak without writes: a growing catalogue is not a leak",
    )
    parser.add_argument("--fault", default="", help=f"comma-separated: {', '.join(FAULTS)}")
    parser.add_argument("--fault-concurrency", type=int, default=4)
    parser.add_argument("--fault-seconds", type=float, default=30.0)
    parser.add_argument(
        "--jobs-timeout", type=float, default=120.0, help="seconds for queued ingests to land"
    )
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    command = re.sub(r"://([^:/@]+):[^@]+@", r"://\1:***@", " ".join(sys.argv))  # no passwords in logs
    print(f"$ PYTHONPATH=. python {command}", flush=True)
    modes = ["embedded", "scale-out"] * args.rounds if args.mode == "both" else [args.mode]
    reports = [run_mode(args, mode) for mode in modes]
    if args.mode == "both":
        compare(reports)
    if args.json:
        body = reports if args.mode == "both" else reports[0]
        args.json.write_text(json.dumps(body, indent=2, ensure_ascii=False))


def run_mode(args: argparse.Namespace, mode: str) -> dict[str, Any]:
    """One mode's sweep (and soak, faults) on a cluster of its own, its report printed."""
    started = time.monotonic()
    with from_arguments(args, embedded=mode == "embedded") as cluster:
        print(
            f"{mode}: started and seeded in {time.monotonic() - started:.0f} s (data in {cluster.root})",
            flush=True,
        )
        report = asyncio.run(main_async(argparse.Namespace(**{**vars(args), "mode": mode}), cluster))
    print_report(report)
    return report


def compare(reports: list[dict[str, Any]]) -> None:
    """Both modes side by side, in the order they ran (alternated, so a machine's drift hits both),
    against #22's targets: embedded >= 150 req/s at p99 < 500 ms; scale-out not slower on one machine."""
    print(f"\nboth modes (load average {' '.join(f'{n:.1f}' for n in os.getloadavg())})")
    best: dict[str, list[float]] = {"embedded": [], "scale-out": []}
    for report in reports:
        sustained = report["sweep"]["sustained"]
        rps = float(sustained["rps"]) if sustained else 0.0
        best[report["mode"]].append(rps)
        where = f"at {sustained['clients']} clients, p99 {sustained['p99_ms']} ms" if sustained else "none"
        print(f"  {report['mode']:<10} sustained {rps:7.1f} req/s  ({where})")
    embedded, scaled = statistics.median(best["embedded"]), statistics.median(best["scale-out"])
    print(
        f"  embedded median {embedded:.1f} req/s (target >= 150: {'met' if embedded >= 150 else 'not met'})"
    )
    if embedded:
        ratio = scaled / embedded
        verdict = "not slower" if ratio >= 1 else "slower"
        print(f"  scale-out / embedded {ratio:.2f} ({verdict}; target: not slower on one machine)")


if __name__ == "__main__":
    main()
