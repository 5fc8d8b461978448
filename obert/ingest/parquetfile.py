"""A Parquet upload: validated by reading it, and rewritten with obert's types and metadata."""

from __future__ import annotations

from pathlib import Path

import duckdb

from obert.datastore.engine import quote_ident, quote_literal
from obert.datastore.schema import STORAGE_TYPES, type_from_storage
from obert.errors import FieldError, Invalid, msg
from obert.ingest.names import clean_names
from obert.ingest.stage import Staged, copy_select


def stage_parquet(con: duckdb.DuckDBPyConnection, path: Path, *, tmp: Path, max_columns: int) -> Staged:
    src = f"read_parquet({quote_literal(str(path))})"
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()
    except duckdb.Error as exc:
        raise Invalid(
            msg("the file is not a readable Parquet file"),
            errors=[FieldError("file", str(exc).splitlines()[0])],
        ) from exc
    if len(described) > max_columns:
        raise Invalid(
            msg(
                "the table has {count} columns, more than the {limit} allowed",
                count=len(described),
                limit=max_columns,
            ),
            errors=[FieldError("header", f"{len(described)} columns > {max_columns}")],
        )
    originals = [str(r[0]) for r in described]
    names = clean_names(originals)
    types = [type_from_storage(str(r[1])) for r in described]
    exprs = []
    for orig, name, typ, physical in zip(
        originals, names, types, (str(r[1]) for r in described), strict=True
    ):
        col = quote_ident(orig)
        if physical.endswith("[]") or physical.startswith(("STRUCT", "MAP", "UNION")):
            value = f"CAST(to_json({col}) AS VARCHAR)"  # nested values are kept whole, as JSON text
        elif physical.startswith("DECIMAL"):
            value = col  # exact numbers stay exact (money keeps its cents)
        elif physical.startswith("TIMESTAMP WITH TIME ZONE"):
            value = f"timezone('UTC', {col})"
        else:
            value = f"CAST({col} AS {STORAGE_TYPES[typ]})"
        exprs.append(f"{value} AS {quote_ident(name)}")
    stats = copy_select(con, f"SELECT {', '.join(exprs)} FROM {src}", tmp=tmp, names=names, types=types)
    return Staged(
        row_count=stats.rows,
        names=names,
        original_names=originals,
        types=types,
        placeholders=[0] * len(names),
        stats=stats,
    )
