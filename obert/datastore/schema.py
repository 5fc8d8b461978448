"""What a table version looks like: its typed fields and where its geometry lives.

A version is a Parquet file. obert stores its own column types in the file's key/value metadata
(key ``obert``) so that a file alone is self-describing: the datastore never needs the catalogue to
know that a VARCHAR column holds WKT geometry or which two columns are longitude and latitude.
Files written by others fall back to a mapping from the physical Parquet types.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Literal, TypeAlias, get_args

ColumnType: TypeAlias = Literal["integer", "decimal", "date", "datetime", "boolean", "text", "geometry"]
COLUMN_TYPES: tuple[ColumnType, ...] = get_args(ColumnType)
METADATA_KEY = "obert"
# A row's number in its version's file, from 1 (CKAN's `_id`): stable, since a version never changes.
# Faces that want it ask for it; a table with a column of that name keeps its own.
ROW_ID = "_id"

# The physical DuckDB type each logical type is stored as.
STORAGE_TYPES: dict[ColumnType, str] = {
    "integer": "BIGINT",
    "decimal": "DOUBLE",
    "date": "DATE",
    "datetime": "TIMESTAMP",
    "boolean": "BOOLEAN",
    "text": "VARCHAR",
    "geometry": "VARCHAR",
}


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    type: ColumnType


@dataclass(frozen=True, slots=True)
class GeoInfo:
    """Where a table's positions are: a WKT geometry column, lon/lat columns, or UTM x/y columns."""

    geometry: str | None = None
    lon: str | None = None
    lat: str | None = None
    utm_x: str | None = None
    utm_y: str | None = None
    epsg: int | None = None

    @property
    def mappable(self) -> bool:
        return self.geometry is not None or self.has_lonlat or self.has_utm

    @property
    def has_lonlat(self) -> bool:
        return self.lon is not None and self.lat is not None

    @property
    def has_utm(self) -> bool:
        return self.utm_x is not None and self.utm_y is not None


@dataclass(frozen=True, slots=True)
class TableSchema:
    fields: list[Field]
    geo: GeoInfo = field(default_factory=GeoInfo)
    # The unit a number column's values were written with ('EUR' for '€', '%'), by column name.
    units: dict[str, str] = field(default_factory=dict)

    def names(self) -> list[str]:
        return [f.name for f in self.fields]

    def type_of(self, name: str) -> ColumnType | None:
        for f in self.fields:
            if f.name == name:
                return f.type
        return None

    def with_row_id(self) -> TableSchema:
        """These fields after the row number ROW_ID (unless a column of the table has that name)."""
        if ROW_ID in self.names():
            return self
        return TableSchema([Field(ROW_ID, "integer"), *self.fields], self.geo, self.units)


def row_id_column(names: list[str]) -> str:
    """The SQL select list item giving ROW_ID over a read_parquet(…, file_row_number = true), or ""
    when the table has a column of that name already."""
    return "" if ROW_ID in names else f'file_row_number + 1 AS "{ROW_ID}", '


def encode_metadata(schema: TableSchema) -> str:
    """The JSON stored under the ``obert`` Parquet metadata key."""
    geo = {k: v for k, v in _geo_dict(schema.geo).items() if v is not None}
    fields = [
        {"name": f.name, "type": f.type, **({"unit": schema.units[f.name]} if f.name in schema.units else {})}
        for f in schema.fields
    ]
    return json.dumps({"fields": fields, "geo": geo}, ensure_ascii=False)


def decode_metadata(text: str) -> TableSchema:
    data = json.loads(text)
    fields = [Field(str(f["name"]), _column_type(str(f["type"]))) for f in data["fields"]]
    geo_raw = data.get("geo") or {}
    epsg = geo_raw.get("epsg")
    geo = GeoInfo(
        geometry=geo_raw.get("geometry"),
        lon=geo_raw.get("lon"),
        lat=geo_raw.get("lat"),
        utm_x=geo_raw.get("utm_x"),
        utm_y=geo_raw.get("utm_y"),
        epsg=int(epsg) if epsg is not None else None,
    )
    units = {str(f["name"]): str(f["unit"]) for f in data["fields"] if f.get("unit")}
    return TableSchema(fields=fields, geo=geo, units=units)


def type_from_storage(duckdb_type: str) -> ColumnType:
    """Logical type for a physical DuckDB type, for Parquet files obert did not write."""
    t = duckdb_type.upper()
    if t in {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"}:
        return "integer"
    if t in {"FLOAT", "DOUBLE", "REAL", "HUGEINT", "UHUGEINT"} or t.startswith("DECIMAL"):
        return "decimal"
    if t == "DATE":
        return "date"
    if t.startswith("TIMESTAMP"):
        return "datetime"
    if t == "BOOLEAN":
        return "boolean"
    if t == "GEOMETRY":
        return "geometry"
    return "text"


def _column_type(value: str) -> ColumnType:
    for t in COLUMN_TYPES:
        if t == value:
            return t
    raise ValueError(f"unknown column type {value!r}")


def _geo_dict(geo: GeoInfo) -> dict[str, str | int | None]:
    return {
        "geometry": geo.geometry,
        "lon": geo.lon,
        "lat": geo.lat,
        "utm_x": geo.utm_x,
        "utm_y": geo.utm_y,
        "epsg": geo.epsg,
    }
