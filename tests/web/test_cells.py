"""Cells are written by what their column means: years, codes and identifiers as they are, coordinates
with every decimal, only quantities with the reader's thousands separator (Catalan "1.234", English
"1,234")."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from obert.web.cells import display_of, write_cell
from obert.web.templating import environment
from tests.web.demo_site import DemoSite


@pytest.mark.parametrize(
    ("name", "type_", "display"),
    [
        ("Any", "integer", "plain"),
        ("Codi_carrer", "integer", "plain"),
        ("Id", "integer", "plain"),
        ("codigoPostal", "integer", "plain"),
        ("Coordenada_UTM_X", "decimal", "coordinate"),
        ("Longitud", "decimal", "coordinate"),
        ("lat", "double", "coordinate"),
        ("Numero_victimes", "integer", "quantity"),
        ("Import", "decimal", "money"),
        ("Preu (€)", "decimal", "money"),
        ("Data_alta", "date", "date"),
        ("Hora_lectura", "datetime", "datetime"),
        ("Nom_barri", "text", "text"),
    ],
)
def test_a_column_is_written_by_what_it_means(name: str, type_: str, display: str) -> None:
    assert display_of(name, type_) == display


def test_money_keeps_its_two_decimals_in_the_readers_way() -> None:
    assert write_cell(Decimal("1234.5"), "money", "ca") == "1.234,50"
    assert write_cell(1234.5, "money", "es") == "1.234,50"
    assert write_cell(Decimal("1234.5"), "money", "en") == "1,234.50"
    assert write_cell(7, "money", "en") == "7.00"


@pytest.mark.parametrize(
    ("lang", "day", "moment"),
    [
        ("ca", "6 de des. 2026", "6 de des. 2026, 8:30:00"),
        ("es", "6 dic 2026", "6 dic 2026, 8:30:00"),
        ("en", "Dec 6, 2026", "Dec 6, 2026, 8:30:00\u202fAM"),
    ],
)
def test_dates_in_a_table_are_written_in_the_readers_language(lang: str, day: str, moment: str) -> None:
    assert write_cell("2026-12-06", "date", lang) == day
    # A timestamp of the data is the data's own local time: written as it is, never moved.
    assert write_cell("2026-12-06T08:30:00", "datetime", lang) == moment
    assert write_cell("not a date", "date", lang) == "not a date"


def test_only_quantities_get_thousands_separators() -> None:
    assert write_cell(2018, "plain", "ca") == "2018"
    assert write_cell(701819, "plain", "en") == "701819"
    assert write_cell(12034, "quantity", "ca") == "12.034"
    assert write_cell(12034, "quantity", "en") == "12,034"
    assert write_cell(Decimal("2.1561234567"), "coordinate", "ca") == "2,1561234567"
    assert write_cell(2.1561234567, "coordinate", "en") == "2.1561234567"


@pytest.fixture(scope="module")
def site(served: tuple[str, DemoSite]) -> DemoSite:
    return served[1]


@pytest.fixture(scope="module")
def client(site: DemoSite) -> TestClient:
    return TestClient(site.app)


def test_the_accidents_table_writes_years_codes_and_positions_as_they_are(
    client: TestClient, site: DemoSite
) -> None:
    page = client.get(f"/ca{site.accidents2018}", params={"sort": "Codi_carrer", "order": "desc"})
    soup = BeautifulSoup(page.text, "html.parser")
    table = soup.select_one("table.preview")
    assert table is not None
    heads = [th.get_text(" ", strip=True).rstrip(" ▲▼") for th in table.select("thead th")]
    first = [td.get_text(strip=True) for td in table.select("tbody tr")[0].select("th, td")]
    row = dict(zip(heads, first, strict=False))
    assert row["Any"] == "2018", row
    assert "." not in row["Codi_carrer"] and len(row["Codi_carrer"]) >= 6, row
    assert "," in row["Longitud"] and len(row["Longitud"].split(",")[1]) > 3, row


def test_times_on_pages_are_the_citys() -> None:
    summer = datetime(2026, 7, 1, 22, 30, tzinfo=UTC)  # already the 2nd of July in Barcelona (UTC+2)
    madrid = environment("ca", "Europe/Madrid").filters
    assert madrid["datetime"](summer) == "2 de juliol del 2026, 00:30"
    assert madrid["date"](summer) == "2 de juliol del 2026"
    assert environment("en", "UTC").filters["datetime"](summer) == "July 1, 2026, 22:30"
    winter = datetime(2026, 12, 6, 16, 55)  # stored without a zone: UTC
    assert environment("es", "Europe/Madrid").filters["datetime"](winter) == "6 de diciembre de 2026, 17:55"


def test_numbers_are_written_by_their_exact_value_not_an_equal_one() -> None:
    # Formatting is remembered; values that compare equal but are written differently stay apart.
    assert write_cell(0.0, "quantity", "en") == "0"
    assert write_cell(-0.0, "quantity", "en") == "-0"
    assert write_cell(1, "quantity", "ca") == "1"
    assert write_cell(True, "quantity", "ca") == "True"
    assert write_cell(1234.5, "quantity", "ca") == "1.234,5"
    assert write_cell(1234.5, "quantity", "en") == "1,234.5"
    assert write_cell(Decimal("1234.50"), "money", "en") == "1,234.50"
    assert write_cell(Decimal("1234.5"), "quantity", "en") == "1,234.5"
    assert write_cell(12345678901234567890, "quantity", "en") == "12,345,678,901,234,567,890"
