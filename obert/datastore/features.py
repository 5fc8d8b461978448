"""A table's rows as GeoJSON features, paged, in a bounding box, in a time span, in any served system.

Every row of a table with positions is a feature (a row without a usable position has a null geometry);
its id is the value of the table's identifier column when it has one, so that it keeps its id from version
to version, else its row number in the version (1, 2, 3…), kept for the version's life only (see
obert.datastore.feature_ids). The
properties are every column but the WKT geometry, with small counts hidden like every other read.
A page without a box is a plain LIMIT/OFFSET in file order; with a box, the version's position index
(obert.datastore.positions) names the rows, and the page is read by row number. A small version (at most
WHOLE_ROWS rows) is read whole after its first page, in the background, as the text of each feature in
the system asked for, and kept in memory within the process's budget (obert.datastore.resident): a
version never changes, so each later page is a slice of lists joined into the body.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa

from obert.datastore import resident
from obert.datastore.crs import CRS84, Crs
from obert.datastore.engine import quote_ident, translated
from obert.datastore.export import table_geo
from obert.datastore.feature_ids import feature_key, id_sql
from obert.datastore.filters import FilterValue, where_clause
from obert.datastore.masking import Masked, refuse_masked
from obert.datastore.memo import Memo
from obert.datastore.pairs import LonLatBox
from obert.datastore.points import property_sql
from obert.datastore.positions import BBox, located_from_arrow, position_columns, position_index
from obert.datastore.schema import GeoInfo, TableSchema
from obert.datastore.tables import OpenTable, open_table
from obert.datastore.temporal import TimeSpan, temporal_of, time_condition
from obert.errors import FieldError, Invalid, NotFound

Filters = dict[str, FilterValue]
_POSITION_OFFSET = 2  # row number, properties, the five position columns, the id, the id's JSON
_ID_AT = _POSITION_OFFSET + 5
_MAX_ROW = 2**53


@dataclass(frozen=True, slots=True)
class FeatureQuery:
    bbox: BBox | None = None
    time: TimeSpan | None = None
    filters: Filters | None = None
    limit: int = 10
    offset: int = 0
    crs: Crs = CRS84


@dataclass(frozen=True, slots=True)
class FeatureText:
    """One feature as JSON text, in parts, so a face can add its links without decoding it."""

    id: int | str
    geometry: str
    properties: str
    id_json: str | None = None  # the id as JSON text, when the query made it

    def json(self, *, links: str | None = None) -> str:
        tail = f',"links":{links}' if links is not None else ""
        ident = self.id_json if self.id_json is not None else json.dumps(self.id)
        return (
            f'{{"type":"Feature","id":{ident},"geometry":{self.geometry},'
            f'"properties":{self.properties}{tail}}}'
        )


@dataclass(frozen=True, slots=True)
class FeatureColumns:
    """A page's features as columns of JSON text (what one query and one reprojection give)."""

    ids: list[int | str]
    id_texts: list[str]
    geometries: list[str]
    properties: list[str]

    def __len__(self) -> int:
        return len(self.ids)

    def texts(self) -> list[FeatureText]:
        return [
            FeatureText(*parts)
            for parts in zip(self.ids, self.geometries, self.properties, self.id_texts, strict=True)
        ]

    def pick(self, rows: np.ndarray) -> FeatureColumns:
        """The features at `rows` (row numbers of a whole version, ascending)."""
        first, last = int(rows[0]), int(rows[-1]) + 1
        if last - first == len(rows):  # a run: slices
            part = slice(first, last)
            return FeatureColumns(
                self.ids[part], self.id_texts[part], self.geometries[part], self.properties[part]
            )
        at = [int(i) for i in rows if i < len(self.ids)]
        columns = (self.ids, self.id_texts, self.geometries, self.properties)
        ids, id_texts, geometries, properties = ([column[i] for i in at] for column in columns)
        return FeatureColumns(ids, id_texts, geometries, properties)  # type: ignore[arg-type]

    def nbytes(self) -> int:
        """About what the features take in memory: their texts, and a Python object's overhead for each."""
        texts = (self.id_texts, self.geometries, self.properties)
        return sum(sum(map(len, column)) for column in texts) + 4 * 56 * len(self.ids)

    def json(self) -> str:
        """The features as the items of a JSON array, in one pass (no object per feature)."""
        return ",".join(
            [
                f'{{"type":"Feature","id":{i},"geometry":{g},"properties":{p}}}'
                for i, g, p in zip(self.id_texts, self.geometries, self.properties, strict=True)
            ]
        )


