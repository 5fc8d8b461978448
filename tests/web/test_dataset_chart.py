"""One chart across the resources of a dataset: the accident years 2010, 2014 and 2018, with their
differing headers, charted together; its CSV and its embeddable page."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from urllib.parse import urlencode
from xml.etree import ElementTree

import duckdb
import pytest
from bs4 import BeautifulSoup
from defusedxml import ElementTree as DefusedET
from fastapi.testclient import TestClient

from tests.web.demo_site import DemoSite

FILES = Path(__file__).parents[2] / "obert" / "demo" / "files"
CHART = "/{lang}/dataset/accidents-gu-bcn/chart"
VICTIMS = {"chart_by": "Any", "chart_metric": "sum:Número de víctimes"}


def victims_by_year() -> dict[str, int]:
    """The victims of each year counted by DuckDB straight from the demo's source files."""
    out = {}
    con = duckdb.connect()
    for year, name, delim, encoding in [
        ("2010", "ACCIDENTS_GU_BCN_2010.csv", ",", "latin-1"),
        ("2014", "ACCIDENTS_GU_BCN_2014.csv", ";", "latin-1"),
        ("2018", "2018_accidents_gu_bcn.csv", ",", "utf-8"),
    ]:
        source = f"read_csv('{FILES / name}', delim='{delim}', encoding='{encoding}', header=true)"
        row = con.execute(
            f"SELECT sum(columns('(?i)^n[uú]mero.?(de )?v[ií]ctimes$')) FROM {source}"
        ).fetchone()
        assert row is not None
        out[year] = int(row[0])
    return out


@pytest.fixture(scope="module")
def client(served: tuple[str, DemoSite]) -> TestClient:
    return TestClient(served[1].app)


def _soup(client: TestClient, lang: str, params: dict[str, str]) -> BeautifulSoup:
    response = client.get(CHART.format(lang=lang), params=params)
    assert response.status_code == 200, response.text
    return BeautifulSoup(response.text, "html.parser")


def _table(soup: BeautifulSoup) -> list[list[str]]:
    return [
        [c.get_text(strip=True) for c in tr.find_all(["th", "td"])]
        for tr in soup.select("table.chart-data tr")
    ]


def test_the_dataset_page_links_its_chart_across_the_years(client: TestClient) -> None:
    soup = BeautifulSoup(client.get("/ca/dataset/accidents-gu-bcn").text, "html.parser")
    link = soup.select_one(".dataset-chart a")
    assert link is not None and link.get_text(strip=True) == "Representa les 3 taules juntes"
    assert "chart_by=Any" in str(link["href"])


def test_victims_per_year_across_the_accident_years(client: TestClient) -> None:
    soup = _soup(client, "ca", VICTIMS)
    rows = _table(soup)
    expected = victims_by_year()
    assert rows[0] == ["Any", "Suma de Número de víctimes"]
    assert {year: int(value.replace(".", "")) for year, value in rows[1:]} == expected
    assert [r[0] for r in rows[1:]] == ["2010", "2014", "2018"]  # a line over time, oldest first
    assert all(10_000 < v < 13_000 for v in expected.values())
    assert soup.select_one("#chart-name").get_text() == "Víctimes per any"  # type: ignore[union-attr]
    assert soup.select_one("h1").get_text().startswith("Gràfic d'Accidents gestionats")  # type: ignore[union-attr]
    offered = [o.get_text() for o in soup.select("#chart-metric option")]
    assert "Suma de Número de víctimes" in offered
    # Codes, years, months and coordinates are never added up, in any table's spelling.
    assert not any(w in o for o in offered for w in ("Codi", "Any", "Coordenada", "Mes", "Dia"))


def test_the_same_in_spanish_and_english(client: TestClient) -> None:
    es = _soup(client, "es", VICTIMS)
    assert es.select_one("#chart-name").get_text() == "Víctimes por any"  # type: ignore[union-attr]
    en = _soup(client, "en", VICTIMS)
    assert en.select_one("#chart-name").get_text() == "Víctimes by any"  # type: ignore[union-attr]
    assert len(_table(en)) == 4


