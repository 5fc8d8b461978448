"""Small files share one DuckDB instance per process; each ingest still sees only its own file."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import pytest

from obert.errors import Invalid
from obert.ingest import ingest_file, shared_engine
from obert.ingest.shared_engine import small_file_connection


def _csv(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def _rows(path: Path) -> list[tuple[object, ...]]:
    return duckdb.connect().execute(f"SELECT * FROM '{path}' ORDER BY 1").fetchall()


def test_small_ingests_reuse_one_instance(tmp_path: Path) -> None:
    shared_engine._instances.clear()
    for n in range(3):
        src = _csv(tmp_path / f"t{n}.csv", "id,name", [f"{i},n{n}-{i}" for i in range(5)])
        result = ingest_file(src, dest=tmp_path / f"v{n}.parquet", max_bytes=1_000_000)
        assert result.row_count == 5
        assert _rows(tmp_path / f"v{n}.parquet")[0] == (0, f"n{n}-0")
    assert len(shared_engine._instances) == 1


def test_connections_do_not_share_views_or_rejects() -> None:
    one, two = small_file_connection("256MB"), small_file_connection("256MB")
    try:
        one.execute("CREATE TEMP VIEW mine AS SELECT 1 AS x")
        with pytest.raises(duckdb.CatalogException):
            two.execute("SELECT * FROM mine")
    finally:
        one.close()
        two.close()
    three = small_file_connection("256MB")
    try:
        with pytest.raises(duckdb.CatalogException):
            three.execute("SELECT * FROM mine")  # gone with the connection that made it
    finally:
        three.close()


def test_a_failed_small_ingest_leaves_the_next_one_whole(tmp_path: Path) -> None:
    bad = _csv(tmp_path / "bad.csv", "a,b", ["1,2", "3,4,5,6,7", "8,9,10,11", "1,2,3,4"])
    with pytest.raises(Invalid):
        ingest_file(bad, dest=tmp_path / "bad.parquet", max_bytes=1_000_000)
    assert not (tmp_path / "bad.parquet").exists()
    good = _csv(tmp_path / "good.csv", "a,b", ["1,x", "2,y"])
    assert ingest_file(good, dest=tmp_path / "good.parquet", max_bytes=1_000_000).row_count == 2
    assert _rows(tmp_path / "good.parquet") == [(1, "x"), (2, "y")]


def test_concurrent_small_ingests_each_get_their_own_rows(tmp_path: Path) -> None:
    def one(n: int) -> list[tuple[object, ...]]:
        rows = [f"{i},{n}" for i in range(n + 1)]
        src = _csv(tmp_path / f"c{n}.csv", "i,owner", rows)
        dest = tmp_path / f"c{n}.parquet"
        assert ingest_file(src, dest=dest, max_bytes=1_000_000).row_count == n + 1
        return _rows(dest)

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(one, range(12)))
    for n, rows in enumerate(results):
        assert rows == [(i, n) for i in range(n + 1)]


def test_a_forked_child_ingests_on_an_instance_of_its_own(tmp_path: Path) -> None:
    # The parent's instance, copied by the fork, must be neither used nor torn down in the child: DuckDB
    # crashed the child doing either (the crash-safety test forks children that ingest).
    first = _csv(tmp_path / "parent.csv", "id", ["1", "2"])
    assert ingest_file(first, dest=tmp_path / "parent.parquet", max_bytes=1_000_000).row_count == 2
    pid = os.fork()
    if pid == 0:  # the child: report by exit code only, and leave without Python's teardown
        code = 1
        try:
            src = _csv(tmp_path / "child.csv", "id,name", ["1,a", "2,b", "3,c"])
            result = ingest_file(src, dest=tmp_path / "child.parquet", max_bytes=1_000_000)
            code = 0 if result.row_count == 3 and shared_engine._inherited else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
    assert _rows(tmp_path / "child.parquet") == [(1, "a"), (2, "b"), (3, "c")]
    again = _csv(tmp_path / "again.csv", "id", ["7"])  # the parent's instance still serves the parent
    assert ingest_file(again, dest=tmp_path / "again.parquet", max_bytes=1_000_000).row_count == 1