_NO_FEATURES = FeatureColumns([], [], [], [])


@dataclass(frozen=True, slots=True)
class FeaturePage:
    columns: FeatureColumns
    matched: int

    @property
    def returned(self) -> int:
        return len(self.columns)

    @property
    def features(self) -> list[FeatureText]:
        return self.columns.texts()

    def features_json(self) -> str:
        """The features as the items of a JSON array (``[`` and ``]`` left to the caller)."""
        return self.columns.json()


@dataclass(frozen=True, slots=True)
class Extent:
    """Where (CRS84) and when a table's rows are, and which column says when."""

    bbox: tuple[float, float, float, float] | None
    temporal_column: str | None
    interval: tuple[str | None, str | None] | None


def table_positions(path: Path, *, extent: LonLatBox | None = None) -> GeoInfo:
    """Where the rows of the table at `path` are (computed once per version and city extent)."""
    table = open_table(path)
    return _GEO.cached(("geo", *table.key, extent), lambda: table_geo(table, extent=extent))


def table_extent(path: Path, *, epsg: int | None, geo: GeoInfo | None = None) -> Extent:
    """The table's extent: the box around its positions and the first and last value of its date
    (`geo`: where the rows are, when the caller has decided it; else found from the table)."""
    table = open_table(path)
    geo = geo or table_positions(path)
    temporal = temporal_of(table.schema)

    def measure() -> Extent:
        box = position_index(table, geo, epsg=epsg).extent if geo.mappable else None
        interval = None
        if temporal is not None:
            when = temporal.sql()
            with translated():
                row = table.cursor().execute(f"SELECT min({when}), max({when}) FROM t").fetchone()
            if row is not None and row[0] is not None:
                interval = (_iso(row[0]), _iso(row[1]))
        return Extent(box, temporal.label if temporal else None, interval)

    return _EXTENTS.cached(("extent", *table.key, epsg, geo), measure)


def query_features(
    path: Path,
    *,
    query: FeatureQuery,
    masked: Masked | None,
    epsg: int | None,
    key: Sequence[str] = (),
    geo: GeoInfo | None = None,
) -> FeaturePage:
    """A page of the features of the table at `path` that `query` selects, in file order (`geo`: where
    the rows are, when the caller has decided it)."""
    refuse_masked(masked, filters=query.filters, sort=None)
    if query.limit < 0 or query.offset < 0:
        raise Invalid("limit out of range", errors=[FieldError("limit", "must be 0 or more")])
    table = open_table(path)
    geo = geo or table_positions(path)
    where, params = _where(table.schema, dict(query.filters or {}), query.time)
    select = _select(table, geo, masked, key)
    if query.bbox is None:
        count_key = ("count", *table.key, where, *map(repr, params))
        total = _COUNTS.cached(count_key, lambda: _count(table, where, params))
        if not where:  # every row: the page is a run of row numbers, known without reading the file
            ids = np.arange(query.offset, min(query.offset + query.limit, total), dtype=np.int64)
        else:
            # The page's row numbers first: DuckDB would build every skipped row's JSON before OFFSET
            # drops it.
            with translated():
                found = table.cursor().execute(
                    f"SELECT file_row_number FROM t {where} LIMIT ? OFFSET ?",
                    [*params, query.limit, query.offset],
                )
                ids = np.asarray(found.fetchnumpy()["file_row_number"], dtype=np.int64)
        return FeaturePage(_by_row_numbers(table, select, ids, query.crs, epsg), total)
    bbox = query.bbox
    box_key = ("bbox", *table.key, epsg, bbox, where, *map(repr, params))
    ids = _SELECTIONS.cached(box_key, lambda: _in_box(table, geo, bbox, where, params, epsg=epsg))
    page = ids[query.offset : query.offset + query.limit]
    return FeaturePage(_by_row_numbers(table, select, page, query.crs, epsg), len(ids))