def test_a_line_per_district_by_month_caps_its_series(client: TestClient) -> None:
    soup = _soup(
        client, "en", {"chart_by": "Any+Mes de any", "chart_metric": "count", "chart_series": "Nom districte"}
    )
    rows = _table(soup)
    assert rows[0][0].startswith("Month") and rows[0][-1] == "Others" and len(rows[0]) == 1 + 8 + 1
    assert rows[1][0] == "2010-01" and rows[-1][0] == "2018-12" and len(rows) == 1 + 36
    # The series add up to every accident of the three years.
    total = sum(int(v.replace(",", "")) for row in rows[1:] for v in row[1:])
    assert total == 9056 + 9680 + 9936
    assert soup.select_one("#chart-name").get_text() == "Rows by month and nom districte"  # type: ignore[union-attr]


def test_the_charts_numbers_as_csv(client: TestClient) -> None:
    soup = _soup(client, "ca", VICTIMS)
    link = soup.select_one(".chart-links a[href*='chart.csv']")
    assert link is not None
    response = client.get(str(link["href"]))
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["Any", "Suma de Número de víctimes"]
    assert {r[0]: int(r[1]) for r in rows[1:]} == victims_by_year()


def test_the_embeddable_page_may_be_framed_and_no_other(client: TestClient) -> None:
    soup = _soup(client, "en", VICTIMS)
    link = soup.select_one(".chart-links a[href*='/embed']")
    assert link is not None
    embed = client.get(str(link["href"]))
    assert embed.status_code == 200
    assert "frame-ancestors *" in embed.headers["content-security-policy"]
    assert "x-frame-options" not in embed.headers
    page = BeautifulSoup(embed.text, "html.parser")
    assert page.select_one("header") is None and page.select_one("table.chart-data") is not None
    assert page.select_one("a[href='/en/dataset/accidents-gu-bcn']") is not None
    # The embed offers the image and the numbers too.
    svg = page.select_one(".chart-links a[href*='chart.svg']")
    assert svg is not None and _svg(client, str(svg["href"]))[0].text == "Víctimes by any"
    assert page.select_one(".chart-links a[href*='spreadsheet=en']") is not None
    whole = client.get(CHART.format(lang="en"), params=VICTIMS)
    assert "frame-ancestors 'none'" in whole.headers["content-security-policy"]
    assert whole.headers["x-frame-options"] == "DENY"


def test_a_measure_of_a_code_is_refused_in_the_readers_language(client: TestClient) -> None:
    response = client.get(
        CHART.format(lang="ca"), params={"chart_by": "Any", "chart_metric": "sum:Codi districte"}
    )
    assert response.status_code == 422
    assert "chart_metric" in response.text or "mesura" in response.text


def test_a_resource_chart_over_months_keeps_the_filter_in_its_embed_and_csv(
    client: TestClient, served: tuple[str, DemoSite]
) -> None:
    site = served[1]
    gracia = {"column": "Nom_districte", "op": "contains", "value": "gracia"}
    params = {**gracia, "chart_by": "Any+Mes_any", "chart_metric": "sum:Numero_victimes"}
    page = BeautifulSoup(client.get(f"/ca{site.accidents2018}", params=params).text, "html.parser")
    rows = _table(page)
    assert rows[0][0] == "Mes (Any i Mes any)" and [r[0] for r in rows[1:]] == [
        f"2018-{m:02d}" for m in range(1, 13)
    ]
    assert page.select_one("#chart-name").get_text() == "Victimes per mes"  # type: ignore[union-attr]
    monthly = {r[0]: int(r[1]) for r in rows[1:]}
    links = {a.get_text(strip=True): str(a["href"]) for a in page.select(".chart-links a")}
    embed = BeautifulSoup(client.get(links["El gràfic sol, per incrustar-lo"]).text, "html.parser")
    assert {r[0]: int(r[1]) for r in _table(embed)[1:]} == monthly
    lines = list(csv.reader(io.StringIO(client.get(links["Les xifres del gràfic (CSV)"]).text)))
    assert {r[0]: int(r[1]) for r in lines[1:]} == monthly
    # Gràcia's victims only: fewer than the whole city's.
    whole = _table(
        BeautifulSoup(
            client.get(
                f"/ca{site.accidents2018}", params={k: params[k] for k in ("chart_by", "chart_metric")}
            ).text,
            "html.parser",
        )
    )
    assert (
        sum(monthly.values())
        < sum(int(r[1].replace(".", "")) for r in whole[1:])
        == victims_by_year()["2018"]
    )


