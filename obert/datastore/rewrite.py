"""New table contents made from an existing version, for writes: versions are immutable, so deleting or
adding rows means writing a new file (which the ingest then turns into the next version)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from obert.datastore.engine import connect, parquet_source, quote_ident, read_schema, translated
from obert.datastore.filters import FilterValue, Scalar, check_column, coerce, where_clause
from obert.errors import FieldError, Invalid


def write_without(path: Path, *, filters: dict[str, FilterValue], target: Path) -> int:
    """Write to `target` (Parquet) the rows of `path` that `filters` do not match; return how many went.

    The filters mean exactly what they mean when searching, so a delete removes what a search with the
    same filters shows.
    """
    if not filters:
        raise Invalid("filters are missing", errors=[FieldError("filters", "name the rows to delete")])
    con = connect(threads=2)
    try:
        schema = read_schema(con, path)
        where, params = where_clause(schema, filters, None)
        condition = where.removeprefix("WHERE ")
        columns = ", ".join(quote_ident(n) for n in schema.names())
        with translated(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # DuckDB notes that a DB-API result copies into Arrow
            con.execute(f"CREATE VIEW t AS SELECT * FROM {parquet_source(path)}")
            kept = con.execute(
                f"SELECT {columns} FROM t WHERE NOT coalesce(({condition}), false) ORDER BY file_row_number",
                params,
            ).to_arrow_table()
            total = con.execute("SELECT count(*) FROM t").fetchone()
    finally:
        con.close()
    if kept is None:  # pragma: no cover - a SELECT always has a result
        raise AssertionError("no result")
    pq.write_table(kept, target)
    return (int(total[0]) if total else 0) - int(kept.num_rows)


def write_appended(path: Path, *, records: list[dict[str, Scalar]], target: Path) -> int:
    """Write to `target` (Parquet) the rows of `path` followed by `records`; return how many were added.

    Each value must suit its column's type (the same check a filter value gets); columns a record leaves
    out are empty in its row. A column the table does not have is refused, naming the record.
    """
    con = connect(threads=2)
    try:
        schema = read_schema(con, path)
        columns = ", ".join(quote_ident(n) for n in schema.names())
        added = []
        for i, record in enumerate(records):
            for name in record:
                check_column(schema, name, field=f"records.{i}.{name}")
            added.append(
                {
                    f.name: coerce(record.get(f.name), f.type, field=f"records.{i}.{f.name}")
                    for f in schema.fields
                }
            )
        with translated(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # DuckDB notes that a DB-API result copies into Arrow
            current = con.execute(
                f"SELECT {columns} FROM {parquet_source(path)} ORDER BY file_row_number"
            ).to_arrow_table()
    finally:
        con.close()
    if current is None:  # pragma: no cover - a SELECT always has a result
        raise AssertionError("no result")
    new = pa.Table.from_pylist(added, schema=current.schema)
    pq.write_table(pa.concat_tables([current, new]), target)
    return len(added)
