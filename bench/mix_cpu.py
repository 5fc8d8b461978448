"""CPU time per request of each kind in the load mix, measured in process.

    PYTHONPATH=. .venv/bin/python bench/mix_cpu.py [--n 20] [--json FILE]

Seeds the light demo (the tables bench/load_mix.py reads) in a temporary folder, then sends each kind
of request of the mix to the ASGI app in this process (httpx's ASGI transport, one event loop; no
lifespan: no job, SPARQL or usage threads beside the requests) and times `time.process_time()` around
it, the ingest job included for uploads (run in this thread right after the upload is accepted).
Prints the median CPU ms of each kind after `--warm` unmeasured rounds, and the mix's weighted mean.
"liveness" is the floor: a request that does nothing (the client's and the middleware's share).
CPU time, unlike wall time, does not grow with other processes' load on the machine.

`--postgres URL` puts the catalogue on a database of its own on that server (created, dropped at the
end) instead of SQLite, and adds the CPU of the PostgreSQL backends serving it (read from /proc at
each request, outside the timed part; the kernel counts in 10 ms ticks, so their figure is the mean
over the requests of a kind, not a median).
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import json
import random
import secrets
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy import make_url

from obert.app import create_app
from obert.auth.users import create_token, create_user
from obert.demo import catalog_settings, load_demo
from obert.portal import build_portal
from obert.settings import Settings

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cluster import LIGHT, _libpq
from cluster_procs import named_cpu_seconds
from load_mix import BARRIS, DATASETS, DISTRICTS, SEARCH_TERMS

BIG = "1000000 per minute"


class AsgiClient:
    """Requests straight to the ASGI app on one event loop, as a server sends them (Starlette's
    TestClient starts a loop and a thread per request, which costs more than a small page).

    The loop runs one task for the whole run, in a thread of its own, and each request is awaited inside
    that task. anyio's worker threads (where FastAPI runs sync endpoints and dependencies) stop when the
    task that runs the loop ends: a `run_until_complete` per request started and stopped a thread for every
    request, which a served process never does (its threads wait for the next request)."""

    def __init__(self, app: Any) -> None:
        self.loop = asyncio.new_event_loop()
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1")
        self._queue: asyncio.Queue[tuple[Any, concurrent.futures.Future[Any]] | None] = asyncio.Queue()
        self._thread = threading.Thread(
            target=self.loop.run_until_complete, args=(self._serve(),), daemon=True
        )
        self._thread.start()

    async def _serve(self) -> None:
        while (item := await self._queue.get()) is not None:
            coro, done = item
            try:
                done.set_result(await coro)
            except Exception as exc:  # raised again in the caller's thread
                done.set_exception(exc)

    def _run(self, coro: Any) -> Any:
        done: concurrent.futures.Future[Any] = concurrent.futures.Future()
        self.loop.call_soon_threadsafe(self._queue.put_nowait, (coro, done))
        return done.result()

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        answer: httpx.Response = self._run(self.http.request(method, path, **kwargs))
        return answer

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", path, **kwargs)

    def close(self) -> None:
        self._run(self.http.aclose())
        self.loop.call_soon_threadsafe(self._queue.put_nowait, None)
        self._thread.join()
        self.loop.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--n", type=int, default=20, help="measured requests of each kind")
    parser.add_argument("--warm", type=int, default=3, help="unmeasured rounds first")
    parser.add_argument("--only", action="append", help="measure only this kind (for a profiler)")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--postgres", help="PostgreSQL server URL (a database is created and dropped)")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="obert-mixcpu-"))
    database = f"obert_mixcpu_{uuid.uuid4().hex[:10]}" if args.postgres else None
    if args.postgres:
        with psycopg.connect(_libpq(args.postgres), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{database}"')
    try:
        _measure(args, root, database)
    finally:
        if args.postgres:
            with psycopg.connect(_libpq(args.postgres), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def _measure(args: argparse.Namespace, root: Path, database: str | None) -> None:
    database_url = None
    if database:
        database_url = make_url(args.postgres).set(database=database).render_as_string(hide_password=False)
    settings = Settings(
        mode="demo",
        data_dir=root,
        secret_key=secrets.token_urlsafe(32),
        job_threads=0,
        rate_limit_reads=BIG,
        rate_limit_writes=BIG,
        rate_limit_sql=BIG,
        database_url=database_url,
        **catalog_settings(),
    )
    portal = build_portal(settings)
    load_demo(portal, only=LIGHT)
    create_user(store=portal.store, name="cpu", password=secrets.token_urlsafe(16), sysadmin=True)
    token = create_token(store=portal.store, user_ref="cpu", name="cpu").secret
    auth = {"Authorization": f"Bearer {token}"}
    runner = portal.job_runner(1)
    client = AsgiClient(create_app(settings, portal=portal))
    rng = random.Random(7)
    seq = iter(range(10**6))
    own: dict[str, str] = {}

    def get(path: str, **params: Any) -> None:
        answer = client.get(path, params=params)
        assert answer.status_code == 200, (path, answer.status_code, answer.text[:200])

    def dataset_body(name: str, **extra: Any) -> dict[str, Any]:
        title = {"ca": f"Prova {name}", "es": f"Prueba {name}", "en": f"Test {name}"}
        return {"name": name, "title": title, "organization": "estadistica", **extra}

    def create() -> None:
        answer = client.post("/api/v1/datasets", json=dataset_body(f"cpu-ds-{next(seq)}"), headers=auth)
        assert answer.status_code == 201, answer.text[:200]

    def patch() -> None:
        if "lane" not in own:
            own["lane"] = f"cpu-lane-{next(seq)}"
            client.post("/api/v1/datasets", json=dataset_body(own["lane"]), headers=auth)
        answer = client.patch(
            f"/api/v1/datasets/{own['lane']}",
            json={"description": {"en": f"v{next(seq)}"}},
            headers={**auth, "Content-Type": "application/merge-patch+json"},
        )
        assert answer.status_code == 200, answer.text[:200]

    def ingest() -> None:
        name = f"cpu-ingest-{next(seq)}"
        body = dataset_body(name, resources=[{"name": f"{name}-t", "format": "CSV"}])
        assert client.post("/api/v1/datasets", json=body, headers=auth).status_code == 201
        lines = ["id,barri,valor"] + [f"{i},{rng.choice(BARRIS)},{rng.random():.4f}" for i in range(30)]
        files = {"file": (f"{name}-t.csv", ("\n".join(lines) + "\n").encode(), "text/csv")}
        answer = client.post(f"/api/v1/resources/{name}-t/upload", files=files, headers=auth)
        assert answer.status_code == 200, answer.text[:200]
        while runner.run_once():
            pass

    def resource_page() -> None:
        dataset, resource = rng.choice(list(DATASETS.items()))
        get(f"/dataset/{dataset}/resource/{resource}")

    kinds: dict[str, tuple[float, Callable[[], None]]] = {
        "liveness (overhead)": (0.0, lambda: get("/health/live")),
        "home": (0.15, lambda: get("/")),
        "search page": (0.25, lambda: get("/datasets", q=rng.choice(SEARCH_TERMS))),
        "dataset page": (0.18, lambda: get(f"/dataset/{rng.choice(list(DATASETS))}")),
        "resource page": (0.12, resource_page),
        "rows": (
            0.09,
            lambda: get(
                "/api/v1/datastore/accidents-gu-bcn-2018/rows",
                Nom_districte=rng.choice(DISTRICTS),
                limit="50",
            ),
        ),
        "aggregate": (
            0.04,
            lambda: get(
                "/api/v1/datastore/accidents-gu-bcn-2018/aggregate",
                group_by="Nom_barri",
                metrics=["count", "sum:Numero_victimes"],
                Nom_districte=rng.choice(DISTRICTS),
            ),
        ),
        "export": (
            0.03,
            lambda: get(
                "/api/v1/datastore/accidents-gu-bcn-2018/export.csv", Nom_districte=rng.choice(DISTRICTS)
            ),
        ),
        "ckan datastore_search": (
            0.04,
            lambda: get(
                "/api/3/action/datastore_search",
                resource_id="qualitat-aire-estacions",
                limit="20",
                q=rng.choice(BARRIS),
            ),
        ),
        "patch": (0.04, patch),
        "create": (0.03, create),
        "create + upload + ingest": (0.03, ingest),
    }
    if args.only:
        kinds = {k: v for k, v in kinds.items() if k in args.only}
    for _ in range(args.warm):
        for _, fn in kinds.values():
            fn()
    cpu: dict[str, list[float]] = {k: [] for k in kinds}
    backends: dict[str, float] = dict.fromkeys(kinds, 0.0)
    for _ in range(args.n):  # interleaved, so that a slow spell of the machine touches every kind alike
        for kind, (_, fn) in kinds.items():
            before = named_cpu_seconds(database) if database else 0.0
            started = time.process_time()
            fn()
            cpu[kind].append((time.process_time() - started) * 1000)
            if database:
                backends[kind] += named_cpu_seconds(database) - before
    medians = {k: statistics.median(v) for k, v in cpu.items()}
    weights = sum(w for w, _ in kinds.values()) or 1
    weighted = sum(w * medians[k] for k, (w, _) in kinds.items()) / weights
    pg = {k: v * 1000 / args.n for k, v in backends.items()}
    pg_weighted = sum(w * pg[k] for k, (w, _) in kinds.items()) / weights
    for kind, ms in medians.items():
        extra = f"  PostgreSQL {pg[kind]:5.1f} ms (mean)" if database else ""
        print(f"{kind:26} {ms:7.1f} ms CPU (p50 of {args.n}){extra}")
    extra = f"  PostgreSQL {pg_weighted:5.1f} ms" if database else ""
    print(f"{'weighted by the mix':26} {weighted:7.1f} ms CPU a request{extra}")
    client.close()
    portal.close()
    if args.json:
        result = {"medians_ms": medians, "weighted_ms": weighted}
        if database:
            result |= {"postgres_mean_ms": pg, "postgres_weighted_ms": pg_weighted}
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