def test_an_unknown_dataset_has_no_embed_page_and_no_server_error(
    client: TestClient, served: tuple[str, DemoSite]
) -> None:
    response = client.get("/en/dataset/no-such-dataset/chart/embed", params=VICTIMS)
    assert response.status_code == 404


def test_with_series_the_largest_group_is_told_by_its_total(
    client: TestClient, served: tuple[str, DemoSite]
) -> None:
    site = served[1]
    params = {"chart_by": "Nom_districte", "chart_metric": "count", "chart_series": "Descripcio_torn"}
    page = BeautifulSoup(client.get(f"/en{site.accidents2018}", params=params).text, "html.parser")
    rows = _table(page)
    assert len(rows[0]) == 4  # the district, then morning, afternoon and night
    first, *values = rows[1]
    total = sum(int(v.replace(",", "")) for v in values)
    assert f"The largest is {first} ({total:,})." in page.select_one("#chart-summary").get_text()  # type: ignore[union-attr]


SVG = "{http://www.w3.org/2000/svg}"


def _svg(client: TestClient, href: str) -> ElementTree.Element:
    response = client.get(href)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/svg+xml"
    assert b"<script" not in response.content  # a picture, not a program
    return DefusedET.fromstring(response.content)


def test_the_chart_as_an_svg_image_has_a_point_per_year(client: TestClient) -> None:
    soup = _soup(client, "ca", VICTIMS)
    link = soup.select_one(".chart-links a[href*='chart.svg']")
    assert link is not None and link.get_text(strip=True) == "El gràfic com a imatge (SVG)"
    root = _svg(client, str(link["href"]))
    # Named for assistive technology: its title, and every figure as text.
    assert root.get("role") == "img"
    title, desc = root[0], root[1]
    assert (title.tag, desc.tag) == (f"{SVG}title", f"{SVG}desc")
    assert title.text == "Víctimes per any" and root.get("aria-labelledby") == title.get("id")
    assert desc.text is not None and "2010: 10.843; 2014: 11.431; 2018: 11.898" in desc.text
    # A line over time: a point per year, each carrying its figure in Catalan, the highest drawn highest.
    points = [
        (float(str(c.get("cy"))), c) for c in root.iter(f"{SVG}circle") if "dot" in (c.get("class") or "")
    ]
    assert len(points) == 3
    figures = [v.text for g in root.iter(f"{SVG}g") for v in g if v.get("class") == "value"]
    assert figures == ["10.843", "11.431", "11.898"] and victims_by_year() == {
        "2010": 10_843,
        "2014": 11_431,
        "2018": 11_898,
    }
    heights = [cy for cy, _c in points]
    assert heights == sorted(heights, reverse=True)  # SVG's y grows downwards
    texts = {t.text for t in root.iter(f"{SVG}text")}
    assert {"Víctimes per any", "Any", "Suma de Número de víctimes", "2010", "2014", "2018"} <= texts


def test_an_svg_bar_chart_with_series_has_a_bar_per_cell(
    client: TestClient, served: tuple[str, DemoSite]
) -> None:
    site = served[1]
    params = {"chart_by": "Nom_districte", "chart_metric": "count", "chart_series": "Descripcio_torn"}
    root = _svg(client, f"/en{site.accidents2018}/chart.svg?{urlencode(params)}")
    bars = [r for r in root.iter(f"{SVG}rect") if "rect" in (r.get("class") or "").split()]
    page = BeautifulSoup(client.get(f"/en{site.accidents2018}", params=params).text, "html.parser")
    rows = _table(page)
    cells = [v for row in rows[1:] for v in row[1:] if v not in ("0", "—")]
    assert len(bars) == len(cells) and len(rows) == 11  # ten districts (and those with no district)
    legend = {t.text for t in root.iter(f"{SVG}text")}
    assert set(rows[0][1:]) <= legend  # one legend entry per series: morning, afternoon, night
    assert root[0].text == page.select_one("#chart-name").get_text()  # type: ignore[union-attr]


