"""Crash consistency of the embedded mode: kill -9 a process that ingests and harvests, at random
moments, again and again on one data dir, and check after each kill that the catalogue and the
datastore still agree (see consistency.py).

The writer is a forked child process (obert is imported once, so a kill costs no start-up) that writes
without pause: CSV files of random length ingested at once as new versions, and files dropped in a
folder that a harvest source (with auto-ingest) picks up, whose ingest jobs it then runs. The parent
kill -9s it after a random delay (now and then while it opens and migrates the database). By hand:

    OBERT_CRASH_ITERATIONS=300 python -m tests.reliability.crash run /tmp/crash-data
"""

from __future__ import annotations

import contextlib
import os
import random
import select
import signal
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from obert.auth import SYSTEM
from obert.errors import ObertError
from obert.harvest import cli_support as harvesting
from obert.harvest.models import SourceType
from obert.harvest.sources import get_source
from obert.portal import build_portal
from obert.settings import Settings
from obert.tableservice.local import ingest_local_file
from tests.reliability.consistency import check_data_dir

SECRET = "a-crash-test-secret-that-is-long-enough"
LEASE_SECONDS = 1.0  # a killed child's jobs are taken over by the next one within a second


def crash_settings(data_dir: Path) -> dict[str, str]:
    return {
        "OBERT_DATA_DIR": str(data_dir),
        "OBERT_SECRET_KEY": SECRET,
        "OBERT_JOB_LEASE_SECONDS": str(LEASE_SECONDS),
        "OBERT_RATE_LIMITS_ENABLED": "false",
    }


def _write_csv(path: Path, rows: int, salt: int) -> None:
    tmp = path.with_name(f".{path.name}.tmp")  # the harvest folder must never see a half-written file
    with tmp.open("w", encoding="utf-8") as out:
        out.write("id;barri;districte;valor;data\n")
        for i in range(rows):
            value = (i * salt) % 1000 / 7
            out.write(f"{i};Barri {(i * 7 + salt) % 73};{i % 10 + 1};{value:.3f};2024-01-{i % 28 + 1:02d}\n")
    tmp.replace(path)


def child(data_dir: Path, ready_fd: int) -> None:
    """Ingest and harvest forever (until killed); write "ready" to `ready_fd` once the portal is open."""
    portal = build_portal(Settings())
    work = data_dir.parent / f"{data_dir.name}-work"
    folder = work / "harvest"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        get_source(store=portal.store, actor=SYSTEM, ref="carpeta")
    except ObertError:
        harvesting.add_source(
            store=portal.store,
            actor=SYSTEM,
            name="carpeta",
            url=str(folder),
            type=SourceType.URLS,
            organization=None,
            every=None,
            auto_ingest=True,
            config_json="{}",
        )
    runner = portal.job_runner(0)
    rng = random.Random()
    os.write(ready_fd, b"ready\n")
    step = 0
    while True:
        step += 1
        salt = rng.randrange(1_000_000)
        if step % 3:
            path = work / f"taula_{rng.randrange(4)}.csv"
            _write_csv(path, rng.randrange(1_000, 60_000), salt)
            ingest_local_file(
                ingester=portal.ingester, actor=SYSTEM, path=path, dataset=f"dades-{path.stem[-1]}"
            )
        else:
            _write_csv(folder / f"collita_{rng.randrange(3)}.csv", rng.randrange(1_000, 30_000), salt)
            # A killed child's run may still hold the source until its lease runs out.
            with contextlib.suppress(ObertError):
                harvesting.run_now(portal=portal, ref="carpeta", dry_run=False, show=lambda _m: None)
        while runner.run_once("crash-child"):  # the ingests the harvest queued, and any left by the dead
            pass


def _fork_child(data_dir: Path) -> tuple[int, int]:
    """Fork a writer child (obert is imported already, so it starts at once); returns (pid, ready fd)."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child never returns
        os.close(read_fd)
        code = 0
        try:
            child(data_dir, write_fd)
        except BaseException:
            traceback.print_exc()
            code = 1
        finally:
            os._exit(code)
    os.close(write_fd)
    return pid, read_fd


def _wait_ready(fd: int, timeout: float) -> bool:
    ready, _, _ = select.select([fd], [], [], timeout)
    return bool(ready) and os.read(fd, 16).startswith(b"ready")


@dataclass
class CrashReport:
    iterations: int = 0
    killed_in_start_up: int = 0
    versions: int = 0
    orphans: int = 0
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0


def run(
    data_dir: Path,
    iterations: int,
    *,
    seed: int | None = None,
    max_delay: float = 8.0,
    progress: bool = False,
) -> CrashReport:
    """Kill a writer `iterations` times at random moments; check the data dir after every kill."""
    rng = random.Random(seed)
    report = CrashReport()
    started = time.monotonic()
    seen: set[str] = set()  # versions already read in full
    saved = dict(os.environ)
    os.environ.update(crash_settings(data_dir))
    try:
        for n in range(iterations):
            pid, fd = _fork_child(data_dir)
            try:
                if rng.random() < 0.1:
                    time.sleep(rng.uniform(0.0, 1.0))  # now and then while it opens and migrates
                    report.killed_in_start_up += 1
                elif not _wait_ready(fd, 120):
                    report.failures.append(f"iteration {n}: the writer did not start")
                else:
                    time.sleep(rng.uniform(0.0, max_delay))
            finally:
                os.close(fd)
            if os.waitpid(pid, os.WNOHANG) != (0, 0):
                report.failures.append(f"iteration {n}: the writer died by itself (see stderr)")
                break
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            report.iterations += 1
            # Starting the app is the slow part: do it every fifth kill and after the last.
            verdict = check_data_dir(Settings(), start_app=n % 5 == 4 or n == iterations - 1, seen=seen)
            report.versions, report.orphans = verdict.versions, verdict.orphans
            if progress and (n + 1) % 10 == 0:
                elapsed = time.monotonic() - started
                print(
                    f"{n + 1} kills, {verdict.versions} versions, {elapsed:.0f} s",
                    file=sys.stderr,
                    flush=True,
                )
            if not verdict.ok or report.failures:
                report.failures.extend(f"iteration {n}: {p}" for p in verdict.problems)
                break
    finally:
        os.environ.clear()
        os.environ.update(saved)
    report.seconds = time.monotonic() - started
    return report


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[1] == "run":
        iterations = int(os.environ.get("OBERT_CRASH_ITERATIONS", "6"))
        report = run(Path(argv[2]), iterations, progress=True)
        print(
            f"{report.iterations} kills ({report.killed_in_start_up} during start-up) in "
            f"{report.seconds:.0f} s; {report.versions} versions in the catalogue, {report.orphans} files "
            "left by kills mid-ingest (garbage no row names); "
            f"{len(report.failures)} failures"
        )
        for failure in report.failures:
            print(failure)
        return 1 if report.failures else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
