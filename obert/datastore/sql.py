"""Read-only SQL over published tables, for the public SQL endpoint.

Defence in depth, because this is arbitrary user SQL:
(1) sqlglot parses it (`sqlcheck.parse_query`): exactly one SELECT over named tables, allowed functions
    only (no system functions or file readers), the functions that build large values bounded, and the
    checked tree written back out as the DuckDB text that runs;
(2) every table it names must be one the caller may read, or it is unknown, the same way whether it
    exists privately or not at all;
(3) it runs in a sandboxed worker process (`sandbox`) whose address space is capped and which is
    killed shortly after the time limit, in a fresh connection where the tables are views, external
    access is off, only the table files are readable and the configuration is locked;
(4) DuckDB interrupts it at the time limit, and its answer is capped in rows and in bytes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from obert.datastore.query import RowsPage
from obert.datastore.sandbox import SqlJob, SqlSandbox, default_sandbox
from obert.datastore.schema import Field, type_from_storage
from obert.datastore.sqlcheck import CheckedQuery, parse_query
from obert.errors import FieldError, Invalid

_TABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")

__all__ = ["CheckedQuery", "parse_query", "run_sql", "unknown_table"]


def run_sql(
    sql: str,
    *,
    tables: dict[str, Path],
    timeout_s: float = 5.0,
    max_rows: int = 1000,
    max_bytes: int = 10_000_000,
    memory_limit: str = "256MB",
    dialect: str = "duckdb",
    sandbox: SqlSandbox | None = None,
    row_ids: bool = False,
) -> RowsPage:
    """Run one SELECT over `tables` (view name → Parquet version): at most `max_rows` rows back, and
    at most `max_bytes` bytes of them as JSON (TooLarge past that)."""
    for name in tables:
        if not _TABLE_NAME.match(name):
            raise Invalid("bad table name", errors=[FieldError("tables", repr(name))])
    checked = parse_query(sql, dialect=dialect)
    known = {name.lower() for name in tables}
    for name in sorted(checked.tables):
        if name not in known:
            raise unknown_table(name)
    job = SqlJob(
        sql=checked.sql,
        tables={name: str(path.resolve()) for name, path in tables.items() if name.lower() in checked.tables},
        timeout_s=timeout_s,
        max_rows=max_rows,
        max_bytes=max_bytes,
        memory_limit=memory_limit,
        row_ids=row_ids,
    )
    answer = (sandbox or default_sandbox()).run(job)
    fields = [Field(name, type_from_storage(kind)) for name, kind in answer.fields]
    rows = json.loads(answer.rows_json)
    return RowsPage(fields=fields, rows=rows, total=None, truncated=answer.truncated)


def unknown_table(name: str) -> Invalid:
    """The one answer for a table that does not exist or that the caller may not see."""
    return Invalid(
        "the query names an unknown table",
        errors=[FieldError("sql", f"no table {name}; tables are resource names with hyphens as underscores")],
    )
