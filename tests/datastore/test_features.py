"""Features of a table version (obert.datastore.features): dates as days, boxes in every served system,
boxes across the antimeridian, and shapes, without a server."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from obert.datastore import resident
from obert.datastore.crs import CRS84, UTM31N, WGS84
from obert.datastore.features import FeatureQuery, TimeSpan, query_features, table_extent
from obert.datastore.positions import BBox
from obert.errors import Invalid
from tests.datastore.conftest import make_version

# Barcelona's air-quality stations (qualitat_aire_estacions.csv), with the day each was first measured.
STATIONS = """Estacio,Data,Longitud,Latitud
Poblenou,2018-01-08,2.2045,41.4039
Eixample,2018-01-09,2.1538,41.3853
Gracia,2018-02-01,2.1534,41.3987
Ciutadella,2018-02-01,2.1874,41.3864
Tonga,2018-03-15,-179.9,-21.1
"""


@pytest.fixture
def stations(tmp_path: Path) -> Path:
    return make_version(tmp_path, "stations", STATIONS)


def _ids(path: Path, **query: object) -> list[int]:
    page = query_features(path, query=FeatureQuery(limit=100, **query), masked=None, epsg=None)  # type: ignore[arg-type]
    return [f.id for f in page.features]


def test_a_date_column_is_matched_by_whole_days(stations: Path) -> None:
    assert _ids(stations, time=TimeSpan(date(2018, 2, 1), date(2018, 2, 1))) == [3, 4]
    # An instant on a day-dated table picks that day, whatever the hour (in UTC).
    moment = datetime(2018, 1, 9, 23, 30, tzinfo=UTC)
    assert _ids(stations, time=TimeSpan(moment, moment)) == [2]
    assert _ids(stations, time=TimeSpan(date(2018, 1, 9), date(2018, 2, 1))) == [2, 3, 4]
    assert _ids(stations, time=TimeSpan(None, date(2018, 1, 8))) == [1]
    assert _ids(stations, time=TimeSpan(date(2018, 2, 2), None)) == [5]
    extent = table_extent(stations, epsg=None)
    assert extent.temporal_column == "Data" and extent.interval == ("2018-01-08", "2018-03-15")


def test_boxes_in_every_system_and_across_the_antimeridian(stations: Path) -> None:
    city = BBox.from_axes([2.15, 41.38, 2.21, 41.41], CRS84)
    assert _ids(stations, bbox=city) == [1, 2, 3, 4]
    assert _ids(stations, bbox=BBox.from_axes([41.38, 2.15, 41.41, 2.21], WGS84)) == [1, 2, 3, 4]
    assert _ids(stations, bbox=BBox.from_axes([429000, 4582000, 431000, 4584000], UTM31N)) == [3]
    across = BBox.from_axes([179.0, -22.0, -179.0, -20.0], CRS84)
    assert _ids(stations, bbox=across) == [5]
    with pytest.raises(Invalid):
        BBox.from_axes([431000, 4582000, 429000, 4584000], UTM31N)  # a projected box cannot wrap


def test_output_systems_and_axis_order(stations: Path) -> None:
    crs84 = query_features(stations, query=FeatureQuery(limit=1), masked=None, epsg=None).features[0]
    lat_first = query_features(stations, query=FeatureQuery(limit=1, crs=WGS84), masked=None, epsg=None)
    assert '"coordinates":[2.2045,41.4039]' in crs84.geometry
    assert '"coordinates":[41.4039,2.2045]' in lat_first.features[0].geometry
    assert crs84.properties.startswith('{"Estacio":"Poblenou","Data":"2018-01-08"')


def test_shapes_meet_a_box_by_intersection(versions: dict[str, Path]) -> None:
    barris = versions["barris"]
    # A box inside one neighbourhood meets its polygon though no vertex lies in it.
    inside = BBox.from_axes([2.1600, 41.4000, 2.1601, 41.4001], CRS84)
    found = query_features(barris, query=FeatureQuery(bbox=inside, limit=10), masked=None, epsg=None)
    assert found.matched == 1 and '"Polygon"' in found.features[0].geometry


def test_a_small_version_reads_the_same_before_and_after_it_is_kept_whole(tmp_path: Path) -> None:
    # The first page is read on its own; the version is then made whole off the request path, and every
    # later page is a slice of it: the reader sees the same features either way, a missing position
    # (Montjuic's latitude) as a null geometry.
    rows = "".join(f"Estacio {i},2.1{i:03d},41.3{i:03d}\n" for i in range(40))
    path = make_version(tmp_path, "many", "Estacio,Longitud,Latitud\n" + rows + "Montjuic,2.15,\n")

    def page(offset: int) -> str:
        found = query_features(path, query=FeatureQuery(limit=7, offset=offset), masked=None, epsg=None)
        return found.features_json()

    resident.configure(budget_bytes=64 * 1024**2)
    try:
        before = [page(offset) for offset in range(0, 42, 7)]
        resident.settle()  # the background thread has made the version whole
        assert resident.in_memory_bytes() > 0, "a small version is kept whole once its first page is served"
        assert [page(offset) for offset in range(0, 42, 7)] == before
    finally:
        resident.configure(budget_bytes=0)
    assert '"geometry":null' in before[-1] and "Montjuic" in before[-1]
    assert before[0].count('"type":"Feature"') == 7
