"""Coordinate columns found by their values: x/y-named pairs, EPSG codes in names, lat/lon order decided by
the values and, inside a city's extent, columns whose names say nothing."""

from __future__ import annotations

from obert.datastore.geo import detect_geo
from obert.datastore.schema import Field

BARCELONA = (2.05, 41.31, 2.23, 41.47)


def _fields(*names: str) -> list[Field]:
    return [Field(n, "decimal") for n in names]


def test_markets_epsg_4326_x_is_the_latitude_and_utm_comes_from_its_named_system() -> None:
    fields = _fields(
        "geo_epgs_25831.x",
        "geo_epgs_25831.y",
        "geo_epgs_23031.x",
        "geo_epgs_23031.y",
        "geo_epgs_4326.x",
        "geo_epgs_4326.y",
    )
    ranges = {
        "geo_epgs_25831.x": (429302.96, 432210.37),
        "geo_epgs_25831.y": (4581286.44, 4582159.27),
        "geo_epgs_23031.x": (429397.51, 432304.93),
        "geo_epgs_23031.y": (4581491.03, 4582363.83),
        "geo_epgs_4326.x": (41.3802, 41.3879),
        "geo_epgs_4326.y": (2.1544, 2.1893),
    }
    for extent in (None, BARCELONA):
        geo = detect_geo(fields, ranges, extent=extent)
        assert (geo.lon, geo.lat) == ("geo_epgs_4326.y", "geo_epgs_4326.x")
        assert (geo.utm_x, geo.utm_y, geo.epsg) == ("geo_epgs_25831.x", "geo_epgs_25831.y", 25831)


def test_etrs89_and_geo_pairs_in_utm_are_found() -> None:
    ranges = {"x_etrs89": (424000.0, 435000.0), "y_etrs89": (4575000.0, 4590000.0), "Altura": (0.0, 500.0)}
    geo = detect_geo(_fields("x_etrs89", "y_etrs89", "Altura"), ranges)
    assert (geo.utm_x, geo.utm_y) == ("x_etrs89", "y_etrs89")
    ranges = {"GEO_X": (424000.0, 435000.0), "GEO_Y": (4575000.0, 4590000.0)}
    assert detect_geo(_fields("GEO_X", "GEO_Y"), ranges, extent=BARCELONA).utm_x == "GEO_X"


def test_a_pair_outside_the_city_is_not_taken_for_positions_in_it() -> None:
    ranges = {"geo_x": (300000.0, 310000.0), "geo_y": (4500000.0, 4510000.0)}  # Tarragona's coast
    assert not detect_geo(_fields("geo_x", "geo_y"), ranges, extent=BARCELONA).mappable
    assert detect_geo(_fields("geo_x", "geo_y"), ranges).has_utm  # no extent: any UTM 31N value


def test_columns_without_telling_names_are_found_inside_the_extent_only() -> None:
    fields = [Field("Any", "integer"), *_fields("est", "nord")]
    ranges = {"Any": (2018.0, 2018.0), "est": (425000.0, 434000.0), "nord": (4576000.0, 4589000.0)}
    geo = detect_geo(fields, ranges, extent=BARCELONA)
    assert (geo.utm_x, geo.utm_y) == ("est", "nord")
    assert not detect_geo(fields, ranges).mappable


def test_counts_and_codes_are_not_coordinates() -> None:
    fields = [Field("Codi_x", "integer"), Field("Codi_y", "integer")]
    ranges = {"Codi_x": (1.0, 10.0), "Codi_y": (1.0, 73.0)}
    assert not detect_geo(fields, ranges, extent=BARCELONA).mappable
    assert not detect_geo(fields, ranges).mappable
