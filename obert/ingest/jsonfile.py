"""JSON (records) and GeoJSON (features) → typed Parquet."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import duckdb

from obert.errors import FieldError, Invalid, msg
from obert.ingest.result import LeftOut
from obert.ingest.stage import Staged
from obert.ingest.tabular import as_text, flatten, records_to_rows, stage_rows

# Keys under which APIs wrap their records: {"data": [...]}, CKAN's {"result": {"records": [...]}}.
_WRAPPERS = ("data", "records", "results", "result", "items", "rows", "features", "elements")


def load_json(path: Path) -> Any:
    """Parse the file, reporting where it is broken."""
    try:
        with path.open("r", encoding="utf-8-sig") as f:
            return json.load(f)
    except json.JSONDecodeError as exc:
        raise Invalid(
            msg("the file is not valid JSON"),
            errors=[
                FieldError(msg("line {line}, column {column}", line=exc.lineno, column=exc.colno), exc.msg)
            ],
        ) from exc
    except UnicodeDecodeError as exc:
        raise Invalid(msg("the file is not UTF-8 text"), errors=[FieldError("file", str(exc))]) from exc
    except RecursionError:  # brackets nested thousands deep: bad input, not a crash of the ingest job
        raise Invalid(
            msg("the file is not valid JSON"), errors=[FieldError("file", "nested too deeply")]
        ) from None


def stage_json(con: duckdb.DuckDBPyConnection, path: Path, *, tmp: Path, max_columns: int) -> Staged:
    doc = load_json(path)
    records, where = _records(doc, "$")
    flat = []
    for i, rec in enumerate(records):
        if not isinstance(rec, dict):
            raise Invalid(
                msg("every record must be a JSON object"),
                errors=[FieldError(f"{where}[{i}]", type(rec).__name__)],
            )
        flat.append(flatten(rec))
    header, rows = records_to_rows(flat)
    staged = stage_rows(con, header, rows, tmp=tmp, max_columns=max_columns)
    return dataclasses.replace(staged, left_out=_outside(doc))


def _outside(doc: Any) -> tuple[LeftOut, ...]:
    """What wraps the records (``{"meta": {...}, "data": [...]}``) as one row: the file keeps it."""
    around: dict[str, object] = {}
    prefix = ""
    while isinstance(doc, dict):
        key = next((k for k in _WRAPPERS if k in doc and isinstance(doc[k], list | dict)), None)
        if key is None:
            break
        around |= flatten({k: v for k, v in doc.items() if k != key}, prefix)
        doc, prefix = doc[key], f"{prefix}{key}."
    return _around(around)


def _around(around: dict[str, object]) -> tuple[LeftOut, ...]:
    if not around:
        return ()
    header, rows = records_to_rows([around])
    return (LeftOut(msg("the JSON around the records"), header, rows),)


def stage_geojson(con: duckdb.DuckDBPyConnection, path: Path, *, tmp: Path, max_columns: int) -> Staged:
    """Feature properties become columns; the geometry becomes WKT, plus lon/lat when all are points."""
    doc = load_json(path)
    if (
        not isinstance(doc, dict)
        or doc.get("type") != "FeatureCollection"
        or not isinstance(doc.get("features"), list)
    ):
        raise Invalid(
            msg("not a GeoJSON FeatureCollection"),
            errors=[FieldError("$.type", "expected FeatureCollection")],
        )
    flat: list[dict[str, object]] = []
    points: list[tuple[float, float] | None] = []
    for i, feature in enumerate(doc["features"]):
        where = f"$.features[{i}]"
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            raise Invalid(
                msg("a feature is not a GeoJSON Feature"), errors=[FieldError(where, "expected type Feature")]
            )
        props = feature.get("properties") or {}
        if not isinstance(props, dict):
            raise Invalid(
                msg("feature properties must be an object"),
                errors=[FieldError(f"{where}.properties", "not an object")],
            )
        geom = feature.get("geometry")
        wkt, point = _geometry(geom, f"{where}.geometry")
        row = flatten(props)
        row["geometry"] = wkt
        flat.append(row)
        points.append(point)
    header, rows = records_to_rows(flat)
    if flat and all(p is not None for p in points) and not {"lon", "lat"} & set(header):
        header += ["lon", "lat"]
        for cells, p in zip(rows, points, strict=True):
            assert p is not None
            cells += [as_text(p[0]), as_text(p[1])]
    staged = stage_rows(con, header, rows, tmp=tmp, max_columns=max_columns, forced={"geometry": "geometry"})
    around = flatten({k: v for k, v in doc.items() if k not in ("type", "features", "bbox")})
    return dataclasses.replace(staged, left_out=_around(around))


def _records(doc: Any, where: str) -> tuple[list[Any], str]:
    if isinstance(doc, list):
        return doc, where
    if isinstance(doc, dict):
        for key in _WRAPPERS:
            if key in doc and isinstance(doc[key], list | dict):
                return _records(doc[key], f"{where}.{key}")
        return [doc], where  # a single object is a one-row table
    raise Invalid(
        msg("the JSON must be an array of records or an object wrapping one"),
        errors=[FieldError(where, type(doc).__name__)],
    )


def _geometry(geom: Any, where: str) -> tuple[str | None, tuple[float, float] | None]:
    if geom is None:
        return None, None
    if not isinstance(geom, dict) or "type" not in geom:
        raise Invalid(
            msg("a feature's geometry is not GeoJSON"),
            errors=[FieldError(where, "expected an object with a type")],
        )
    # shapely is imported here, not with the module: only GeoJSON files need it, and every ingest
    # imports this module.
    from shapely.errors import GEOSException
    from shapely.geometry import shape

    try:
        g = shape(geom)
    except (GEOSException, ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise Invalid(
            msg("a feature's geometry is not valid GeoJSON"),
            errors=[FieldError(where, str(exc) or type(exc).__name__)],
        ) from exc
    point = (g.x, g.y) if g.geom_type == "Point" and not g.is_empty else None
    return g.wkt, point
