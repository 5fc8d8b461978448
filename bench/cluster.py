"""Scale-out obert on one machine, in one command, and tear it all down afterwards.

    PYTHONPATH=. .venv/bin/python bench/cluster.py --serve 2 --workers 2 \
        --postgres postgresql+psycopg://root@127.0.0.1:5432/test --redis redis://127.0.0.1:6379/0

starts N `obert serve` processes (each on its own port, no job threads), M `obert worker` processes, on a
uniquely named PostgreSQL database created for the run (or a private PostgreSQL with `--private-postgres`),
Redis (a given URL, or a private redis-server with `--private-redis`) and one shared data directory; loads
the demo catalogue, creates a site administrator with an API token, waits for every /health, prints the
addresses, and on Ctrl-C stops everything and drops the database. A supervisor restarts any process that
dies, as systemd or a container orchestrator would. `bench/load.py` drives the same class.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from obert.auth.users import create_token, create_user
from obert.demo import catalog_settings, load_demo
from obert.portal import build_portal
from obert.settings import Settings

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cluster_procs import PrivatePostgres, PrivateRedis, Proc, Supervisor, spare_port

REPO = Path(__file__).resolve().parent.parent
OBERT = [sys.executable, "-c", "from obert.cli import app; app()"]
BIG_BUDGET = "1000000 per minute"  # the load generator is one address: count in Redis, refuse nobody


@dataclass
class Cluster:
    """obert on one machine: embedded (serve=1, no database URL) or scale-out (PostgreSQL + Redis)."""

    serve: int = 2
    workers: int = 2
    worker_threads: int = 2
    postgres: str | None = None  # a server URL: a database of our own is created on it
    redis: str | None = None
    private_postgres: bool = False
    private_redis: bool = False
    embedded: bool = False
    web_workers: int = 1  # processes of each `obert serve` (OBERT_WORKERS)
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="obert-cluster-")))
    keep: bool = False
    lease_seconds: float = 10.0
    supervisor: Supervisor = field(default_factory=Supervisor)
    pg: PrivatePostgres | None = None
    rd: PrivateRedis | None = None
    database_url: str | None = None
    token: str = ""
    _server_url: str | None = None
    _database: str | None = None
    _secret: str = ""
    disk_mib: int = 0  # > 0: the data directory is a tmpfs of this size (needs root)
    _mounted: bool = False
    light: bool = False  # load only the demo tables the load mix reads (quicker start, for tests)

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def web(self) -> list[Proc]:
        return [p for p in self.supervisor.procs if p.name.startswith("serve")]

    @property
    def job_workers(self) -> list[Proc]:
        return [p for p in self.supervisor.procs if p.name.startswith("worker")]

    @property
    def bases(self) -> list[str]:
        return [f"http://127.0.0.1:{p.port}" for p in self.web]

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("OBERT_")}
        env.update(
            PYTHONPATH=str(REPO),
            OBERT_DATA_DIR=str(self.data_dir),
            OBERT_SECRET_KEY=self._secret,
            OBERT_JOB_LEASE_SECONDS=str(self.lease_seconds),
            OBERT_RATE_LIMIT_READS=BIG_BUDGET,
            OBERT_RATE_LIMIT_WRITES=BIG_BUDGET,
            OBERT_RATE_LIMIT_SQL=BIG_BUDGET,
            OBERT_USAGE_FLUSH_SECONDS="5",
        )
        if self.database_url:
            env["OBERT_DATABASE_URL"] = self.database_url
        if self.redis_url:
            env["OBERT_REDIS_URL"] = self.redis_url
        env.update(extra)
        return env

    @property
    def database_name(self) -> str | None:
        """The run's own PostgreSQL database (scale-out), None in the embedded mode."""
        return self._database

    @property
    def redis_url(self) -> str | None:
        return self.rd.url if self.rd else self.redis

    def start(self) -> Cluster:
        self._secret = secrets.token_urlsafe(32)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.disk_mib:  # a disk of its own that `fill_disk` can fill without harming anyone else
            size = f"size={self.disk_mib}m"
            subprocess.run(["mount", "-t", "tmpfs", "-o", size, "tmpfs", str(self.data_dir)], check=True)
            self._mounted = True
        if not self.embedded:
            self._start_services()
        self._seed()
        threads = "1" if self.embedded else "0"  # scale-out leaves jobs to `obert worker`
        for n in range(self.serve):
            port = spare_port()
            env = self.env(
                OBERT_JOB_THREADS=threads,
                OBERT_BASE_URL=f"http://127.0.0.1:{port}",
                OBERT_WORKERS=str(self.web_workers),
            )
            argv = [*OBERT, "serve", "--port", str(port)]
            self.supervisor.add(Proc(f"serve-{n}", argv, env, self.root / f"serve-{n}.log", port=port))
        for n in range(self.workers):
            argv = [*OBERT, "worker", "--threads", str(self.worker_threads)]
            self.supervisor.add(Proc(f"worker-{n}", argv, self.env(), self.root / f"worker-{n}.log"))
        self.supervisor.start()
        self.wait_healthy()
        return self

    def _start_services(self) -> None:
        if self.private_postgres:
            self.pg = PrivatePostgres(self.root)
            self.pg.start()
        if self.private_redis:
            self.rd = PrivateRedis(self.root)
            self.rd.start()
        self._server_url = self.pg.url if self.pg else self.postgres
        if not self._server_url:
            raise SystemExit("scale-out needs --postgres URL or --private-postgres")
        self._database = f"obert_cluster_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(_libpq(self._server_url), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self._database}"')
        url = make_url(self._server_url).set(database=self._database)
        self.database_url = url.render_as_string(hide_password=False)

    def _seed(self) -> None:
        # In this process: every `obert` command would pay the interpreter's start-up again.
        settings = Settings(
            mode="demo", data_dir=self.data_dir, database_url=self.database_url, **catalog_settings()
        )
        portal = build_portal(settings)
        try:
            load_demo(portal, only=LIGHT if self.light else None)
            password = secrets.token_urlsafe(16)
            create_user(store=portal.store, name="loadtest", password=password, sysadmin=True)
            self.token = create_token(store=portal.store, user_ref="loadtest", name="load").secret
        finally:
            portal.close()

    def wait_healthy(self, timeout: float = 120.0) -> float:
        """Seconds until every web process answers /health with 200."""
        started = time.monotonic()
        pending = set(self.bases)
        while pending:
            for base in list(pending):
                with (
                    contextlib.suppress(OSError),
                    urllib.request.urlopen(f"{base}/health", timeout=2) as answer,
                ):
                    if answer.status == 200:
                        pending.discard(base)
            if pending and time.monotonic() - started > timeout:
                logs = "\n".join(p.log.read_text()[-2000:] for p in self.web)
                raise RuntimeError(f"no healthy answer from {sorted(pending)}:\n{logs}")
            if pending:
                time.sleep(0.2)
        return time.monotonic() - started

    def fill_disk(self, hold: float) -> int:
        """Fill the data directory's disk to the last byte, hold it full, then free it; returns bytes."""
        if not self._mounted:
            raise SystemExit("fill-disk needs --disk-mib (the data directory on a tmpfs of its own)")
        filler, written = self.data_dir / "filler.bin", 0
        block = b"\0" * 2**20
        with filler.open("wb") as out:
            try:
                while True:
                    written += out.write(block)
                    out.flush()
            except OSError:  # ENOSPC: the disk is full
                pass
            try:
                time.sleep(hold)
            finally:
                filler.unlink()
        return written

    def kill9(self, proc: Proc) -> None:
        if proc.pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGKILL)

    def stop(self) -> None:
        self.supervisor.stop()
        if self._database and self._server_url:
            with psycopg.connect(_libpq(self._server_url), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self._database}" WITH (FORCE)')
        if self.rd:
            self.rd.stop()
        if self.pg:
            self.pg.stop()
        if self._mounted:
            subprocess.run(["umount", str(self.data_dir)], check=False)
        if not self.keep:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Cluster:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()


