"""SQLite's writers in several processes wait for their turn in a queue, not in SQLite's busy handler."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event

from obert.storage import Store

# A writer in another process: takes its turn, writes, says so, and commits when told to.
_OTHER_WRITER = """
import sys
import sqlalchemy as sa
from obert.storage import Store

store = Store(sys.argv[1])
with store.begin() as conn:
    conn.execute(sa.text("INSERT INTO t VALUES ('other')"))
    print("writing", flush=True)
    sys.stdin.readline()
"""


def test_a_writer_waits_for_another_process_to_finish_writing_then_goes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'obert.sqlite'}"
    store = Store(url)
    # SQLite itself would not wait at all: a writer that met the other's lock would fail at once.
    event.listen(store.engine, "connect", lambda dbapi, _: dbapi.execute("PRAGMA busy_timeout = 0"))
    with store.begin() as conn:
        conn.execute(sa.text("CREATE TABLE t (who TEXT)"))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    other = subprocess.Popen(
        [sys.executable, "-c", _OTHER_WRITER, url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert other.stdout is not None and other.stdin is not None
        assert other.stdout.readline().strip() == "writing"
        failed: list[BaseException] = []

        def write() -> None:
            try:
                with store.begin() as conn:
                    conn.execute(sa.text("INSERT INTO t VALUES ('this')"))
            except BaseException as exc:  # reported by the test
                failed.append(exc)

        writer = threading.Thread(target=write)
        writer.start()
        writer.join(timeout=0.5)
        assert writer.is_alive() and not failed, failed  # waiting for its turn, not refused

        other.stdin.write("done\n")
        other.stdin.flush()
        assert other.wait(timeout=30) == 0
        writer.join(timeout=10)
        assert not writer.is_alive() and not failed, failed
    finally:
        other.kill()
    with store.read() as conn:
        assert sorted(conn.execute(sa.text("SELECT who FROM t")).scalars()) == ["other", "this"]


def test_writers_of_one_process_take_turns(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'obert.sqlite'}")
    event.listen(store.engine, "connect", lambda dbapi, _: dbapi.execute("PRAGMA busy_timeout = 0"))
    with store.begin() as conn:
        conn.execute(sa.text("CREATE TABLE t (n INTEGER)"))
    failed: list[BaseException] = []

    def write(start: int) -> None:
        try:
            for n in range(start, start + 25):
                with store.begin() as conn:
                    conn.execute(sa.text("INSERT INTO t VALUES (:n)"), {"n": n})
        except BaseException as exc:  # reported by the test
            failed.append(exc)

    writers = [threading.Thread(target=write, args=(start,)) for start in range(0, 200, 25)]
    for w in writers:
        w.start()
    for w in writers:
        w.join(timeout=30)
    assert not failed, failed
    with store.read() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM t")).scalar() == 200
