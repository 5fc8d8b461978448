"""What changed between two versions of a table: columns, and rows added, removed or changed."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from obert.datastore.engine import connect, lock_down, quote_ident, quote_literal, read_schema, translated
from obert.datastore.query import json_value
from obert.datastore.schema import ColumnType
from obert.errors import FieldError, Invalid

SAMPLE = 20


@dataclass(frozen=True, slots=True)
class DiffResult:
    columns_added: list[str]
    columns_removed: list[str]
    columns_retyped: dict[str, tuple[ColumnType, ColumnType]]
    rows_added: int
    rows_removed: int
    rows_changed: int | None  # None without a key: a changed row is then one removed plus one added
    sample_added: list[dict[str, object]] = field(default_factory=list)
    sample_removed: list[dict[str, object]] = field(default_factory=list)
    sample_changed: list[dict[str, object]] = field(
        default_factory=list
    )  # key + {"old": …, "new": …} per column


def diff(old_path: Path, new_path: Path, *, key: list[str] | None = None) -> DiffResult:
    """Compare two versions by `key` columns, or as multisets of whole rows when there is no key."""
    cur = connect(threads=2)
    try:
        return _diff(cur, old_path, new_path, key)
    finally:
        cur.close()


def _diff(
    cur: duckdb.DuckDBPyConnection, old_path: Path, new_path: Path, key: list[str] | None
) -> DiffResult:
    with translated():
        old_types = {f.name: f.type for f in read_schema(cur, old_path).fields}
        new_types = {f.name: f.type for f in read_schema(cur, new_path).fields}
        cur.execute(
            f"CREATE VIEW old_t AS SELECT * FROM read_parquet({quote_literal(str(old_path.resolve()))})"
        )
        cur.execute(f"CREATE VIEW t AS SELECT * FROM read_parquet({quote_literal(str(new_path.resolve()))})")
        lock_down(cur, allowed_files=[old_path, new_path])
    common = [n for n in old_types if n in new_types]
    retyped = {n: (old_types[n], new_types[n]) for n in common if old_types[n] != new_types[n]}
    for k in key or []:
        if k not in common:
            raise Invalid("the key must be a column of both versions", errors=[FieldError("key", k)])

    # Where a column changed type, compare numbers as numbers (1 and 1.0 are equal) and anything
    # else by its text rendering.
    def col(alias: str, n: str) -> str:
        c = f"{alias}.{quote_ident(n)}"
        if n not in retyped:
            return c
        numeric = all(t in ("integer", "decimal") for t in retyped[n])
        return f"CAST({c} AS {'DOUBLE' if numeric else 'VARCHAR'})"

    cols = ", ".join(col("x", n) for n in common)
    with translated():
        if key:
            on = " AND ".join(f"{col('o', k)} = {col('n', k)}" for k in key)
            keys_n = ", ".join(f"n.{quote_ident(k)}" for k in key)
            rest = [n for n in common if n not in key]
            changed_cond = (
                " OR ".join(f"{col('o', n)} IS DISTINCT FROM {col('n', n)}" for n in rest) or "false"
            )
            added = _count(cur, f"SELECT n.* FROM t n ANTI JOIN old_t o ON {on}")
            removed = _count(cur, f"SELECT o.* FROM old_t o ANTI JOIN t n ON {on}")
            changed_sql = f"FROM old_t o JOIN t n ON {on} WHERE {changed_cond}"
            changed = _count(cur, f"SELECT 1 {changed_sql}")
            sample_changed = _changed_sample(cur, changed_sql, key, rest, keys_n)
            sample_added = _sample(cur, f"SELECT n.* FROM t n ANTI JOIN old_t o ON {on}")
            sample_removed = _sample(cur, f"SELECT o.* FROM old_t o ANTI JOIN t n ON {on}")
        else:
            plus = f"SELECT {cols} FROM t x EXCEPT ALL SELECT {cols} FROM old_t x"
            minus = f"SELECT {cols} FROM old_t x EXCEPT ALL SELECT {cols} FROM t x"
            added, removed, changed = _count(cur, plus), _count(cur, minus), None
            sample_added, sample_removed, sample_changed = _sample(cur, plus), _sample(cur, minus), []
    return DiffResult(
        columns_added=[n for n in new_types if n not in old_types],
        columns_removed=[n for n in old_types if n not in new_types],
        columns_retyped=retyped,
        rows_added=added,
        rows_removed=removed,
        rows_changed=changed,
        sample_added=sample_added,
        sample_removed=sample_removed,
        sample_changed=sample_changed,
    )


def _count(cur: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = cur.execute(f"SELECT count(*) FROM ({sql})").fetchone()
    return int(row[0]) if row else 0


def _sample(cur: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, object]]:
    result = cur.execute(f"SELECT * FROM ({sql}) LIMIT {SAMPLE}")
    names = [d[0] for d in result.description]
    return [{n: json_value(v) for n, v in zip(names, r, strict=True)} for r in result.fetchall()]


def _changed_sample(
    cur: duckdb.DuckDBPyConnection, changed_sql: str, key: list[str], rest: list[str], keys_n: str
) -> list[dict[str, object]]:
    olds = ", ".join(f"o.{quote_ident(n)}" for n in rest)
    news = ", ".join(f"n.{quote_ident(n)}" for n in rest)
    select = ", ".join(x for x in (keys_n, olds, news) if x)
    rows = cur.execute(f"SELECT {select} {changed_sql} LIMIT {SAMPLE}").fetchall()
    out = []
    for r in rows:
        item: dict[str, object] = {k: json_value(v) for k, v in zip(key, r[: len(key)], strict=True)}
        o, n = r[len(key) : len(key) + len(rest)], r[len(key) + len(rest) :]
        for name, a, b in zip(rest, o, n, strict=True):
            if a != b:
                item[name] = {"old": json_value(a), "new": json_value(b)}
        out.append(item)
    return out
