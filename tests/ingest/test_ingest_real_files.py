"""Every real Open Data BCN file in obert/demo/files ingests with the right shape and types."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from obert.ingest import IngestResult, ingest_file

FILES = Path(__file__).resolve().parents[2] / "obert" / "demo" / "files"

# file -> (rows, columns), counted independently (csv module / json) when the tests were written.
EXPECTED = {
    "2018_accidents_gu_bcn.csv": (9936, 27),
    "2018_accidents_tipus_gu_bcn_.csv": (10551, 22),
    "ACCIDENTS_GU_BCN_2010.csv": (9056, 25),
    "ACCIDENTS_GU_BCN_2014.csv": (9680, 25),
    "educacion_sample_2023.csv": (12687, 10),
    "calidad_aire_sample_2023.csv": (280, 57),
    "taula_dimensions_padro.csv": (1143, 6),
    "qualitat_aire_estacions.csv": (55, 15),
    "qualitat_aire_contaminants.csv": (21, 3),
    "2021_renda_disponible_llars_per_persona_HEAD5.csv": (5, 7),
    "barris.geojson": (73, 47),
    "districtes.geojson": (10, 47),
    "08019_bicing_stations.geojson": (465, 14),  # 11 properties + geometry + lon + lat
    "equipaments_twoMunicipalMarkets.json": (2, 55),
}


def _ingest(name: str, tmp_path: Path) -> IngestResult:
    return ingest_file(FILES / name, dest=tmp_path / "v1.parquet", max_bytes=50_000_000)


def _types(r: IngestResult) -> dict[str, str]:
    return {c.name: c.type for c in r.columns}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_shape_and_parquet_agree(name: str, tmp_path: Path) -> None:
    result = _ingest(name, tmp_path)
    assert (result.row_count, len(result.columns)) == EXPECTED[name]
    con = duckdb.connect()
    assert con.execute(f"SELECT count(*) FROM '{tmp_path / 'v1.parquet'}'").fetchone() == (result.row_count,)
    assert result.sha256 == hashlib.sha256((FILES / name).read_bytes()).hexdigest()
    assert result.byte_size == (FILES / name).stat().st_size
    # The table's checksum, taken while the profile read the file, is the published file's.
    published = (tmp_path / "v1.parquet").read_bytes()
    assert result.table_sha256 == hashlib.sha256(published).hexdigest()
    assert result.table_bytes == len(published)
    assert [p.name for p in tmp_path.iterdir()] == ["v1.parquet"]  # no temp files left behind


def test_accidents_2018_types_trimming_and_coordinates(tmp_path: Path) -> None:
    r = _ingest("2018_accidents_gu_bcn.csv", tmp_path)
    t = _types(r)
    assert r.encoding == "utf-8" and r.delimiter == ","
    assert "Num_postal" in t  # header "Num_postal " trimmed
    assert r.column("Num_postal").original_name == "Num_postal "
    assert t["Numero_expedient"] == "text" and t["Codi_districte"] == "integer"
    assert t["Coordenada_UTM_X"] == "decimal" and t["Longitud"] == "decimal"
    assert (r.geo.lon, r.geo.lat) == ("Longitud", "Latitud")
    assert (r.geo.utm_x, r.geo.utm_y, r.geo.epsg) == ("Coordenada_UTM_X", "Coordenada_UTM_Y", 25831)
    first = (
        duckdb.connect()
        .execute(f"SELECT Numero_expedient FROM '{tmp_path / 'v1.parquet'}' LIMIT 1")
        .fetchone()
    )
    assert first == ("2018S000150",)  # space-padded id trimmed


def test_accidents_tipus_quoted_numbers_and_zero_padded_hours(tmp_path: Path) -> None:
    t = _types(_ingest("2018_accidents_tipus_gu_bcn_.csv", tmp_path))
    assert t["Any"] == "integer"  # "2018" quoted
    assert t["Hora_de_dia"] == "text"  # "03": zero-padded codes keep their zeros
    assert t["Coordenada_UTM_Y"] == "decimal"


def test_accidents_2010_latin1_decimal_comma(tmp_path: Path) -> None:
    r = _ingest("ACCIDENTS_GU_BCN_2010.csv", tmp_path)
    t = _types(r)
    assert r.encoding == "latin-1"
    assert "Número d'expedient" in t
    assert t["Coordenada UTM (Y)"] == "decimal"
    y = (
        duckdb.connect()
        .execute(f"SELECT \"Coordenada UTM (Y)\" FROM '{tmp_path / 'v1.parquet'}' LIMIT 1")
        .fetchone()
    )
    assert y == (Decimal("4584941.35"),)  # written with two decimals: kept exact
    assert (r.geo.utm_x, r.geo.utm_y) == ("Coordenada UTM (X)", "Coordenada UTM (Y)")


def test_accidents_2014_semicolon_and_unknowns(tmp_path: Path) -> None:
    r = _ingest("ACCIDENTS_GU_BCN_2014.csv", tmp_path)
    assert r.delimiter == ";" and r.encoding == "latin-1"
    assert r.column("Coordenada UTM (X)").type == "decimal"
    assert r.column("Codi districte").placeholders.get("-1", 0) > 0  # -1 kept, noted
    assert r.column("Descripció causa vianant").placeholders.get("unknown", 0) > 0  # "Desconegut"


def test_education_suppressed_values(tmp_path: Path) -> None:
    r = _ingest("educacion_sample_2023.csv", tmp_path)
    valor = r.column("Valor")
    assert valor.type == "integer"
    assert valor.placeholders[".."] == 817
    assert valor.nulls == 817
    assert r.column("Data_Referencia").type == "date"
    assert any("817" in w for w in r.warnings)


def test_air_quality_codes_stay_text(tmp_path: Path) -> None:
    t = _types(_ingest("calidad_aire_sample_2023.csv", tmp_path))
    assert t["CODI_PROVINCIA"] == "text" and t["CODI_MUNICIPI"] == "text" and t["ESTACIO"] == "text"
    assert t["H01"] == "decimal" and t["V01"] == "text"


def test_geojson_geometry_and_points(tmp_path: Path) -> None:
    r = _ingest("08019_bicing_stations.geojson", tmp_path)
    assert r.format == "geojson"
    assert r.column("geometry").type == "geometry"
    assert r.geo.geometry == "geometry" and r.geo.lon is not None
    wkt = (
        duckdb.connect().execute(f"SELECT geometry, lon FROM '{tmp_path / 'v1.parquet'}' LIMIT 1").fetchone()
    )
    assert wkt is not None and wkt[0].startswith("POINT") and wkt[1] == pytest.approx(2.180042)
    barris = _ingest("barris.geojson", tmp_path)
    assert barris.column("BARRI").type == "text"  # "01"
    assert barris.column("geometry").type == "geometry"


def test_nested_json_flattened(tmp_path: Path) -> None:
    r = _ingest("equipaments_twoMunicipalMarkets.json", tmp_path)
    t = _types(r)
    assert t["register_id"] == "integer"
    assert t["created"] == "datetime"
    assert "timetable.id" in t and t["addresses"] == "text"  # lists kept as JSON text


def test_profile_top_values_and_range(tmp_path: Path) -> None:
    r = _ingest("2018_accidents_gu_bcn.csv", tmp_path)
    districte = r.column("Nom_districte")
    assert districte.top[0].value == "Eixample" and districte.top[0].count == 2947
    assert len(districte.top) == 5
    assert r.column("Any").min == 2018 and r.column("Any").max == 2018
    assert 9 <= r.column("Codi_districte").distinct <= 11
