"""A table on its resource page: rows sorted, filtered and paged without JavaScript, profile, downloads."""

from __future__ import annotations

import csv
import io
import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from obert.demo import FILES
from tests.api.datastore_helpers import make_dataset, portal_of, run_jobs, upload

STATIONS = FILES / "qualitat_aire_estacions.csv"  # 55 stations, lon/lat columns
PAGE = "/{lang}/dataset/estacions/resource/estacions-taula"
WORDS = {"ca": "Previsualització de la taula", "es": "Vista previa de la tabla", "en": "Table preview"}


@pytest.fixture
def table(client: TestClient, admin: dict[str, str], org: dict[str, Any]) -> TestClient:
    make_dataset(client, admin)
    upload(client, admin, "estacions-taula", STATIONS)
    assert run_jobs(portal_of(client)) == 1
    return client


def _soup(client: TestClient, lang: str, **params: Any) -> BeautifulSoup:
    response = client.get(PAGE.format(lang=lang), params=params)
    assert response.status_code == 200, response.text
    return BeautifulSoup(response.text, "html.parser")


def _rows(soup: BeautifulSoup) -> list[list[str]]:
    body = soup.select_one("table.preview tbody")
    assert body is not None
    return [[c.get_text(strip=True) for c in tr.find_all(["th", "td"])] for tr in body.find_all("tr")]


def _column(soup: BeautifulSoup, name: str) -> int:
    heads = [th.get_text(" ", strip=True) for th in soup.select("table.preview thead th")]
    return next(i for i, h in enumerate(heads) if h == name or h.startswith(name + " "))


def _submit_sort(client: TestClient, soup: BeautifulSoup, column: str, order: str) -> BeautifulSoup:
    """The sort form as a browser sends it: its hidden fields, the chosen column and order."""
    form = soup.select_one("form.sort-form")
    assert form is not None
    assert {o["value"] for o in form.select("#sort-column option")} >= {column}
    fields = [(str(i["name"]), str(i["value"])) for i in form.select("input[type=hidden]")]
    fields += [("sort", column), ("order", order)]
    return BeautifulSoup(client.get(PAGE.format(lang="en"), params=fields).text, "html.parser")


@pytest.mark.parametrize("lang", ["ca", "es", "en"])
def test_the_first_rows_the_profile_and_the_downloads_show_in_every_language(
    table: TestClient, lang: str
) -> None:
    soup = _soup(table, lang)
    assert soup.html is not None and soup.html["lang"] == lang
    assert soup.find(id="preview-title").get_text() == WORDS[lang]  # type: ignore[union-attr]
    caption = soup.select_one("table.preview caption")
    assert caption is not None and "55" in caption.get_text()
    assert len(_rows(soup)) == 25
    assert all(th["scope"] == "col" for th in soup.select("table.preview thead th"))
    # Numbers are right-aligned and written the reader's way (a decimal comma in Catalan and Spanish).
    lon = _column(soup, "Longitud")
    first = soup.select("table.preview tbody tr")[0].find_all(["th", "td"])[lon]
    assert "num" in first["class"]
    assert ("," in first.get_text()) == (lang != "en")
    profile = soup.select_one("#profile-title")
    assert profile is not None
    profile_rows = soup.select("section[aria-labelledby=profile-title] tbody tr")
    assert any(tr.th and tr.th.get_text().startswith("Nom_districte") for tr in profile_rows)
    links = {urlsplit(a["href"]).path.rsplit(".", 1)[-1] for a in soup.select("ul.downloads a")}
    assert links == {"csv", "json", "jsonl", "parquet", "xlsx", "geojson", "geoparquet"}
    # Beside the plain CSV, one for spreadsheet programs set to the reader's language.
    assert any(urlsplit(a["href"]).query == f"spreadsheet={lang}" for a in soup.select("ul.downloads a"))
    code = soup.select_one("#rows-1")
    assert (
        code is not None and "/api/v1/datastore/" in code.get_text() and "/rows?limit=25" in code.get_text()
    )
    # CSP forbids inline code: every script has a src, no element carries a style.
    assert all(s.get("src") for s in soup.find_all("script") if s.get("type") != "application/ld+json")
    assert not soup.select("[style]") and not soup.find_all("style")