def test_the_charts_numbers_for_spreadsheets_follow_the_readers_settings(client: TestClient) -> None:
    soup = _soup(client, "ca", {"chart_by": "Any", "chart_metric": "avg:Número de víctimes"})
    link = soup.select_one(".chart-links a[href*='spreadsheet=ca']")
    assert link is not None
    response = client.get(str(link["href"]))
    assert response.status_code == 200 and response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Any", "Mitjana de Número de víctimes"]
    means = {r[0]: float(r[1].replace(",", ".")) for r in rows[1:]}
    assert all("," in r[1] for r in rows[1:]) and all(1 < m < 2 for m in means.values())
    plain = list(csv.reader(io.StringIO(client.get(str(link["href"]).replace("&spreadsheet=ca", "")).text)))
    assert {r[0]: float(r[1]) for r in plain[1:]} == means
    english = client.get(str(link["href"]).replace("spreadsheet=ca", "spreadsheet=en"))
    assert english.content.startswith("\ufeff".encode()) and b"," in english.content.splitlines()[1]
    assert client.get(str(link["href"]).replace("spreadsheet=ca", "spreadsheet=fr")).status_code == 422


def test_a_column_numbered_in_some_years_and_named_in_others_is_charted_as_text(
    client: TestClient,
) -> None:
    # The weekday: 1-7 in 2010 and 2014 ("Dia de setmana"), "Dl", "Dm"… in 2018 ("Dia_setmana").
    soup = _soup(client, "en", {"chart_by": "Dia de setmana", "chart_metric": "count"})
    assert "Dia de setmana" in [o.get_text() for o in soup.select("#chart-by option")]
    counts = {row[0]: int(row[1].replace(",", "")) for row in _table(soup)[1:]}
    con = duckdb.connect()
    expected: dict[str, int] = {}
    for name, delim, encoding, column in [
        ("ACCIDENTS_GU_BCN_2010.csv", ",", "latin-1", "Dia de setmana"),
        ("ACCIDENTS_GU_BCN_2014.csv", ";", "latin-1", "Dia de setmana"),
        ("2018_accidents_gu_bcn.csv", ",", "utf-8", "Dia_setmana"),
    ]:
        source = f"read_csv('{FILES / name}', delim='{delim}', encoding='{encoding}', header=true)"
        for value, n in con.execute(
            f'SELECT trim(CAST("{column}" AS VARCHAR)), count(*) FROM {source} GROUP BY 1'
        ).fetchall():
            expected[value] = expected.get(value, 0) + n
    assert counts == expected
    assert {"1", "7", "Dl", "Dg"} <= set(counts) and sum(counts.values()) == 9056 + 9680 + 9936


def test_an_svg_of_no_row_says_so(client: TestClient, served: tuple[str, DemoSite]) -> None:
    params = {"column": "Nom_districte", "op": "contains", "value": "zzzz", "chart_by": "Nom_districte"}
    root = _svg(client, f"/en{served[1].accidents2018}/chart.svg?{urlencode(params)}")
    assert "No row to chart." in {t.text for t in root.iter(f"{SVG}text")}
    assert root[1].text == "No row to chart."


@pytest.mark.parametrize("name", ["bicing-estacions", "accidents-gu-bcn", "qualitat-aire-detall-bcn"])
def test_the_dataset_pages_chart_links_serve_the_chart_it_shows(client: TestClient, name: str) -> None:
    # The dataset page draws the chart of its first table; its embed, CSV and SVG links must give that
    # chart (the table's own), not the chart across the dataset's tables, which may not exist.
    page = BeautifulSoup(client.get(f"/en/dataset/{name}", params={"tab": "chart"}).text, "html.parser")
    shown = _table(page)
    links = {
        kind: page.select_one(f"a[href*='/chart{suffix}?']")
        for kind, suffix in (("embed", "/embed"), ("csv", ".csv"), ("svg", ".svg"))
    }
    assert all(links.values()), links
    for kind, link in links.items():
        href = str(link["href"])  # type: ignore[index]
        assert "/resource/" in href, href
        response = client.get(href)
        assert response.status_code == 200, (kind, href, response.text[:300])
    embedded = BeautifulSoup(client.get(str(links["embed"]["href"])).text, "html.parser")  # type: ignore[index]
    assert _table(embedded) == shown
