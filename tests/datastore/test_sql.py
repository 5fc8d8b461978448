"""The public SQL endpoint must not be a way into the machine."""

from __future__ import annotations

from pathlib import Path

import pytest

from obert.datastore.sql import run_sql
from obert.errors import Invalid, ObertError, TooLarge


def test_select_over_named_tables(versions: dict[str, Path]) -> None:
    page = run_sql(
        'SELECT "Nom_districte" AS d, count(*) AS n FROM acc GROUP BY 1 ORDER BY n DESC',
        tables={"acc": versions["accidents"]},
        timeout_s=10,
        max_rows=3,
    )
    assert page.rows[0] == {"d": "Eixample", "n": 2947}
    assert len(page.rows) == 3 and page.truncated
    assert [(f.name, f.type) for f in page.fields] == [("d", "text"), ("n", "integer")]


def test_with_and_join(versions: dict[str, Path]) -> None:
    page = run_sql(
        "WITH e AS (SELECT * FROM est) "
        "SELECT count(*) AS n FROM e JOIN acc ON e.Codi_districte = acc.Codi_districte",
        tables={"acc": versions["accidents"], "est": versions["stations"]},
    )
    assert isinstance(page.rows[0]["n"], int)


ATTACKS = [
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_text('/etc/passwd')",
    "SELECT * FROM read_blob('/etc/hostname')",
    "SELECT * FROM '/etc/passwd'",
    "SELECT * FROM glob('/*')",
    "SELECT * FROM read_parquet('/tmp/../etc/*.parquet')",
    "SELECT * FROM 'https://example.org/x.csv'",
    "ATTACH '/tmp/obert-evil.db' AS evil",
    "COPY (SELECT 1) TO '/tmp/obert-evil.csv'",
    "EXPORT DATABASE '/tmp/obert-evil'",
    "INSTALL httpfs",
    "LOAD httpfs",
    "SET enable_external_access = true",
    "PRAGMA version",
    "CALL duckdb_settings()",
    "CREATE TABLE x AS SELECT 1",
    "DROP VIEW acc",
    "SELECT 1; SELECT 2",
    "SELECT 1; COPY (SELECT 1) TO '/tmp/obert-evil.csv'",
    "SELEC nonsense",
]


@pytest.mark.parametrize("sql", ATTACKS)
def test_attacks_are_refused(sql: str, versions: dict[str, Path]) -> None:
    with pytest.raises(ObertError) as info:
        run_sql(sql, tables={"acc": versions["accidents"]}, timeout_s=5)
    assert 400 <= info.value.status < 500
    assert not Path("/tmp/obert-evil.csv").exists() and not Path("/tmp/obert-evil.db").exists()


def test_runaway_query_is_stopped(versions: dict[str, Path]) -> None:
    with pytest.raises(Invalid) as info:
        run_sql(
            "SELECT count(*) FROM acc a, acc b, acc c", tables={"acc": versions["accidents"]}, timeout_s=0.5
        )
    assert "time" in info.value.errors[0].message


def test_unknown_column_is_invalid(versions: dict[str, Path]) -> None:
    with pytest.raises(Invalid) as info:
        run_sql("SELECT nope FROM acc", tables={"acc": versions["accidents"]})
    assert info.value.errors[0].field == "sql"


def test_bad_table_name(versions: dict[str, Path]) -> None:
    with pytest.raises(Invalid):
        run_sql("SELECT 1", tables={"a; DROP": versions["accidents"]})


def test_engine_errors_name_no_server_path(tmp_path: Path) -> None:
    broken = tmp_path / "versions" / "broken.parquet"
    broken.parent.mkdir()
    broken.write_bytes(b"not a parquet file, but long enough to be read as one" * 4)
    with pytest.raises(ObertError) as info:
        run_sql("SELECT * FROM t", tables={"t": broken})
    said = " ".join([info.value.message, *(e.message for e in info.value.errors)])
    assert 400 <= info.value.status < 500
    assert str(tmp_path) not in said and "broken.parquet" not in said, said


def test_an_answer_is_capped_in_bytes(versions: dict[str, Path]) -> None:
    tables = {"acc": versions["accidents"]}
    with pytest.raises(TooLarge) as info:
        run_sql("SELECT * FROM acc", tables=tables, max_rows=1000, max_bytes=20_000)
    assert "20000 bytes" in info.value.errors[0].message
    page = run_sql("SELECT * FROM acc", tables=tables, max_rows=10, max_bytes=20_000)
    assert len(page.rows) == 10 and page.truncated