def test_the_downloads_and_the_rows_snippet_answer(table: TestClient) -> None:
    soup = _soup(table, "en")
    for a in soup.select("ul.downloads a"):
        path = re.sub(r"^https?://[^/]+", "", str(a["href"]))
        assert table.get(path).status_code == 200, path
    url = re.search(r"curl -s '([^']+)'", soup.select_one("#rows-1").get_text())  # type: ignore[union-attr]
    assert url is not None
    page = table.get(re.sub(r"^https?://[^/]+", "", url.group(1))).json()
    assert page["count"] == 55 and len(page["data"]) == 25


def test_sorting_by_a_column_reorders_the_rows_both_ways(table: TestClient) -> None:
    soup = _soup(table, "en")
    col = _column(soup, "nom_cabina")
    # One sort control before the table: no link in the column titles to tab through.
    assert not soup.select("table.preview thead a")
    up = _submit_sort(table, soup, "nom_cabina", "asc")
    names = [r[col] for r in _rows(up)]
    assert names == sorted(names) and names != [r[col] for r in _rows(soup)]
    assert up.select("table.preview thead th")[col]["aria-sort"] == "ascending"
    assert up.select_one("#sort-column option[selected]")["value"] == "nom_cabina"  # type: ignore[index]
    down = _submit_sort(table, up, "nom_cabina", "desc")
    backwards = [r[col] for r in _rows(down)]
    assert backwards == sorted(backwards, reverse=True) and backwards[0] > names[-1]
    assert down.select("table.preview thead th")[col]["aria-sort"] == "descending"


def test_sorting_keeps_the_filter(table: TestClient) -> None:
    soup = _soup(table, "en", column="Nom_districte", value="Sant Marti")
    col = _column(soup, "nom_cabina")
    district = _column(soup, "Nom_districte")
    down = _submit_sort(table, soup, "nom_cabina", "desc")
    rows = _rows(down)
    assert rows and all(r[district] == "Sant Marti" for r in rows)
    assert [r[col] for r in rows] == sorted((r[col] for r in rows), reverse=True)


def test_filtering_by_a_column_value_keeps_only_matching_rows(table: TestClient) -> None:
    soup = _soup(table, "en", column="Nom_districte", value="Sant Marti")
    col = _column(soup, "Nom_districte")
    rows = _rows(soup)
    assert rows and len(rows) < 25 and all(r[col] == "Sant Marti" for r in rows)
    assert f"of {len(rows)}" in soup.select_one("section[aria-labelledby=preview-title] p.meta").get_text()  # type: ignore[union-attr]
    assert soup.select_one("#filter-value-0")["value"] == "Sant Marti"  # type: ignore[index]
    assert not _rows(_soup(table, "en", column="Nom_districte", value="Nowhere"))


def test_paging_walks_through_every_row_with_the_total(table: TestClient) -> None:
    soup = _soup(table, "en")
    seen: list[str] = []
    pages = 0
    while True:
        pages += 1
        seen += [r[0] for r in _rows(soup)]
        nxt = soup.select_one("nav.pager a[rel=next]")
        if nxt is None:
            break
        assert "of 55" in soup.get_text()
        soup = BeautifulSoup(table.get(str(nxt["href"]).split("#")[0]).text, "html.parser")
    assert pages == 3 and seen == [str(i) for i in range(1, 56)]
    assert soup.select_one("nav.pager a[rel=prev]") is not None


def test_a_bad_sort_column_is_a_clear_400(table: TestClient) -> None:
    response = table.get(PAGE.format(lang="en"), params={"sort": "nope"})
    assert response.status_code in (400, 422) and "nope" in response.text


def test_a_resource_without_a_table_has_no_preview(
    client: TestClient, admin: dict[str, str], org: dict[str, Any]
) -> None:
    make_dataset(client, admin)
    response = client.get(PAGE.format(lang="en"))
    assert response.status_code == 200 and "preview-title" not in response.text


