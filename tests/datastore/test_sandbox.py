"""The SQL worker pool: dead workers are replaced, and it never runs more queries than it has workers."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from obert.datastore.sandbox import SqlJob, SqlSandbox
from obert.errors import Invalid, Unavailable

SLOW = "SELECT count(*) AS n FROM acc, range(1000000) a, range(1000000) b WHERE a.range < b.range"


@pytest.fixture
def sandbox() -> Iterator[SqlSandbox]:
    pool = SqlSandbox(max_workers=1, keep_idle=1)
    yield pool
    pool.close()


def _job(sql: str, path: Path, timeout_s: float = 5.0) -> SqlJob:
    return SqlJob(
        sql=sql,
        tables={"acc": str(path)},
        timeout_s=timeout_s,
        max_rows=10,
        max_bytes=100_000,
        memory_limit="256MB",
    )


def test_a_worker_that_died_while_idle_is_replaced(sandbox: SqlSandbox, versions: dict[str, Path]) -> None:
    count = _job("SELECT count(*) AS n FROM acc", versions["accidents"])
    assert sandbox.run(count).rows_json == b'[{"n":9936}]'
    (idle,) = sandbox._idle
    os.kill(idle.proc.pid, signal.SIGKILL)
    idle.proc.wait()
    assert sandbox.run(count).rows_json == b'[{"n":9936}]'


def test_no_more_queries_run_at_once_than_there_are_workers(
    sandbox: SqlSandbox, versions: dict[str, Path]
) -> None:
    path = versions["accidents"]
    sandbox.run(_job("SELECT 1 AS one FROM acc LIMIT 1", path))  # a warm worker
    outcome: list[BaseException] = []

    def slow() -> None:
        try:
            sandbox.run(_job(SLOW, path, timeout_s=1.0))
        except Invalid as exc:
            outcome.append(exc)

    busy = threading.Thread(target=slow)
    busy.start()
    while sandbox._idle:  # until the slow query holds the only worker
        time.sleep(0.005)
    start = time.perf_counter()
    with pytest.raises(Unavailable):
        sandbox.run(_job("SELECT 1 AS one FROM acc LIMIT 1", path, timeout_s=0.3))
    assert time.perf_counter() - start < 1.5
    busy.join()
    assert outcome and "took too long" in outcome[0].message
    assert sandbox.run(_job("SELECT 1 AS one FROM acc LIMIT 1", path)).count == 1