def get_feature(
    path: Path,
    *,
    feature_id: str,
    crs: Crs,
    masked: Masked | None,
    epsg: int | None,
    key: Sequence[str] = (),
    geo: GeoInfo | None = None,
) -> FeatureText:
    """The feature whose id is `feature_id`: its identifier's value (see obert.datastore.feature_ids),
    else the row's number in the version, from 1."""
    table = open_table(path)
    row = _row_of(table, _id_columns(table, masked, key), feature_id)
    if row is None:
        raise NotFound(f"no feature '{feature_id}'")
    select = _select(table, geo or table_positions(path), masked, key)
    found = _by_row_numbers(table, select, np.array([row], dtype=np.int64), crs, epsg).texts()
    if not found:
        raise NotFound(f"no feature '{feature_id}'")
    return found[0]


def _row_of(table: OpenTable, columns: tuple[str, ...], feature_id: str) -> int | None:
    """The file row number of the feature `feature_id`, if there is one."""
    if not columns:
        number = _whole(feature_id)
        return number - 1 if number is not None and 1 <= number <= _MAX_ROW else None
    value: object = feature_id
    if len(columns) == 1 and table.schema.type_of(columns[0]) == "integer":
        value = _whole(feature_id)
        if value is None:
            return None
    with translated():
        found = (
            table.cursor()
            .execute(
                f"SELECT file_row_number FROM t WHERE {id_sql(table.schema, columns)} = ? LIMIT 1", [value]
            )
            .fetchone()
        )
    return int(found[0]) if found else None


def _whole(text: str) -> int | None:
    """A 64-bit whole number written in `text`, else None."""
    digits = text.removeprefix("-")
    return int(text) if digits.isascii() and digits.isdigit() and len(digits) <= 18 else None


def _id_columns(table: OpenTable, masked: Masked | None, key: Sequence[str]) -> tuple[str, ...]:
    """The columns the ids are made of (none: row numbers); never a column whose small counts are hidden."""
    columns = feature_key(table, declared=key)
    return () if any(c in (masked or {}) for c in columns) else columns


def _select(table: OpenTable, geo: GeoInfo, masked: Masked | None, key: Sequence[str]) -> str:
    """The page query's columns (built once per version, positions, hidden counts and key)."""
    recipe = ("select", *table.key, geo, tuple(sorted((masked or {}).items())), tuple(key))
    return _SELECTS.cached(recipe, lambda: _select_sql(table, geo, masked, key))


def _select_sql(table: OpenTable, geo: GeoInfo, masked: Masked | None, key: Sequence[str]) -> str:
    schema = table.schema
    names = [f.name for f in schema.fields if f.name != geo.geometry]
    pairs = ", ".join(f"{quote_ident(n)} := {_property(schema, n, masked)}" for n in names)
    props = f"to_json(struct_pack({pairs}))" if names else "'{}'"
    columns = _id_columns(table, masked, key)
    ident = id_sql(schema, columns) if columns else "file_row_number + 1"
    # The id twice: its value (for links) and its JSON text (for the feature), both made by DuckDB.
    return (
        f"SELECT file_row_number, {props}, {', '.join(position_columns(geo))}, {ident}, "
        f"CAST(to_json({ident}) AS VARCHAR) FROM t"
    )


def _property(schema: TableSchema, name: str, masked: Masked | None) -> str:
    if schema.type_of(name) == "datetime":  # ISO 8601, as GeoJSON readers expect, not DuckDB's space
        return f"replace(CAST({quote_ident(name)} AS VARCHAR), ' ', 'T')"
    return property_sql(schema, name, masked)


def _features(found: pa.Table, crs: Crs, epsg: int | None) -> FeatureColumns:
    """The features of a page read as Arrow: one pass over whole columns, no dict or tuple per row."""
    geometries = located_from_arrow(found, offset=_POSITION_OFFSET, epsg=epsg).geometries(crs)
    return FeatureColumns(
        [_id(v) for v in found.column(_ID_AT).to_pylist()],
        found.column(_ID_AT + 1).to_pylist(),
        [g or "null" for g in geometries],
        [p or "{}" for p in found.column(1).to_pylist()],
    )


def _by_row_numbers(
    table: OpenTable, select: str, rows: np.ndarray, crs: Crs, epsg: int | None
) -> FeatureColumns:
    if not len(rows) or rows[0] < 0:
        return _NO_FEATURES
    whole = _whole_version(table, select, crs, epsg)
    if whole is not None:  # a small version: its features are text in memory already
        return whole.pick(rows)
    return _read_rows(table, select, rows, crs, epsg)