@pytest.mark.parametrize("lang", ["ca", "es", "en"])
def test_a_chart_chosen_by_columns_comes_with_its_numbers_as_text_and_table(
    table: TestClient, lang: str
) -> None:
    soup = _soup(table, lang, chart_by="Nom_districte", chart_metric="count")
    canvas = soup.select_one("canvas#chart")
    assert canvas is not None and canvas["role"] == "img"
    api = table.get(_api_link(soup)).json()
    counts = {r["Nom_districte"]: r["count"] for r in api["data"]}
    cells = [
        [c.get_text(strip=True) for c in tr.find_all(["th", "td"])]
        for tr in soup.select("table.chart-data tr")
    ]
    shown = {name: int(value.replace(".", "").replace(",", "")) for name, value in cells[1:]}
    assert shown == counts and sum(shown.values()) == 55
    values = list(shown.values())
    assert values == sorted(values, reverse=True)
    summary = soup.select_one("#chart-summary").get_text()  # type: ignore[union-attr]
    assert cells[1][0] in summary and str(len(counts)) in summary
    scripts = [s["src"] for s in soup.find_all("script") if s.get("src")]
    assert "/static/js/chart.js" in scripts and "/static/vendor/chart.js/chart.umd.min.js" in scripts
    assert not soup.select("[style]")


def _api_link(soup: Any) -> str:
    """The chart's "same numbers from the API" link, on this host."""
    link = soup.select_one(".chart-links a[href*='/aggregate?']")
    assert link is not None
    return re.sub(r"^https?://[^/]+", "", str(link["href"]))


def test_a_station_code_is_not_added_up_and_a_bad_metric(table: TestClient) -> None:
    # Estacio numbers the stations: a sum of it means nothing, so it is neither offered nor drawn.
    soup = _soup(table, "en", chart_by="Nom_districte", chart_metric="count")
    offered = [o["value"] for o in soup.select("#chart-metric option")]
    assert "count" in offered and not any("Estacio" in o or "Codi" in o or "Longitud" in o for o in offered)
    refused = table.get(
        PAGE.format(lang="en"), params={"chart_by": "Nom_districte", "chart_metric": "sum:Estacio"}
    )
    assert refused.status_code == 422 and "chart_metric" in refused.text
    # No chart asked for: no chart scripts on the page.
    plain = table.get(PAGE.format(lang="en")).text
    assert "chart.umd" not in plain and 'id="chart-by"' in plain
    bad = table.get(
        PAGE.format(lang="en"), params={"chart_by": "Nom_districte", "chart_metric": "sum:nom_cabina"}
    )
    assert bad.status_code in (400, 422) and "chart_metric" in bad.text
    unknown = table.get(PAGE.format(lang="en"), params={"chart_by": "nope"})
    assert unknown.status_code in (400, 422) and "nope" in unknown.text


MAP_WORDS = {
    "ca": "files tenen una ubicació",
    "es": "filas tienen una ubicación",
    "en": "rows have a position",
}


@pytest.mark.parametrize("lang", ["ca", "es", "en"])
def test_a_table_with_positions_is_mapped_with_the_previews_filter(table: TestClient, lang: str) -> None:
    whole = _soup(table, lang)
    box = whole.select_one("#map")
    assert box is not None and box["role"] == "region" and box["aria-describedby"] == "map-help"
    source = str(box["data-src"])
    assert source.startswith("/api/v1/datastore/") and source.endswith("/features")  # same origin
    assert table.get(source).json()["numberMatched"] == 55
    assert f"55 {MAP_WORDS[lang]}" in whole.select_one("#map-help").get_text()  # type: ignore[union-attr]
    # Without JavaScript the box says so and the section links the points as GeoJSON.
    assert box.select_one(".map-fallback") is not None
    scripts = [s["src"] for s in whole.find_all("script") if s.get("src")]
    assert "/static/vendor/leaflet/leaflet.js" in scripts and not any("chart" in s for s in scripts)

    soup = _soup(table, lang, column="Nom_districte", value="Sant Marti")
    shown = len(_rows(soup))
    box = soup.select_one("#map")
    assert box is not None and "Nom_districte=Sant+Marti" in str(box["data-src"])
    points = table.get(str(box["data-src"])).json()
    assert points["numberMatched"] == shown and {
        f["properties"]["Nom_districte"] for f in points["features"]
    } == {"Sant Marti"}
    help_text = soup.select_one("#map-help").get_text()  # type: ignore[union-attr]
    assert "Sant Marti" in help_text and f"{shown} {MAP_WORDS[lang]}" in help_text
    link = soup.select_one("section[aria-labelledby=map-title] a[download]")
    assert link is not None
    exported = table.get(re.sub(r"^https?://[^/]+", "", str(link["href"]))).json()
    assert len(exported["features"]) == shown and exported["features"][0]["geometry"]["type"] == "Point"


