"""GeoParquet 1.1 downloads of a table with positions: its columns, each row's position as a WKB
`geometry` column in CRS84, and each row's box as a `bbox` struct column (GeoParquet 1.1's "covering"),
described by the ``geo`` file metadata that GeoPandas, GDAL and DuckDB read.

A row's position is what the map and the feature service show (WKT geometry, else lon/lat, else UTM x/y
reprojected); a row without one has a null geometry. The ``geo`` metadata goes in the schema, before the
first row is written, so the geometry types and the box are given only for a whole table (known from its
position index); a filtered download says ``geometry_types: []`` ("not known"), as the format allows.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import shapely

from obert.datastore.engine import translated
from obert.datastore.positions import PositionIndex, locate
from obert.datastore.schema import Field
from obert.datastore.sink import Sink
from obert.datastore.tables import OpenTable

GEOPARQUET_VERSION = "1.1.0"
_BATCH = 100_000
_BOX_KEYS = ("xmin", "ymin", "xmax", "ymax")
_BOX_TYPE = pa.struct([pa.field(k, pa.float64()) for k in _BOX_KEYS])
_TYPE_NAMES = {
    0: "Point",
    1: "LineString",
    3: "Polygon",
    4: "MultiPoint",
    5: "MultiLineString",
    6: "MultiPolygon",
}


def geo_metadata(column: str, index: PositionIndex | None, *, covering: str | None = None) -> dict[str, Any]:
    """The ``geo`` metadata: WKB in CRS84 (the default, so no ``crs`` key); types and box from `index`;
    `covering` names the column of each row's box (GeoParquet 1.1), which lets a reader skip row groups."""
    spec: dict[str, Any] = {"encoding": "WKB", "geometry_types": []}
    if covering:
        spec["covering"] = {"bbox": {k: [covering, k] for k in _BOX_KEYS}}
    if index is not None:
        types = set()
        if np.any(~np.isnan(index.lon)):
            types.add("Point")
        shapes = index.shapes[index.shapes != None]  # noqa: E711 - elementwise test of an object array
        if len(shapes):
            types |= {
                _TYPE_NAMES.get(int(t), "GeometryCollection")
                for t in set(shapely.get_type_id(shapes).tolist())
            }
        spec["geometry_types"] = sorted(types)
        if index.extent is not None:
            spec["bbox"] = list(index.extent)
    return {"version": GEOPARQUET_VERSION, "primary_column": column, "columns": {column: spec}}


def geometry_name(fields: list[Field]) -> str:
    """`geometry`, unless a kept column has that name."""
    names = {f.name for f in fields}
    return next(n for n in ("geometry", "geom", "_geometry") if n not in names)


def covering_name(fields: list[Field]) -> str:
    """`bbox`, unless a kept column has that name."""
    names = {f.name for f in fields}
    return next(n for n in ("bbox", "geometry_bbox", "_bbox") if n not in names)


def geoparquet(
    table: OpenTable,
    sql: str,
    params: list[object],
    kept: list[Field],
    *,
    epsg: int | None,
    index: PositionIndex | None,
) -> Iterator[bytes]:
    """Stream `sql`'s rows (the `kept` columns, then the five position columns) as GeoParquet."""
    column = geometry_name(kept)
    covering = covering_name(kept)
    cur = table.cursor()
    with translated(), warnings.catch_warnings():
        warnings.simplefilter(
            "ignore"
        )  # DuckDB warns that a DB-API result copies into Arrow; it is fine here
        reader = cur.execute(sql, params).to_arrow_reader(_BATCH)
    if reader is None:  # pragma: no cover - a SELECT always has a result
        return
    names = [f.name for f in kept]
    schema = pa.schema(
        [
            *(reader.schema.field(i) for i in range(len(names))),
            pa.field(column, pa.binary()),
            pa.field(covering, _BOX_TYPE),
        ],
        metadata={"geo": json.dumps(geo_metadata(column, index, covering=covering))},
    )
    sink = Sink()
    writer = pq.ParquetWriter(sink, schema, compression="snappy")
    for batch in reader:
        writer.write_batch(_with_geometry(batch, len(names), schema, epsg))
        if chunk := sink.drain():
            yield chunk
    writer.close()
    yield sink.drain()


def _with_geometry(batch: pa.RecordBatch, kept: int, schema: pa.Schema, epsg: int | None) -> pa.RecordBatch:
    wkt = np.asarray(batch.column(kept).to_pylist(), dtype=object)
    numbers = [_floats(batch.column(kept + i)) for i in range(1, 5)]
    found = locate(wkt, *numbers, epsg=epsg)
    geometries = np.full(len(found), None, dtype=object)
    points = np.flatnonzero(~np.isnan(found.lon))
    if len(points):
        geometries[points] = shapely.points(found.lon[points], found.lat[points])
    shaped = np.flatnonzero(found.shapes != None)  # noqa: E711
    if len(shaped):
        geometries[shaped] = found.shapes[shaped]
    wkb = shapely.to_wkb(geometries, output_dimension=2)
    arrays = [
        *(batch.column(i) for i in range(kept)),
        pa.array(wkb.tolist(), type=pa.binary()),
        _boxes(geometries),
    ]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _boxes(geometries: np.ndarray) -> pa.StructArray:
    """Each row's box (null without a position), the GeoParquet 1.1 covering column."""
    bounds = shapely.bounds(geometries)  # NaN for a missing geometry
    missing = np.isnan(bounds[:, 0])
    return pa.StructArray.from_arrays(
        [pa.array(bounds[:, i], type=pa.float64()) for i in range(4)],
        fields=list(_BOX_TYPE),
        mask=pa.array(missing),
    )


def _floats(col: pa.Array) -> np.ndarray:
    if pa.types.is_null(col.type):
        return np.full(len(col), np.nan)
    return np.asarray(col.cast(pa.float64()).fill_null(np.nan).to_numpy(zero_copy_only=False))


__all__ = ["GEOPARQUET_VERSION", "geo_metadata", "geoparquet"]
