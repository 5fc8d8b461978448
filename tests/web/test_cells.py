"""Cells are written by what their column means: years, codes and identifiers as they are, coordinates
with every decimal, only quantities with the reader's thousands separator (Catalan "1.234", English
"1,234")."""

from __future__ import annotations

from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from obert.web.cells import display_of, write_cell
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
        ("Import", "decimal", "quantity"),
        ("Nom_barri", "text", "text"),
    ],
)
def test_a_column_is_written_by_what_it_means(name: str, type_: str, display: str) -> None:
    assert display_of(name, type_) == display


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
    heads = [th.get_text(" ", strip=True).split(" (")[0] for th in table.select("thead th")]
    first = [td.get_text(strip=True) for td in table.select("tbody tr")[0].select("th, td")]
    row = dict(zip(heads, first, strict=False))
    assert row["Any"] == "2018", row
    assert "." not in row["Codi_carrer"] and len(row["Codi_carrer"]) >= 6, row
    assert "," in row["Longitud"] and len(row["Longitud"].split(",")[1]) > 3, row
