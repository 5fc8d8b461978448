"""The helpers that turn what real catalogues say into values the catalogue accepts."""

from __future__ import annotations

import pytest

from obert.harvest.mapping import iso_date, language_codes, licence_code, masked, slugify, themes_and_sectors
from obert.harvest.models import parse_interval


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("2017-03-01T00:00:00", "2017-03-01T00:00:00"),
        ("15/04/2024", "2024-04-15"),
        ("1.3.2017 10:05", "2017-03-01T10:05:00+00:00"),
        ("2024-05-31", "2024-05-31"),
        ("2024-04-15T09:08:02Z", "2024-04-15T09:08:02+00:00"),
        ("31/02/2024", None),
        ("soon", None),
        ("", None),
    ],
)
def test_dates_in_the_formats_catalogues_use(given: str, expected: str | None) -> None:
    assert iso_date(given) == expected


def test_codes_from_labels_iris_and_literals() -> None:
    assert licence_code("http://creativecommons.org/licenses/by/4.0/") == "CC_BY_4_0"
    assert licence_code("cc-by") == "CC_BY_4_0" and licence_code("some custom terms") is None
    assert language_codes(["es", "http://publications.europa.eu/resource/authority/language/CAT", "xx"]) == [
        "SPA",
        "CAT",
    ]
    themes, sectors, rest = themes_and_sectors(
        ["http://datos.gob.es/kos/sector-publico/sector/transporte", "Environment", "Cultura popular"]
    )
    # A label of a datos.gob.es sector counts as that sector, and brings its EU theme along.
    assert sectors == ["transporte", "medio-ambiente"] and themes == ["TRAN", "ENVI"]
    assert rest == ["Cultura popular"]


def test_names_and_secrets() -> None:
    assert slugify("Qualitat de l'Aire 2023!") == "qualitat-de-l-aire-2023"
    assert slugify("·").startswith("dataset-")
    assert masked("postgresql+psycopg://city:hunter2@db/erp") == "postgresql+psycopg://city:***@db/erp"
    assert masked("https://data.example.org/x") == "https://data.example.org/x"


def test_intervals() -> None:
    assert parse_interval("1d") == 86400 and parse_interval("6h") == 21600
    with pytest.raises(ValueError, match="at most once a minute"):
        parse_interval("10s")