def _whole_version(table: OpenTable, select: str, crs: Crs, epsg: int | None) -> FeatureColumns | None:
    """Every feature of a small version as text (what no request changes), if it is made already; else
    None, and a version of at most WHOLE_ROWS rows is made in the background (obert.datastore.resident),
    off the request path, so that its first page costs no more than its own rows and the pages after it
    are slices."""
    key = ("features", *table.key, select, crs, epsg)
    made = resident.kept(key)
    if isinstance(made, FeatureColumns):
        return made
    rows = _COUNTS.cached(("count", *table.key, "", *()), lambda: _count(table, "", []))
    if rows <= WHOLE_ROWS:
        resident.make_in_background(key, lambda: _every_feature(table, select, rows, crs, epsg))
    return None


def _every_feature(
    table: OpenTable, select: str, rows: int, crs: Crs, epsg: int | None
) -> tuple[FeatureColumns, int]:
    every = np.arange(rows, dtype=np.int64)
    whole = _read_rows(table, select, every, crs, epsg) if rows else _NO_FEATURES
    return whole, whole.nbytes()


def _read_rows(table: OpenTable, select: str, rows: np.ndarray, crs: Crs, epsg: int | None) -> FeatureColumns:
    first, last = int(rows[0]), int(rows[-1])
    sql = f"{select} WHERE file_row_number BETWEEN ? AND ?"
    params: list[object] = [first, last]
    if last - first + 1 != len(rows):  # not a run of consecutive rows: name them
        sql += " AND list_contains(?, file_row_number)"
        params.append(rows.tolist())
    with translated():
        found = table.cursor().sql(sql + " ORDER BY file_row_number", params=params).to_arrow_table()
    return _features(found, crs, epsg)


def _in_box(
    table: OpenTable, geo: GeoInfo, bbox: BBox, where: str, params: list[object], *, epsg: int | None
) -> np.ndarray:
    if not geo.mappable:
        return np.zeros(0, dtype=np.int64)
    ids = position_index(table, geo, epsg=epsg).select(bbox)
    if where and len(ids):
        with translated():
            chosen = table.cursor().execute(f"SELECT file_row_number FROM t {where}", params).fetchnumpy()
        ids = ids[np.isin(ids, np.asarray(chosen["file_row_number"], dtype=np.int64), assume_unique=True)]
    return ids


def _count(table: OpenTable, where: str, params: list[object]) -> int:
    with translated():
        row = table.cursor().execute(f"SELECT count(*) FROM t {where}", params).fetchone()
    return int(row[0]) if row else 0


def _where(schema: TableSchema, filters: Filters, span: TimeSpan | None) -> tuple[str, list[object]]:
    """``WHERE …`` (or nothing) for the property `filters` and the rows dated in `span`."""
    where, params = where_clause(schema, filters, None)
    if span is None:
        return where, params
    temporal = temporal_of(schema)
    for column in temporal.columns if temporal else []:
        if column in filters:
            raise Invalid(
                "the date column is filtered twice",
                errors=[FieldError(column, "filter it with datetime alone")],
            )
    test, more = time_condition(temporal, span)
    return (f"{where} AND ({test})" if where else f"WHERE {test}"), [*params, *more]


def _id(value: object) -> int | str:
    return value if isinstance(value, int) else str(value)


def _iso(value: object) -> str:
    if isinstance(value, datetime):
        return value.replace(tzinfo=value.tzinfo or UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


_GEO = Memo(256)
_EXTENTS = Memo(1024)
_COUNTS = Memo(1024)
_SELECTS = Memo(256)
# Versions of at most WHOLE_ROWS rows keep their features as text (about 0.8 kB a row for the 40-column
# accidents: some 8 MB a version and system), so that a page is a slice rather than a query.
WHOLE_ROWS = 20_000
_SELECTIONS = Memo(32)  # row numbers in a box: up to 8 MB each for a million rows


__all__ = [
    "Extent",
    "FeatureColumns",
    "FeaturePage",
    "FeatureQuery",
    "FeatureText",
    "TimeSpan",
    "get_feature",
    "query_features",
    "table_extent",
    "table_positions",
]
