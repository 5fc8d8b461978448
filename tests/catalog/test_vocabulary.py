"""Shipped vocabularies load, are trilingual, and resolve codes, IRIs, media types and extensions."""

from __future__ import annotations

import pytest

from obert.catalog.vocabulary import NAMES, Concept, file_type_for, vocabulary

EU = "http://publications.europa.eu/resource/authority/"

# Concepts in the source tables, less the Publications Office's OP_DATPRO placeholder and deprecated entries,
# plus PARQUET, which the 2022 file-type table lacks.
COUNTS = {
    "data-theme": 13,
    "sector": 22,
    "frequency": 30,
    "file-type": 199,
    "access-right": 5,
    "language": 11,
    "territory": 72,
}


@pytest.mark.parametrize("name", NAMES)
def test_every_concept_has_catalan_spanish_and_english_labels(name: str) -> None:
    vocab = vocabulary(name)
    assert vocab.scheme.startswith("http://")
    assert all(vocab.title.get(lang) for lang in ("ca", "es", "en"))
    assert len(vocab) > 0
    for concept in vocab:
        assert concept.uri.startswith("http://"), concept
        assert set(concept.label) == {"ca", "es", "en"}, concept
        assert all(text.strip() for text in concept.label.values()), concept
    assert len({c.code for c in vocab}) == len(vocab)
    assert len({c.uri for c in vocab}) == len(vocab)


@pytest.mark.parametrize(("name", "count"), COUNTS.items())
def test_counts_match_the_sources(name: str, count: int) -> None:
    assert len(vocabulary(name)) == count
    assert "OP_DATPRO" not in vocabulary(name)


def test_licences_keep_the_relevant_ones_with_their_pages() -> None:
    licences = vocabulary("licence")
    assert 35 <= len(licences) <= 45
    for code in ("CC_BY_4_0", "CC_BYSA_4_0", "CC0", "ODC_BY", "ODC_BL", "ODC_PDDL", "OGL_3_0", "EUPL_1_2"):
        assert code in licences
    cc_by = licences.get("CC_BY_4_0")
    assert cc_by is not None
    assert "https://creativecommons.org/licenses/by/4.0/" in cc_by.extra["exact_match"]
    assert cc_by.label["ca"] == "Creative Commons Reconeixement 4.0 Internacional"
    assert licences.get("https://creativecommons.org/licenses/by/4.0/") is cc_by
    assert licences.get("http://creativecommons.org/licenses/by/4.0") is cc_by


def test_lookup_by_code_in_any_case_by_iri_and_by_label() -> None:
    themes = vocabulary("data-theme")
    tran = themes.get("TRAN")
    assert tran is not None
    assert tran.uri == EU + "data-theme/TRAN"
    assert themes.get("tran") is tran
    assert themes.get(" Tran ") is tran
    assert themes.get(EU + "data-theme/TRAN") is tran
    assert themes.get("https://publications.europa.eu/resource/authority/data-theme/TRAN") is tran
    assert themes.get("Transporte") is tran
    assert themes.get("NOPE") is None
    assert themes.get(EU + "data-theme/NOPE") is None
    assert "envi" in themes
    assert 42 not in themes
    soci = themes.get("SOCI")
    assert soci is not None
    assert soci.label["ca"] == "Població i societat"


def test_label_in_falls_back_to_english_spanish_catalan_then_code() -> None:
    concept = Concept(code="X", uri="http://example.org/X", label={"es": "equis", "ca": "ics"})
    assert concept.label_in("ca") == "ics"
    assert concept.label_in("fr") == "equis"
    assert Concept(code="X", uri="http://example.org/X", label={}).label_in("en") == "X"
    daily = vocabulary("frequency").get("DAILY")
    assert daily is not None
    assert daily.label_in("ca") == "diari"
    assert daily.label_in("en") == "daily"


def test_sector_maps_to_an_eu_theme() -> None:
    sectors = vocabulary("sector")
    transporte = sectors.get("transporte")
    assert transporte is not None
    assert transporte.uri == "http://datos.gob.es/kos/sector-publico/sector/transporte"
    assert transporte.extra["eu_theme"] == "TRAN"
    assert sectors.get("http://datos.gob.es/kos/sector-publico/sector/medio-ambiente") is not None
    themes = vocabulary("data-theme")
    assert all(sector.extra["eu_theme"] in themes for sector in sectors)


