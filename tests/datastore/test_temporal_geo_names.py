"""Columns known by their names: the parts of a date split over columns (the city's accident files in
their three spellings) and UTM x/y columns that name their EPSG code (the facility register)."""

from __future__ import annotations

import csv

import pytest

from obert.datastore.geo import detect_geo
from obert.datastore.schema import Field, TableSchema
from obert.datastore.temporal import temporal_of
from obert.demo import FILES
from obert.ingest.names import clean_names


def _header(name: str, encoding: str, delimiter: str) -> list[str]:
    with (FILES / name).open(encoding=encoding) as f:
        return clean_names(next(csv.reader(f, delimiter=delimiter)))


@pytest.mark.parametrize(
    ("file", "encoding", "delimiter", "parts"),
    [
        ("2018_accidents_gu_bcn.csv", "utf-8", ",", ["Any", "Mes_any", "Dia_mes", "Hora_dia"]),
        ("2018_accidents_tipus_gu_bcn_.csv", "utf-8", ",", ["Any", "Mes", "Dia_de_mes", "Hora_de_dia"]),
        ("ACCIDENTS_GU_BCN_2010.csv", "latin-1", ",", ["NK Any", "Mes de any", "Dia de mes", "Hora de dia"]),
    ],
)
def test_the_parts_of_an_accidents_date(file: str, encoding: str, delimiter: str, parts: list[str]) -> None:
    names = _header(file, encoding, delimiter)
    # Every column a number or text, as a reader may type them: names alone pick the parts.
    schema = TableSchema([Field(n, "integer" if n in parts else "text") for n in names])
    temporal = temporal_of(schema)
    assert temporal is not None and temporal.kind == "datetime"
    assert temporal.columns == parts


def test_a_date_column_comes_first_and_half_a_date_is_none() -> None:
    dated = TableSchema([Field("Any", "integer"), Field("Data", "date")])
    assert temporal_of(dated) is not None and temporal_of(dated).column == "Data"  # type: ignore[union-attr]
    # A day of the week is not a day of the month; a month's name is no month number.
    half = TableSchema([Field("Any", "integer"), Field("Nom_mes", "text"), Field("Dia_setmana", "integer")])
    assert temporal_of(half) is None


def test_utm_columns_that_name_their_epsg_code() -> None:
    fields = [Field(n, "decimal") for n in (
        "geo_epgs_25831.x", "geo_epgs_25831.y", "geo_epgs_23031.x", "geo_epgs_23031.y",
        "geo_epgs_4326.x", "geo_epgs_4326.y",
    )]  # fmt: skip
    ranges = {
        "geo_epgs_25831.x": (429302.9, 432210.4),
        "geo_epgs_25831.y": (4581286.4, 4582159.3),
        "geo_epgs_23031.x": (429396.0, 432303.5),
        "geo_epgs_23031.y": (4581491.0, 4582363.8),
    }
    geo = detect_geo(fields, ranges)
    assert (geo.utm_x, geo.utm_y, geo.epsg) == ("geo_epgs_25831.x", "geo_epgs_25831.y", 25831)
    only_ed50 = detect_geo(fields[2:], ranges)
    assert (only_ed50.utm_x, only_ed50.epsg) == ("geo_epgs_23031.x", 23031)
    # Out of range, they are not coordinates.
    assert detect_geo(fields, dict.fromkeys(ranges, (-1.0, 1.0))).utm_x is None
