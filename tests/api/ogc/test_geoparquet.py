"""GeoParquet 1.1 downloads of tables with positions, read back with pyarrow and shapely (and GeoPandas
where it is installed): the `geo` metadata, WKB geometries in CRS84, and the same positions as GeoJSON."""

from __future__ import annotations

import io
import json
from typing import Any

import httpx
import pyarrow.parquet as pq
import pytest
import shapely

from tests.api.ogc.conftest import ACCIDENTS_2010, BARRIS, STATIONS, Served


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
    geopandas = pytest.importorskip("geopandas")
    frame = geopandas.read_parquet(io.BytesIO(data))
    assert frame.crs.to_epsg() == 4326 and len(frame) == table.num_rows


def test_tables_without_positions_have_no_geoparquet(served: Served) -> None:
    url = f"{served.url}/api/v1/datastore/qualitat-aire-contaminants/export.geoparquet"
    assert httpx.get(url, timeout=30).status_code == 422
