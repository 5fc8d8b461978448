"""The table page's filter and its downloads, on the 2018 accidents (9,936 rows, 464 in Gràcia): what is
on screen is what every download holds, and the page says which rows those are in the reader's language."""

from __future__ import annotations

import csv
import io
import json
import re
from urllib.parse import urlsplit

import pyarrow.parquet as pq
import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from python_calamine import CalamineWorkbook

from tests.web.demo_site import DemoSite

GRACIA = {"column": "Nom_districte", "op": "contains", "value": "gracia"}


@pytest.fixture(scope="module")
def site(served: tuple[str, DemoSite]) -> DemoSite:
    """The demo the browser tests serve (one per test process), read here in-process."""
    return served[1]


@pytest.fixture(scope="module")
def client(site: DemoSite) -> TestClient:
    return TestClient(site.app)


def _page(client: TestClient, site: DemoSite, lang: str, params: object = None) -> BeautifulSoup:
    response = client.get(f"/{lang}{site.accidents2018}", params=params)  # type: ignore[arg-type]
    assert response.status_code == 200, response.text[:500]
    return BeautifulSoup(response.text, "html.parser")


def _text(soup: BeautifulSoup, selector: str) -> str:
    found = soup.select_one(selector)
    assert found is not None, selector
    return " ".join(found.get_text().split())


def _downloads(soup: BeautifulSoup) -> dict[str, str]:
    """Label → path of every download link of the table."""
    return {
        a.get_text(strip=True): re.sub(r"^https?://[^/]+", "", str(a["href"]))
        for a in soup.select("ul.downloads a")
    }


def _count(fmt: str, body: bytes) -> int:
    if fmt == "CSV":
        return len(list(csv.reader(io.StringIO(body.decode())))) - 1
    if fmt == "CSV for spreadsheets":
        assert body.startswith(b"\xef\xbb\xbf")
        return len(list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=","))) - 1
    if fmt == "XLSX":
        return len(CalamineWorkbook.from_filelike(io.BytesIO(body)).get_sheet_by_index(0).to_python()) - 1
    if fmt == "JSON":
        return len(json.loads(body))
    if fmt == "JSONL":
        return len(body.splitlines())
    if fmt == "GEOJSON":
        return len(json.loads(body)["features"])
    assert fmt in ("PARQUET", "GEOPARQUET")
    return int(pq.read_table(io.BytesIO(body)).num_rows)


def test_gracia_finds_gracia_and_every_download_holds_exactly_those_rows(
    client: TestClient, site: DemoSite
) -> None:
    soup = _page(client, site, "en", GRACIA)
    assert "of 464" in _text(soup, "section[aria-labelledby=preview-title] p.meta")
    assert _text(soup, "#download-scope") == "464 rows where Nom_districte contains “gracia”."
    links = _downloads(soup)
    assert set(links) == {
        "CSV",
        "CSV for spreadsheets",
        "XLSX",
        "JSON",
        "GEOJSON",
        "PARQUET",
        "GEOPARQUET",
        "JSONL",
    }
    for fmt, path in links.items():
        response = client.get(path)
        assert response.status_code == 200, path
        assert _count(fmt, response.content) == 464, fmt


@pytest.mark.parametrize(
    ("lang", "whole", "filtered", "one"),
    [
        ("ca", "Tota la taula, 9.936 files.", "464 files on Nom_districte conté «gracia».", "1 fila on"),
        (
            "es",
            "Toda la tabla, 9.936 filas.",
            "464 filas donde Nom_districte contiene «gracia».",
            "1 fila donde",
        ),
        (
            "en",
            "The whole table, 9,936 rows.",
            "464 rows where Nom_districte contains “gracia”.",
            "1 row where",
        ),
    ],
)
def test_the_scope_of_the_downloads_is_said_in_words(
    client: TestClient, site: DemoSite, lang: str, whole: str, filtered: str, one: str
) -> None:
    assert _text(_page(client, site, lang), "#download-scope") == whole
    assert _text(_page(client, site, lang, GRACIA), "#download-scope") == filtered
    single = _page(
        client, site, lang, {"column": "Numero_expedient", "op": "contains", "value": "2018S000150"}
    )
    assert _text(single, "#download-scope").startswith(one)