def test_frequencies_carry_iso_8601_durations_where_one_exists() -> None:
    frequencies = vocabulary("frequency")
    expected = {
        "DAILY": "P1D",
        "WEEKLY": "P1W",
        "MONTHLY": "P1M",
        "QUARTERLY": "P3M",
        "ANNUAL": "P1Y",
        "HOURLY": "PT1H",
        "IRREG": None,
        "UNKNOWN": None,
        "NEVER": None,
        "UPDATE_CONT": None,
    }
    for code, duration in expected.items():
        concept = frequencies.get(code)
        assert concept is not None, code
        assert concept.extra["iso8601"] == duration


def test_languages_know_their_two_letter_codes() -> None:
    languages = vocabulary("language")
    assert {c.code: c.extra["iso639_1"] for c in languages if c.code in ("CAT", "SPA", "ENG")} == {
        "CAT": "ca",
        "SPA": "es",
        "ENG": "en",
    }
    catalan = languages.get("CAT")
    assert catalan is not None
    assert catalan.label["ca"] == "català"


def test_territory_distinguishes_levels_and_names_barcelona_in_three_languages() -> None:
    territories = vocabulary("territory")
    barcelona = territories.get("Provincia/Barcelona")
    assert barcelona is not None
    assert barcelona.uri == "http://datos.gob.es/recurso/sector-publico/territorio/Provincia/Barcelona"
    assert barcelona.extra["broader"] == "Autonomia/Cataluna"
    catalonia = territories.get(barcelona.extra["broader"])
    assert catalonia is not None
    assert catalonia.label == {"ca": "Catalunya", "es": "Cataluña", "en": "Catalonia"}
    spain = territories.get("http://datos.gob.es/recurso/sector-publico/territorio/Pais/España")
    assert spain is not None
    assert spain.label["en"] == "Spain"
    assert territories.get("Autonomia/Cantabria") is not territories.get("Provincia/Cantabria")
    assert sum(1 for c in territories if c.extra["level"] == "Provincia") == 52


def test_access_rights_leave_out_the_deprecated_normal() -> None:
    rights = vocabulary("access-right")
    assert {c.code for c in rights} == {"PUBLIC", "RESTRICTED", "NON_PUBLIC", "CONFIDENTIAL", "SENSITIVE"}


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ("csv", "CSV"),
        ("CSV", "CSV"),
        (".csv", "CSV"),
        ("text/csv", "CSV"),
        ("text/csv; charset=utf-8", "CSV"),
        ("application/vnd.apache.parquet", "PARQUET"),
        ("parquet", "PARQUET"),
        ("XLSX", "XLSX"),
        ("xlsx", "XLSX"),
        ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "XLSX"),
        ("json", "JSON"),
        ("application/json", "JSON"),
        ("geojson", "GEOJSON"),
        ("application/geo+json", "GEOJSON"),
        ("application/vnd.geo+json", "GEOJSON"),
        ("JSON-LD", "JSON_LD"),
        ("application/ld+json", "JSON_LD"),
        ("application/xml", "XML"),
        ("text/xml", "XML"),
        ("application/pdf", "PDF"),
        ("application/zip", "ZIP"),
        ("Esri Shape", "SHP"),
        ("application/x-zipped-shp", "SHP"),
        (EU + "file-type/CSV", "CSV"),
    ],
)
def test_file_type_for_formats_media_types_and_extensions(given: str, code: str) -> None:
    concept = file_type_for(given)
    assert concept is not None, given
    assert concept.code == code


def test_file_type_for_unknown_input_is_none() -> None:
    assert file_type_for("") is None
    assert file_type_for("application/x-obert-nothing") is None
    assert file_type_for("nothing-like-this") is None


def test_file_types_carry_media_type_and_mqa_flags() -> None:
    csv = file_type_for("csv")
    parquet = file_type_for("parquet")
    xlsx = file_type_for("xlsx")
    assert csv is not None and parquet is not None and xlsx is not None
    assert csv.extra["media_type"] == "text/csv"
    assert csv.extra["extensions"] == ["csv"]
    assert csv.extra["machine_readable"] is True
    assert csv.extra["non_proprietary"] is True
    assert parquet.uri == EU + "file-type/PARQUET"
    assert parquet.extra["media_type"] == "application/vnd.apache.parquet"
    assert xlsx.extra["machine_readable"] is True
    assert xlsx.extra["non_proprietary"] is False
    file_types = vocabulary("file-type")
    assert sum(1 for c in file_types if c.extra["machine_readable"]) == 20
    assert sum(1 for c in file_types if c.extra["non_proprietary"]) == 29
    assert sum(1 for c in file_types if c.extra["deprecated"]) == 3


def test_vocabulary_is_cached_and_unknown_names_fail() -> None:
    assert vocabulary("sector") is vocabulary("sector")
    with pytest.raises(KeyError):
        vocabulary("nope")
