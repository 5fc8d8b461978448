"""New table contents made from an existing version, for writes: versions are immutable, so deleting,
adding or changing rows means writing a new file (which the ingest then turns into the next version)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, TypeAlias

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from obert.datastore.engine import connect, parquet_source, quote_ident, read_schema, translated
from obert.datastore.filters import FilterValue, Scalar, check_column, coerce, where_clause
from obert.datastore.schema import TableSchema
from obert.errors import FieldError, Invalid

WriteMethod: TypeAlias = Literal["insert", "upsert", "update"]  # CKAN's datastore_upsert methods


def write_without(
    path: Path, *, filters: dict[str, FilterValue], target: Path, everything: bool = False
) -> int:
    """Write to `target` (Parquet) the rows of `path` that `filters` do not match; return how many went.

    The filters mean exactly what they mean when searching, so a delete removes what a search with the
    same filters shows. No filters is refused unless `everything` says that every row should go.
    """
    if not filters and not everything:
        raise Invalid("filters are missing", errors=[FieldError("filters", "name the rows to delete")])
    con = connect(threads=2)
    try:
        schema = read_schema(con, path)
        where, params = where_clause(schema, filters, None)
        condition = where.removeprefix("WHERE ") or "true"
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
        current = _read_all(con, path, schema)
    finally:
        con.close()
    new = pa.Table.from_pylist(added, schema=current.schema)
    pq.write_table(pa.concat_tables([current, new]), target)
    return len(added)


def write_upserted(
    path: Path,
    *,
    records: list[dict[str, Scalar]],
    key: Sequence[str],
    method: WriteMethod,
    target: Path,
) -> int:
    """Write to `target` the rows of `path` with `records` applied on the primary key `key`; return how
    many rows changed or were added.

    With `method` "update" or "upsert", a record whose key matches rows sets the columns it names in
    them and leaves the others as they were. One whose key matches nothing is added at the end by
    "upsert" and refused, naming its key, by "update". Records apply in order, so a later record with
    the same key as an earlier one updates what the earlier one wrote. "insert" adds every record and
    refuses one whose key is already taken, as a unique key would.
    """
    con = connect(threads=2)
    try:
        schema = read_schema(con, path)
        for name in key:
            if schema.type_of(name) is None:
                # The key outlived its column: a file uploaded since replaced the table's columns.
                raise Invalid(
                    f"the table's primary key column {name!r} is not in its current version",
                    errors=[FieldError("table", f"primary key column {name!r} is gone: set a new key")],
                )
        given = [_typed(schema, record, key, i) for i, record in enumerate(records)]
        current = _read_all(con, path, schema)
    finally:
        con.close()
    rows = _rows_by_key(current, key, [tuple(r[k] for k in key) for r in given])
    patches: dict[str, dict[int, object]] = {}
    added: list[dict[str, object]] = []
    new_rows: dict[tuple[object, ...], int] = {}
    for i, record in enumerate(given):
        wanted = tuple(record[k] for k in key)
        shown = ", ".join(f"{k}={v}" for k, v in zip(key, wanted, strict=True))
        if method == "insert" and (wanted in rows or wanted in new_rows):
            raise Invalid(
                f"record {i}: a row already has the key ({shown})",
                errors=[FieldError("key", f'record {i}: key "{shown}" already exists')],
            )
        if wanted in rows:
            for row in rows[wanted]:
                for name, value in record.items():
                    patches.setdefault(name, {})[row] = value
        elif wanted in new_rows:
            added[new_rows[wanted]].update(record)
        elif method != "update":
            new_rows[wanted] = len(added)
            added.append(dict(record))
        else:
            raise Invalid(
                f"record {i}: no row has the key ({shown})",
                errors=[FieldError("key", f'record {i}: key "{shown}" not found')],
            )
    changed: set[int] = set()
    for name, patch in patches.items():
        index = current.schema.get_field_index(name)
        column = current.column(index)
        different = {row: v for row, v in patch.items() if _same(column[row].as_py()) != v}
        if not different:
            continue
        changed.update(different)
        # Only the changed cells are touched: the column stays in Arrow, whatever the table's size.
        field = current.schema.field(index)
        replacements = pa.array([different[row] for row in sorted(different)], type=field.type)
        mask = _mask(current.num_rows, sorted(different))
        current = current.set_column(index, field, pc.replace_with_mask(column, mask, replacements))
    new = pa.Table.from_pylist(
        [{f.name: record.get(f.name) for f in schema.fields} for record in added], schema=current.schema
    )
    pq.write_table(pa.concat_tables([current, new]), target)
    return len(changed) + len(added)


def _mask(size: int, positions: list[int]) -> pa.Array:
    """A boolean array of `size`, true at the sorted `positions`, built in runs rather than cell by cell."""
    pieces = []
    start = 0
    for position in positions:
        pieces += [pa.repeat(False, position - start), pa.repeat(True, 1)]
        start = position + 1
    pieces.append(pa.repeat(False, size - start))
    return pa.concat_arrays(pieces)


def _rows_by_key(
    table: pa.Table, key: Sequence[str], wanted: list[tuple[object, ...]]
) -> dict[tuple[object, ...], list[int]]:
    """The rows of `table` (by position) whose key is one of `wanted`.

    Arrow finds the candidates (each key column holding one of the wanted values) without turning the
    table into Python objects; only those few rows are then compared whole.
    """
    if not wanted:
        return {}
    candidates = None
    for n, name in enumerate(key):
        column = table.column(name)
        values = pa.array(list({w[n] for w in wanted}), type=column.type)
        found = pc.is_in(column, value_set=values)
        candidates = found if candidates is None else pc.and_(candidates, found)
    positions = pc.indices_nonzero(candidates).to_pylist() if candidates is not None else []
    keys = table.select(list(key)).take(positions).to_pylist() if positions else []
    wanted_set = set(wanted)
    rows: dict[tuple[object, ...], list[int]] = {}
    for position, values in zip(positions, keys, strict=True):
        found_key = tuple(_same(values[k]) for k in key)
        if found_key in wanted_set:
            rows.setdefault(found_key, []).append(position)
    return rows


def _typed(schema: TableSchema, record: dict[str, Scalar], key: Sequence[str], i: int) -> dict[str, object]:
    """A record's values as its columns' types, its key columns required."""
    for name in key:
        if record.get(name) is None:
            raise Invalid(
                f"record {i} has no value for the key column {name!r}",
                errors=[FieldError("key", f'record {i}: field "{name}" is missing but needed as key')],
            )
    out: dict[str, object] = {}
    for name, value in record.items():
        typ = check_column(schema, name, field=f"records.{i}.{name}")
        out[name] = _same(coerce(value, typ, field=f"records.{i}.{name}"))
    return out


def _same(value: object) -> object:
    """A value as compared with the table's: an aware time as naive UTC, as the table stores it."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def _read_all(con: duckdb.DuckDBPyConnection, path: Path, schema: TableSchema) -> pa.Table:
    """Every row of the version, in file order, as Arrow."""
    columns = ", ".join(quote_ident(n) for n in schema.names())
    with translated(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # DuckDB notes that a DB-API result copies into Arrow
        current = con.execute(
            f"SELECT {columns} FROM {parquet_source(path)} ORDER BY file_row_number"
        ).to_arrow_table()
    if current is None:  # pragma: no cover - a SELECT always has a result
        raise AssertionError("no result")
    return current