def test_ranges_and_several_conditions_all_apply(client: TestClient, site: DemoSite) -> None:
    params = {
        "column": ["Nom_districte", "Numero_victimes", "Numero_victimes", "Hora_dia"],
        "op": ["contains", "gte", "lte", "gte"],
        "value": ["EIXAMPLE", "2", "3", "20"],
        "sort": "Numero_victimes",
        "order": "desc",
    }
    soup = _page(client, site, "en", params)
    scope = _text(soup, "#download-scope")
    assert scope.endswith(
        "where Nom_districte contains “EIXAMPLE”, Numero_victimes from 2, Numero_victimes up to 3 and "
        "Hora_dia from 20, sorted by Numero_victimes in descending order."
    )
    rows = json.loads(client.get(_downloads(soup)["JSON"]).content)
    total = int(scope.split()[0])
    assert len(rows) == total > 0
    assert all(
        "Eixample" in r["Nom_districte"] and 2 <= r["Numero_victimes"] <= 3 and r["Hora_dia"] >= 20
        for r in rows
    )
    assert [r["Numero_victimes"] for r in rows] == sorted((r["Numero_victimes"] for r in rows), reverse=True)
    # The form shows each condition again, and one empty row to add another.
    assert len(soup.select("fieldset.filter-condition")) == 5


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("ca", "«abc» no és un nombre enter"),
        ("es", "«abc» no es un número entero"),
        ("en", "“abc” is not a whole"),
    ],
)
def test_a_wrong_value_is_explained_next_to_its_field_and_the_other_conditions_still_apply(
    client: TestClient, site: DemoSite, lang: str, message: str
) -> None:
    params = {"column": ["Any", "Nom_districte"], "op": ["eq", "contains"], "value": ["abc", "gràcia"]}
    response = client.get(f"/{lang}{site.accidents2018}", params=params)
    assert response.status_code == 200
    soup = BeautifulSoup(response.text, "html.parser")
    field = soup.select_one("#filter-value-0")
    assert field is not None and field["aria-invalid"] == "true"
    error = soup.select_one(f"#{field['aria-describedby']}")
    assert error is not None and message in error.get_text()
    assert soup.select_one("#filter-value-1").get("aria-invalid") is None  # type: ignore[union-attr]
    # The rows are those of the valid condition; the downloads say so and carry only that one.
    assert _text(soup, "#download-scope").startswith("464 ")
    assert all("Any" not in urlsplit(path).query for path in _downloads(soup).values())


def test_generated_catalan_phrases_read_right(client: TestClient, site: DemoSite) -> None:
    soup = _page(client, site, "ca", {**GRACIA, "chart_by": "Nom_districte", "chart_metric": "count"})
    assert soup.select_one("#map")["aria-label"] == "Mapa d'Accidents 2018"  # type: ignore[index]
    offered = [o.get_text() for o in soup.select("#chart-metric option")]
    # Years, codes and coordinates are not added up; counts of things are, with Catalan's "de".
    assert "Suma de Numero victimes" in offered and "Suma d'Any" not in offered
    assert not any("Codi" in o or "Coordenada" in o or "Mes" in o for o in offered)
    assert "El gràfic té una sola barra." in _text(soup, "#chart-summary")
    assert "els 1 més grans" not in soup.get_text()


def test_catalan_counts_take_an_apostrophe_before_one_and_eleven(client: TestClient, site: DemoSite) -> None:
    api = site.accidents2018.split("/resource/")[1]
    groups = client.get(f"/api/v1/datastore/{api}/aggregate", params={"group_by": "Nom_carrer"}).json()[
        "data"
    ]
    for count, words in ((11, "Files 1 a 11 d'11"), (1, "Files 1 a 1 d'1"), (8, "Files 1 a 8 de 8")):
        street = next(g["Nom_carrer"] for g in groups if g["count"] == count)
        soup = _page(client, site, "ca", {"column": "Nom_carrer", "op": "eq", "value": street})
        assert _text(soup, "section[aria-labelledby=preview-title] p.meta").startswith(words)
