"""Streamed downloads of a table version (or a filtered part of it) in common formats."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pyarrow as pa
import pyarrow.parquet as pq

from obert.datastore.csvout import CsvStyle, cell_sql, csv_stream
from obert.datastore.engine import quote_ident, translated
from obert.datastore.filters import FilterValue, where_clause
from obert.datastore.geo import coordinate_candidates, detect_geo, positions
from obert.datastore.geoparquet import geoparquet
from obert.datastore.masking import Masked, column_expr, refuse_masked
from obert.datastore.pairs import LonLatBox
from obert.datastore.positions import position_columns, position_index
from obert.datastore.query import json_value, order_by, select_fields
from obert.datastore.schema import Field, GeoInfo
from obert.datastore.sink import Sink
from obert.datastore.tables import OpenTable, open_table
from obert.datastore.xlsx import check_fits, xlsx_stream
from obert.errors import FieldError, Invalid

ExportFormat = Literal["csv", "json", "jsonl", "parquet", "xlsx", "geojson", "geoparquet"]
FORMATS: tuple[str, ...] = ("csv", "json", "jsonl", "parquet", "xlsx", "geojson", "geoparquet")
GEO_FORMATS = frozenset({"geojson", "geoparquet"})  # only for tables with positions
# A format whose writer changed what it writes, and since when: part of a cached whole export's name, so
# that a file written before the change is written again rather than served (2: XLSX dates are dates;
# 3: rows without references, other bytes for the same cells, as every writer must write the same bytes).
WRITER_REVISIONS: dict[str, int] = {"xlsx": 3}
_BATCH = 10_000
_ROW_GROUP = 122_880  # rows per Parquet row group, as DuckDB writes them


PLAIN_CSV = CsvStyle()
# For spreadsheet programs, which read a CSV with the separators of the computer's regional settings and
# take a file without a byte-order mark for the local legacy encoding (Excel): in Catalan and Spanish
# settings the decimal mark is a comma, so fields are separated by semicolons.
SPREADSHEET_CSV: dict[str, CsvStyle] = {
    "ca": CsvStyle(delimiter=";", decimal=",", bom=True),
    "es": CsvStyle(delimiter=";", decimal=",", bom=True),
    "en": CsvStyle(delimiter=",", decimal=".", bom=True),
}
_CHUNK = 1 << 16


def export(
    path: Path,
    fmt: str,
    *,
    filters: dict[str, FilterValue] | None = None,
    q: str | None = None,
    fields: list[str] | None = None,
    sort: list[tuple[str, bool]] | None = None,
    limit: int | None = None,
    masked: Masked | None = None,
    epsg: int | None = None,
    csv_style: CsvStyle = PLAIN_CSV,
    geo: GeoInfo | None = None,
) -> Iterator[bytes]:
    """The rows of `path` as a byte stream in `fmt`. Arguments are checked before this returns,
    so a bad request raises here and not in the middle of a half-sent download. `epsg` is the system of
    UTM x/y columns, for GeoJSON (see ``geo.declared_utm_epsg``); `csv_style` the separators of a CSV;
    `geo` which columns hold the positions of a geo format, when decided (the publisher's choice), else
    found from the columns' names and values."""
    if fmt not in FORMATS:
        raise Invalid(
            "unknown export format", errors=[FieldError("format", f"{fmt!r} is not one of {FORMATS}")]
        )
    refuse_masked(masked, filters=filters, sort=sort)
    table = open_table(path)
    chosen = select_fields(table.schema, fields)
    where, params = where_clause(table.schema, filters or {}, q)
    if limit is not None and limit < 0:
        raise Invalid("limit out of range", errors=[FieldError("limit", "must be 0 or more")])
    tail = f"{order_by(table.schema, sort or [])}" + (f" LIMIT {int(limit)}" if limit is not None else "")
    if fmt == "parquet" and not masked and not where and fields is None and not sort and limit is None:
        return _file_bytes(path)  # the version itself: already the best Parquet there is
    placed = geo or GeoInfo()
    if fmt in GEO_FORMATS:
        placed = geo or table_geo(table)
        if not placed.mappable:
            raise Invalid(
                "this table has no geometry, lon/lat or UTM x/y columns",
                errors=[FieldError("format", fmt)],
            )
    if fmt == "geoparquet":
        kept = [f for f in chosen if f.name != placed.geometry]
        cols = [column_expr(f.name, masked) for f in kept] + position_columns(placed)
        whole = not where and limit is None
        index = position_index(table, placed, epsg=epsg) if whole else None
        sql = f"SELECT {', '.join(cols)} FROM t {where} {tail}"
        return geoparquet(table, sql, params, kept, epsg=epsg, index=index)
    if fmt == "geojson":
        spots = (placed.geometry, placed.lon, placed.lat, placed.utm_x, placed.utm_y)
        extra = [f for f in spots if f and f not in {c.name for c in chosen}]
        chosen = chosen + [Field(n, table.schema.type_of(n) or "text") for n in extra]
        sql = _select(chosen, where, tail, masked)
        return _geojson(table, sql, params, chosen, placed, epsg)
    sql = _select(chosen, where, tail, masked)
    if fmt == "csv":
        return csv_stream(table, sql, params, chosen, csv_style)
    if fmt == "xlsx":
        check_fits(table, sql, params)
    writers = {"json": _json, "jsonl": _jsonl, "parquet": _parquet, "xlsx": xlsx_stream}
    return writers[fmt](table, sql, params, chosen)


def table_geo(table: OpenTable, *, extent: LonLatBox | None = None) -> GeoInfo:
    """The table's geometry column (from its metadata) and lon/lat or UTM columns (from their names and
    values; inside the city's `extent` when it is known)."""
    candidates = coordinate_candidates(table.schema.fields)
    ranges: dict[str, tuple[float, float]] = {}
    if candidates:
        exprs = ", ".join(
            f"approx_quantile({quote_ident(n)}, [0.01, 0.99]) FILTER (WHERE {quote_ident(n)} <> -1)"
            for n in candidates
        )
        with translated():
            row = table.cursor().execute(f"SELECT {exprs} FROM (SELECT * FROM t LIMIT 100000)").fetchone()
        for n, qs in zip(candidates, row or [], strict=False):
            if qs is not None and qs[0] is not None:
                ranges[n] = (float(qs[0]), float(qs[1]))
    return detect_geo(table.schema.fields, ranges, geometry=table.schema.geo.geometry, extent=extent)


def csv_texts(path: Path, column: str, values: list[object]) -> list[str]:
    """How the CSV export writes each of `values` that column `column` of `path` holds (a cell's text, as
    its type prints it: ``-1``, ``-1.0`` or ``-1.00``), in the order given; values it does not hold are
    left out."""
    table = open_table(path)
    kind = table.schema.type_of(column)
    if kind is None or not values:
        return []
    field = Field(column, kind)
    text = cell_sql(field, "v", PLAIN_CSV)
    col = quote_ident(column)
    out = []
    for value in values:
        with translated():
            row = (
                table.cursor()
                .execute(f"SELECT {text} FROM (SELECT {col} AS v FROM t WHERE {col} = ? LIMIT 1)", [value])
                .fetchone()
            )
        if row is not None and row[0] not in (None, ""):
            out.append(str(row[0]))
    return out


def _select(chosen: list[Field], where: str, tail: str, masked: Masked | None) -> str:
    return f"SELECT {', '.join(column_expr(f.name, masked) for f in chosen)} FROM t {where} {tail}"


def _rows(table: OpenTable, sql: str, params: list[object]) -> Iterator[list[tuple[object, ...]]]:
    cur = table.cursor()
    with translated():
        cur.execute(sql, params)
    while True:
        with translated():
            batch = cur.fetchmany(_BATCH)
        if not batch:
            return
        yield batch


def _json(table: OpenTable, sql: str, params: list[object], chosen: list[Field]) -> Iterator[bytes]:
    names = [f.name for f in chosen]
    first = True
    yield b"["
    for batch in _rows(table, sql, params):
        parts = []
        for row in batch:
            obj = {n: json_value(v) for n, v in zip(names, row, strict=True)}
            parts.append(("\n" if first else ",\n") + json.dumps(obj, ensure_ascii=False))
            first = False
        yield "".join(parts).encode()
    yield b"\n]\n"


def _jsonl(table: OpenTable, sql: str, params: list[object], chosen: list[Field]) -> Iterator[bytes]:
    names = [f.name for f in chosen]
    for batch in _rows(table, sql, params):
        lines = (
            json.dumps({n: json_value(v) for n, v in zip(names, r, strict=True)}, ensure_ascii=False)
            for r in batch
        )
        yield ("\n".join(lines) + "\n").encode()


def _parquet(table: OpenTable, sql: str, params: list[object], chosen: list[Field]) -> Iterator[bytes]:
    # DuckDB's relation API streams its result as Arrow batches; a DB-API result (`execute`) is first
    # copied whole into Arrow, which took a filtered export of 1M rows to 746 MB against 307 MB here.
    # Streamed batches are small, so they are gathered into row groups of DuckDB's own size.
    cur = table.cursor()
    with translated():
        reader = cur.sql(sql, params=params or None).to_arrow_reader(_ROW_GROUP)
    sink = Sink()
    writer = pq.ParquetWriter(sink, reader.schema, compression="snappy")
    pending: list[pa.RecordBatch] = []
    rows = 0
    while True:
        with translated():
            batch = next(reader, None)
        if batch is not None:
            pending.append(batch)
            rows += batch.num_rows
        if pending and (batch is None or rows >= _ROW_GROUP):
            writer.write_table(pa.Table.from_batches(pending, schema=reader.schema), row_group_size=rows)
            pending, rows = [], 0
            if chunk := sink.drain():
                yield chunk
        if batch is None:
            break
    writer.close()
    yield sink.drain()


def _geojson(
    table: OpenTable, sql: str, params: list[object], chosen: list[Field], geo: GeoInfo, epsg: int | None
) -> Iterator[bytes]:
    names = [f.name for f in chosen]
    skip = {n for n in (geo.geometry,) if n}
    yield b'{"type": "FeatureCollection", "features": ['
    first = True
    for batch in _rows(table, sql, params):
        records = [dict(zip(names, row, strict=True)) for row in batch]
        parts = []
        for rec, geometry in zip(records, positions(records, geo, epsg=epsg), strict=True):
            feature = {
                "type": "Feature",
                "geometry": geometry,
                "properties": {n: json_value(v) for n, v in rec.items() if n not in skip},
            }
            parts.append(("\n" if first else ",\n") + json.dumps(feature, ensure_ascii=False))
            first = False
        yield "".join(parts).encode()
    yield b"\n]}\n"


def _file_bytes(path: Path) -> Iterator[bytes]:
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            yield chunk


__all__ = [
    "FORMATS",
    "GEO_FORMATS",
    "PLAIN_CSV",
    "SPREADSHEET_CSV",
    "WRITER_REVISIONS",
    "CsvStyle",
    "ExportFormat",
    "csv_texts",
    "export",
    "table_geo",
]
