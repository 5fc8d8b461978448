from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Connection

from obert.errors import Invalid
from obert.jobs import (
    Job,
    JobContext,
    JobRunner,
    JobState,
    Periodic,
    claim,
    complete,
    enqueue,
    fail,
    get_job,
    heartbeat,
    tick,
)
from obert.storage import Store, migrate


@pytest.fixture
def store(database_url: str) -> Store:
    store = Store(database_url)
    migrate.upgrade(store)
    return store


def _enqueue(store: Store, **kwargs: Any) -> str:
    with store.begin() as conn:
        return enqueue(conn, **{"kind": "echo", "payload": {"n": 1}, **kwargs})


def test_a_job_exists_only_if_its_transaction_commits(store: Store) -> None:
    with pytest.raises(RuntimeError), store.begin() as conn:
        enqueue(conn, kind="echo", payload={})
        raise RuntimeError("the change failed")
    assert claim(store, worker_id="w", kinds=["echo"], lease_seconds=10) is None
    job_id = _enqueue(store)
    job = claim(store, worker_id="w", kinds=["echo"], lease_seconds=10)
    assert job is not None and job.id == job_id and job.attempts == 1 and job.state is JobState.RUNNING
    assert claim(store, worker_id="w2", kinds=["echo"], lease_seconds=10) is None
    assert complete(store, job_id=job_id, worker_id="w", result={"ok": True})
    assert get_job(store, job_id=job_id).state is JobState.DONE


def test_an_active_dedupe_key_is_not_queued_twice(store: Store) -> None:
    first = _enqueue(store, dedupe_key="harvest:bcn")
    assert _enqueue(store, dedupe_key="harvest:bcn") == first
    job = claim(store, worker_id="w", kinds=["echo"], lease_seconds=10)
    assert job is not None
    assert _enqueue(store, dedupe_key="harvest:bcn") == first  # running counts as active too
    complete(store, job_id=first, worker_id="w", result=None)
    assert _enqueue(store, dedupe_key="harvest:bcn") != first


def test_failures_back_off_then_fail_for_good(store: Store) -> None:
    job_id = _enqueue(store, max_attempts=2)
    job = claim(store, worker_id="w", kinds=["echo"], lease_seconds=10)
    assert job is not None
    fail(store, job_id=job_id, worker_id="w", error="timeout")
    again = get_job(store, job_id=job_id)
    assert again.state is JobState.QUEUED and again.error == "timeout"
    assert again.run_after > again.updated_at  # not due at once
    assert claim(store, worker_id="w", kinds=["echo"], lease_seconds=10) is None
    with store.begin() as conn:  # pretend the back-off has passed
        from obert.storage.tables.jobs import jobs

        conn.execute(jobs.update().values(run_after=again.created_at))
    assert claim(store, worker_id="w", kinds=["echo"], lease_seconds=10) is not None
    fail(store, job_id=job_id, worker_id="w", error="timeout again")
    assert get_job(store, job_id=job_id).state is JobState.FAILED


def test_an_expired_lease_is_taken_over_and_the_old_holder_cannot_finish(store: Store) -> None:
    job_id = _enqueue(store)
    assert claim(store, worker_id="dead", kinds=["echo"], lease_seconds=0.05) is not None
    time.sleep(0.1)
    taken = claim(store, worker_id="alive", kinds=["echo"], lease_seconds=10)
    assert taken is not None and taken.id == job_id and taken.attempts == 2
    assert not heartbeat(store, job_id=job_id, worker_id="dead", lease_seconds=10)
    assert not complete(store, job_id=job_id, worker_id="dead", result=None)
    assert complete(store, job_id=job_id, worker_id="alive", result=None)


def test_runner_threads_run_every_job_exactly_once(store: Store) -> None:
    ran: Counter[int] = Counter()
    lock = threading.Lock()

    def echo(job: Job, ctx: JobContext) -> dict[str, Any]:
        ctx.progress(1, 1, "echoed")
        with lock:
            ran[job.payload["n"]] += 1
        return {"n": job.payload["n"]}

    for n in range(40):
        _enqueue(store, payload={"n": n})
    runners = [JobRunner(store, {"echo": echo}, threads=2, poll_seconds=0.05) for _ in range(2)]
    for runner in runners:
        runner.start()
    deadline = time.monotonic() + 60
    while sum(ran.values()) < 40 and time.monotonic() < deadline:
        time.sleep(0.05)
    for runner in runners:
        runner.stop()
    assert ran == Counter(range(40))