# The demo datasets the load mix visits, each with the one resource it reads (bench/load_mix.py).
LIGHT = {
    "accidents-gu-bcn": "accidents-gu-bcn-2018",
    "qualitat-aire-detall-bcn": "qualitat-aire-contaminants",
    "qualitat-aire-estacions-bcn": "qualitat-aire-estacions",
    "renda-disponible-llars-bcn": "renda-disponible-llars-2021-mostra",
    "bicing-estacions": "bicing-estacions-geojson",
    "pad-dimensions": "taula-dimensions-padro",
}


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--serve", type=int, default=2, help="web processes")
    parser.add_argument(
        "--web-workers", type=int, default=1, help="processes of each `obert serve` (OBERT_WORKERS)"
    )
    parser.add_argument("--workers", type=int, default=2, help="`obert worker` processes")
    parser.add_argument("--worker-threads", type=int, default=2)
    parser.add_argument("--postgres", help="PostgreSQL server URL (a database is created and dropped)")
    parser.add_argument("--private-postgres", action="store_true", help="initdb a server of our own")
    parser.add_argument("--redis", help="Redis URL")
    parser.add_argument("--private-redis", action="store_true", help="start a redis-server of our own")
    parser.add_argument("--disk-mib", type=int, default=0, help="data directory on a tmpfs this big (root)")
    parser.add_argument("--light", action="store_true", help="load only the demo tables the load mix reads")
    parser.add_argument("--keep", action="store_true", help="keep the data directory and logs")
    parser.add_argument(
        "--lease", type=float, default=10.0, help="job lease: a dead worker's job waits this long"
    )


def from_arguments(args: argparse.Namespace, *, embedded: bool = False) -> Cluster:
    if embedded:
        return Cluster(
            serve=1,
            workers=0,
            embedded=True,
            web_workers=args.web_workers,
            keep=args.keep,
            lease_seconds=args.lease,
            disk_mib=args.disk_mib,
            light=args.light,
        )
    return Cluster(
        serve=args.serve,
        web_workers=args.web_workers,
        workers=args.workers,
        worker_threads=args.worker_threads,
        postgres=args.postgres or os.environ.get("OBERT_TEST_POSTGRES_URL"),
        redis=args.redis or os.environ.get("OBERT_TEST_REDIS_URL"),
        private_postgres=args.private_postgres,
        private_redis=args.private_redis,
        keep=args.keep,
        lease_seconds=args.lease,
        disk_mib=args.disk_mib,
        light=args.light,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    add_arguments(parser)
    parser.add_argument("--hold", type=float, default=0, help="stop after this many seconds (0: Ctrl-C)")
    args = parser.parse_args()
    with from_arguments(args) as cluster:
        database = make_url(cluster.database_url).render_as_string() if cluster.database_url else "SQLite"
        print(f"data dir {cluster.data_dir}; database {database}; redis {cluster.redis_url}")
        for proc in cluster.supervisor.procs:
            where = f" http://127.0.0.1:{proc.port}" if proc.port else ""
            print(f"{proc.name}: pid {proc.pid}{where} (log {proc.log})")
        print(f"API token of the site administrator 'loadtest': {cluster.token}")
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait(args.hold or None)
        print("stopping…")


if __name__ == "__main__":
    main()
