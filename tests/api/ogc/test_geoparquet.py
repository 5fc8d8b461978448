"""GeoParquet 1.1 downloads of tables with positions, read back with pyarrow, shapely and GeoPandas: the
`geo` metadata, WKB geometries in CRS84, the box of each row, and the positions the city's files give."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import geopandas
import httpx
import pyarrow.parquet as pq
import pyproj
import pytest
import shapely

from obert.demo import FILES
from tests.api.ogc.conftest import ACCIDENTS_2010, BARRIS, STATIONS, Served

BICING = "bicing-estacions-geojson"
MARKETS = "mercats-municipals-json"


def _download(served: Served, resource: str, **params: Any) -> bytes:
    url = f"{served.url}/api/v1/datastore/{resource}/export.geoparquet"
    response = httpx.get(url, params=params, timeout=60)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/vnd.apache.parquet"
    assert response.headers["content-disposition"].endswith('.geo.parquet"')
    return response.content


@pytest.mark.parametrize(
    ("resource", "types"), [(ACCIDENTS_2010, ["Point"]), (BARRIS, ["MultiPolygon", "Polygon"])]
)
def test_geoparquet_metadata_and_geometries(served: Served, resource: str, types: list[str]) -> None:
    table = pq.read_table(io.BytesIO(_download(served, resource)))
    geo = json.loads(table.schema.metadata[b"geo"])
    assert geo["version"] == "1.1.0" and geo["primary_column"] == "geometry"
    column = geo["columns"]["geometry"]
    assert column["encoding"] == "WKB" and column["geometry_types"] == types and "crs" not in column  # CRS84
    west, south, east, north = column["bbox"]
    assert 2.05 < west < east < 2.23 and 41.31 < south < north < 41.47
    shapes = shapely.from_wkb(table.column("geometry").to_pylist())
    features = served.get(f"/collections/{resource}/items", limit=10_000).json()["features"]
    assert len(shapes) == len(features) == table.num_rows
    for shape, feature in zip(shapes, features, strict=True):
        if feature["geometry"] is None:
            assert shape is None
        else:
            assert shape.equals_exact(shapely.geometry.shape(feature["geometry"]), 1e-6)
    assert "geometry" not in {n for n in table.schema.names if n != "geometry"}


def test_a_filtered_download_and_geopandas(served: Served) -> None:
    data = _download(served, STATIONS, Nom_districte="Eixample")
    table = pq.read_table(io.BytesIO(data))
    assert table.num_rows > 0 and set(table.column("Nom_districte").to_pylist()) == {"Eixample"}
    assert json.loads(table.schema.metadata[b"geo"])["columns"]["geometry"]["geometry_types"] == []
    frame = geopandas.read_parquet(io.BytesIO(data))
    assert frame.crs == pyproj.CRS("OGC:CRS84") and len(frame) == table.num_rows


def _read(served: Served, resource: str, tmp_path: Path, **options: Any) -> geopandas.GeoDataFrame:
    """The table's GeoParquet file downloaded to disk, then read by GeoPandas as any user would."""
    target = tmp_path / f"{resource}.geo.parquet"
    target.write_bytes(_download(served, resource))
    frame: geopandas.GeoDataFrame = geopandas.read_parquet(target, **options)
    return frame


def test_geopandas_reads_the_bicing_stations_where_they_are(served: Served, tmp_path: Path) -> None:
    with (FILES / "08019_bicing_stations.geojson").open(encoding="utf-8") as f:
        source = {ft["properties"]["id"]: ft["geometry"]["coordinates"] for ft in json.load(f)["features"]}
    frame = _read(served, BICING, tmp_path)
    assert frame.crs == pyproj.CRS("OGC:CRS84") and frame.geometry.name == "geometry"
    assert len(frame) == len(source) and set(frame.geom_type) == {"Point"}
    for station, point in zip(frame["id"], frame.geometry, strict=True):
        lon, lat = source[int(station)]
        assert abs(point.x - lon) < 1e-7 and abs(point.y - lat) < 1e-7
    # The covering column holds each row's box, so a reader asking for an area skips the rest.
    west, south, east, north = 2.17, 41.38, 2.19, 41.40
    inside = _read(served, BICING, tmp_path, bbox=(west, south, east, north))
    expected = {i for i, (lon, lat) in source.items() if west <= lon <= east and south <= lat <= north}
    assert 0 < len(expected) < len(source) and set(inside["id"].astype(int)) == expected


def test_geopandas_reads_the_markets_from_their_utm_and_degrees(served: Served, tmp_path: Path) -> None:
    with (FILES / "equipaments_twoMunicipalMarkets.json").open(encoding="utf-8") as f:
        # The city's file swaps the names: its WGS84 "x" is the latitude.
        source = {m["name"]: (m["geo_epgs_4326"]["y"], m["geo_epgs_4326"]["x"]) for m in json.load(f)}
    frame = _read(served, MARKETS, tmp_path)
    assert frame.crs == pyproj.CRS("OGC:CRS84") and len(frame) == len(source) == 2
    for name, point in zip(frame["name"], frame.geometry, strict=True):
        lon, lat = source[name]
        assert abs(point.x - lon) < 2e-5 and abs(point.y - lat) < 2e-5  # two metres


def test_the_covering_column_is_each_rows_box(served: Served) -> None:
    table = pq.read_table(io.BytesIO(_download(served, BARRIS)))
    spec = json.loads(table.schema.metadata[b"geo"])["columns"]["geometry"]
    assert spec["covering"] == {"bbox": {k: ["bbox", k] for k in ("xmin", "ymin", "xmax", "ymax")}}
    shapes = shapely.from_wkb(table.column("geometry").to_pylist())
    boxes = table.column("bbox").to_pylist()
    for shape, box in zip(shapes, boxes, strict=True):
        assert [box["xmin"], box["ymin"], box["xmax"], box["ymax"]] == list(shape.bounds)


def test_tables_without_positions_have_no_geoparquet(served: Served) -> None:
    url = f"{served.url}/api/v1/datastore/qualitat-aire-contaminants/export.geoparquet"
    assert httpx.get(url, timeout=30).status_code == 422