def test_the_chart_counts_the_rows_the_filter_keeps(table: TestClient) -> None:
    soup = _soup(table, "en", column="Nom_districte", value="Sant Marti", chart_by="Nom_barri")
    shown = len(_rows(soup))
    cells = [
        [c.get_text(strip=True) for c in tr.find_all(["th", "td"])]
        for tr in soup.select("table.chart-data tbody tr")
    ]
    assert sum(int(value) for _name, value in cells) == shown < 55
    api = table.get(_api_link(soup)).json()
    assert {r["Nom_barri"]: r["count"] for r in api["data"]} == {name: int(v) for name, v in cells}
    summary = soup.select_one("#chart-summary").get_text()  # type: ignore[union-attr]
    assert "Nom_districte is “Sant Marti”" in summary
    # Drawing another chart keeps the filter.
    form = soup.select_one("section[aria-labelledby=chart-title] form")
    assert form is not None
    kept = {i["name"]: i["value"] for i in form.select("input[type=hidden]")}
    assert kept == {"column": "Nom_districte", "op": "eq", "value": "Sant Marti"}


def test_a_protected_table_shows_on_its_page_what_the_api_shows(
    table: TestClient, admin: dict[str, str]
) -> None:
    # Pretend the station codes are counts of people: codes 1 to 9 are then small counts to hide.
    protect = {"statistics_about_people": True, "min_count": 10, "count_columns": ["Estacio"]}
    response = table.patch("/api/v1/datastore/estacions-taula", json=protect, headers=admin)
    assert response.status_code == 200, response.text
    api_rows = table.get("/api/v1/datastore/estacions-taula/rows", params={"limit": 25}).json()["data"]
    soup = _soup(table, "en", chart_by="Nom_districte", chart_metric="sum:Estacio")
    col = _column(soup, "Estacio")
    shown = [r[col] for r in _rows(soup)]
    assert shown == [("—" if r["Estacio"] is None else str(r["Estacio"])) for r in api_rows]
    assert "—" in shown  # station 4 really was hidden
    # The publisher's word that Estacio counts people makes it a quantity: its sum is offered now.
    api = table.get(_api_link(soup)).json()
    cells = [
        [c.get_text(strip=True) for c in tr.find_all(["th", "td"])]
        for tr in soup.select("table.chart-data tbody tr")
    ]
    # Each bar is its district's published stations; the table says how many cells are not published.
    by_name = {r["Nom_districte"]: r for r in api["data"]}
    assert {c[0] for c in cells} == set(by_name)
    for name, value, hidden in cells:
        assert value == ("—" if by_name[name]["sum_Estacio"] is None else f"{by_name[name]['sum_Estacio']:,}")
        assert int(hidden) == by_name[name]["hidden_Estacio"]
    note = soup.select_one("#chart-hidden")
    assert note is not None and "computed from the published cells only" in note.get_text()
    # Filtering on the hidden counts would reveal them: the page says so beside the field, and the
    # downloads hold what the API gives, the hidden cells empty.
    filtered = _soup(table, "en", column="Estacio", op="eq", value="4")
    error = filtered.select_one("#filter-error-0")
    assert error is not None and "small counts that are hidden" in error.get_text()
    csv_link = next(a["href"] for a in filtered.select("ul.downloads a") if a.get_text(strip=True) == "CSV")
    lines = list(csv.DictReader(io.StringIO(table.get(re.sub(r"^https?://[^/]+", "", str(csv_link))).text)))
    every = table.get("/api/v1/datastore/estacions-taula/rows", params={"limit": 100}).json()["data"]
    assert len(lines) == 55 and "Estacio=" not in str(csv_link)
    assert sum(1 for r in lines if r["Estacio"] == "") == sum(1 for r in every if r["Estacio"] is None) > 0
