"""SQL databases a city runs (reached by an SQLAlchemy URL): each table or configured query becomes a
dataset whose resource is the data exported to CSV (or Parquet), kept as an upload so the datastore can
ingest it. SQLAlchemy's errors on the source database are translated here.

Config: ``tables`` (names; default every table SQLAlchemy's inspector lists), ``schema``, ``queries``
(``{"name": "SELECT ..."}``), ``format`` (``csv`` or ``parquet``), ``max_rows``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from obert.errors import FieldError, Invalid, Unavailable, msg
from obert.harvest.backends.base import FetchContext
from obert.harvest.mapping import file_sha256, slugify
from obert.harvest.models import Failure, LocalFile, Record, Source

BATCH = 10_000


def harvest_sql(source: Source, ctx: FetchContext) -> Iterator[Record | Failure]:
    lang = str(source.config.get("language", "ca"))
    fmt = str(source.config.get("format", "csv")).lower()
    if fmt not in ("csv", "parquet"):
        raise Invalid(msg("bad export format"), errors=[FieldError("config.format", "csv or parquet")])
    try:
        engine = sa.create_engine(source.url)
    except (ArgumentError, NoSuchModuleError) as exc:
        raise Invalid(msg("bad database URL"), errors=[FieldError("url", str(exc)[:200])]) from None
    try:
        for name, query, comment in _selections(engine, source.config):
            try:
                path = _export(engine, query, ctx.work_dir / f"{slugify(name)}.{fmt}", fmt, source.config)
            except SQLAlchemyError as exc:
                error = str(exc.orig if hasattr(exc, "orig") else exc)[:300]
                yield Failure(name, msg("cannot read it: {error}", error=error))
                continue
            yield _record(source, name, comment, path, fmt, lang)
    except SQLAlchemyError as exc:
        raise Unavailable(f"cannot reach the database: {str(exc)[:300]}") from None
    finally:
        engine.dispose()


def _selections(engine: sa.Engine, config: dict[str, Any]) -> Iterator[tuple[str, sa.Executable, str | None]]:
    schema = config.get("schema")
    inspector = sa.inspect(engine)
    wanted = config.get("tables")
    names = inspector.get_table_names(schema=schema) if wanted is None else [str(t) for t in wanted]
    for name in names:
        table = sa.Table(name, sa.MetaData(), schema=schema, autoload_with=engine)
        comment = table.comment
        yield name, sa.select(table), comment
    for name, text in (config.get("queries") or {}).items():
        yield str(name), sa.text(str(text)), None


def _export(engine: sa.Engine, query: sa.Executable, path: Path, fmt: str, config: dict[str, Any]) -> Path:
    limit = int(config.get("max_rows", 0)) or None
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=BATCH).execute(query)
        columns = list(result.keys())
        if fmt == "csv":
            with path.open("w", newline="", encoding="utf-8") as out:
                writer = csv.writer(out)
                writer.writerow(columns)
                for count, row in enumerate(result, 1):
                    writer.writerow(row)
                    if limit and count >= limit:
                        break
        else:
            writer_pq: pq.ParquetWriter | None = None
            try:
                for chunk in result.partitions(BATCH):
                    batch = pa.Table.from_pylist([dict(zip(columns, r, strict=True)) for r in chunk])
                    writer_pq = writer_pq or pq.ParquetWriter(path, batch.schema)
                    writer_pq.write_table(batch.cast(writer_pq.schema))
            finally:
                if writer_pq:
                    writer_pq.close()
            if writer_pq is None:
                pq.write_table(pa.table({c: pa.array([], pa.string()) for c in columns}), path)
    return path


def _record(source: Source, name: str, comment: str | None, path: Path, fmt: str, lang: str) -> Record:
    digest = file_sha256(path)
    label = name.replace("_", " ").strip()
    dataset = {
        "name": slugify(f"{source.name}-{name}"),
        "title": {lang: label},
        "description": {lang: comment} if comment else {},
        "resources": [{"title": {lang: f"{label} ({fmt.upper()})"}, "format": fmt.upper()}],
        "extras": {"table": name},
    }
    local = LocalFile(position=0, path=path, filename=f"{slugify(name)}.{fmt}", sha256=digest)
    return Record(remote_id=name, dataset=dataset, files=(local,))