def test_bad_input_fails_at_once_and_crashes_are_retried(store: Store) -> None:
    def refuse(job: Job, ctx: JobContext) -> None:
        raise Invalid("the file is empty")

    def crash(job: Job, ctx: JobContext) -> None:
        raise OSError("disk hiccup")

    bad = _enqueue(store, kind="refuse")
    flaky = _enqueue(store, kind="crash")
    runner = JobRunner(store, {"refuse": refuse, "crash": crash})
    assert runner.run_once() and runner.run_once()
    assert get_job(store, job_id=bad).state is JobState.FAILED
    assert get_job(store, job_id=bad).error == "the file is empty"
    retried = get_job(store, job_id=flaky)
    assert retried.state is JobState.QUEUED and "OSError: disk hiccup" in (retried.error or "")


def test_a_worker_killed_mid_job_loses_nothing(store: Store) -> None:
    """kill -9 a worker holding a job: once its lease runs out another worker runs the job to the end."""
    job_id = _enqueue(store)
    script = (
        "import sys, time\n"
        "from obert.storage import Store\n"
        "from obert.jobs import claim\n"
        "job = claim(Store(sys.argv[1]), worker_id='doomed', kinds=['echo'], lease_seconds=1)\n"
        "print(job.id, flush=True)\n"
        "time.sleep(600)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script, store.url],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == job_id
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    results: list[str] = []
    runner = JobRunner(store, {"echo": lambda job, ctx: results.append(job.id) or {"ok": True}})
    deadline = time.monotonic() + 30
    while not results and time.monotonic() < deadline:
        runner.run_once()
        time.sleep(0.2)
    assert results == [job_id]
    finished = get_job(store, job_id=job_id)
    assert finished.state is JobState.DONE and finished.attempts == 2


def test_periodic_tasks_fire_once_per_interval(store: Store) -> None:
    fired: list[datetime] = []

    def enqueue_check(conn: Connection, now: datetime) -> None:
        fired.append(now)
        enqueue(conn, kind="echo", payload={"at": now.isoformat()}, dedupe_key="link-check")

    task = Periodic(name="link-check", every=timedelta(hours=1), enqueue=enqueue_check)
    start = datetime(2026, 1, 1, 12, tzinfo=UTC)
    assert tick(store, [task], now=start) == ["link-check"]
    assert tick(store, [task], now=start + timedelta(minutes=59)) == []
    assert tick(store, [task], now=start + timedelta(minutes=61)) == ["link-check"]
    assert len(fired) == 2
    assert claim(store, worker_id="w", kinds=["echo"], lease_seconds=10) is not None


def test_progress_is_written_at_most_once_a_second_and_the_last_with_the_outcome(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A quick job writes its first progress report at once (it is seen to have started) and its last
    with its result (or its failure), not the ones between; a report a second or more after the last
    write is written at once."""
    seen: dict[str, Any] = {}

    def quick(job: Job, ctx: JobContext) -> dict[str, Any]:
        ctx.progress(0, None, "reading")
        ctx.progress(3, 3, "read")
        seen["during"] = get_job(store, job_id=job.id).progress
        return {"ok": True}

    def slow(job: Job, ctx: JobContext) -> None:
        ctx.progress(1, 2, "half")
        seen["slow"] = get_job(store, job_id=job.id).progress
        ctx.progress(2, 2, "all")
        raise Invalid("the file is empty")

    quick_id, slow_id = _enqueue(store, kind="quick"), _enqueue(store, kind="slow")
    runner = JobRunner(store, {"quick": quick, "slow": slow})
    assert runner.run_once()
    assert seen["during"] == {"done": 0, "total": None, "message": "reading"}
    assert get_job(store, job_id=quick_id).progress == {"done": 3, "total": 3, "message": "read"}
    monkeypatch.setattr("obert.jobs.runner.PROGRESS_EVERY_SECONDS", 0.0)
    assert runner.run_once()
    assert seen["slow"] == {"done": 1, "total": 2, "message": "half"}
    failed = get_job(store, job_id=slow_id)
    assert failed.state is JobState.FAILED and failed.progress == {"done": 2, "total": 2, "message": "all"}
