"""Read-only SQL over published tables, for the public SQL endpoint.

Defence in depth, because this is arbitrary user SQL: (1) exactly one statement, and DuckDB's own
parser must call it a SELECT (WITH … SELECT included); (2) each run gets a fresh connection where
the tables are views, after which external access is switched off, only the table files are
readable and the configuration is locked, so read_csv('/etc/passwd'), COPY, ATTACH, INSTALL/LOAD
and SET are refused by DuckDB itself; (3) a timer interrupts the query; (4) rows are capped.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

import duckdb

from obert.datastore.engine import connect, lock_down, quote_ident, quote_literal, read_schema, translated
from obert.datastore.query import RowsPage, json_value
from obert.datastore.schema import Field, type_from_storage
from obert.errors import FieldError, Invalid

_TABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


def run_sql(
    sql: str,
    *,
    tables: dict[str, Path],
    timeout_s: float = 5.0,
    max_rows: int = 1000,
    memory_limit: str = "256MB",
) -> RowsPage:
    """Run one SELECT over `tables` (view name → Parquet version), at most `max_rows` rows back."""
    con = connect(threads=2, memory_limit=memory_limit)
    try:
        _check_statement(con, sql)
        with translated(field="sql"):
            for name, path in tables.items():
                if not _TABLE_NAME.match(name):
                    raise Invalid("bad table name", errors=[FieldError("tables", repr(name))])
                read_schema(con, path)  # NotFound for a missing file, before anything runs
                source = f"read_parquet({quote_literal(str(path.resolve()))})"
                con.execute(f"CREATE VIEW {quote_ident(name)} AS SELECT * FROM {source}")
            # Spilling to disk would be a way to fill it; the memory limit is the bound instead.
            con.execute("SET temp_directory = ''")
            lock_down(con, allowed_files=list(tables.values()))
        return _execute(con, sql, timeout_s=timeout_s, max_rows=max_rows)
    finally:
        con.close()


def _check_statement(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    with translated(field="sql"):
        statements = con.extract_statements(sql)
    if len(statements) != 1:
        raise Invalid(
            "exactly one SQL statement is allowed",
            errors=[FieldError("sql", f"found {len(statements)} statements")],
        )
    if statements[0].type != duckdb.StatementType.SELECT:
        raise Invalid(
            "only SELECT queries are allowed",
            errors=[FieldError("sql", f"{statements[0].type.name} statements are not allowed")],
        )


def _execute(con: duckdb.DuckDBPyConnection, sql: str, *, timeout_s: float, max_rows: int) -> RowsPage:
    timed_out = [False]

    def stop() -> None:
        timed_out[0] = True
        con.interrupt()

    timer = threading.Timer(timeout_s, stop)
    timer.start()
    try:
        with translated(field="sql", timed_out=timed_out):
            cur = con.execute(sql)
            described = cur.description or []
            raw = cur.fetchmany(max_rows + 1)
    finally:
        timer.cancel()
    names = _unique([str(d[0]) for d in described])
    fields = [Field(n, type_from_storage(str(d[1]))) for n, d in zip(names, described, strict=True)]
    truncated = len(raw) > max_rows
    rows = [{n: json_value(v) for n, v in zip(names, r, strict=True)} for r in raw[:max_rows]]
    return RowsPage(fields=fields, rows=rows, total=None, truncated=truncated)


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        if n in seen:
            seen[n] += 1
            out.append(f"{n}_{seen[n]}")
        else:
            seen[n] = 1
            out.append(n)
    return out
