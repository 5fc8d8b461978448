"""The dataset page shows its main table's data: a preview, a chart and a map in tabs that are plain links
without JavaScript (the server opens the tab asked for)."""

from __future__ import annotations

from typing import Any

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from tests.api.datastore_helpers import make_dataset
from tests.web.demo_site import DemoSite

PAGE = "/ca/dataset/qualitat-aire-estacions-bcn"


@pytest.fixture(scope="module")
def site_client(served: tuple[str, DemoSite]) -> TestClient:
    return TestClient(served[1].app)


def _soup(client: TestClient, query: str = "") -> BeautifulSoup:
    response = client.get(f"{PAGE}{query}")
    assert response.status_code == 200
    return BeautifulSoup(response.text, "html.parser")


def _active(soup: BeautifulSoup) -> list[str]:
    return [str(p["id"]) for p in soup.select(".tab-panel") if "inactive" not in p.get("class", [])]


def test_the_table_is_open_and_the_chart_and_map_a_link_away(site_client: TestClient) -> None:
    soup = _soup(site_client)
    assert _active(soup) == ["panel-table"]
    assert len(soup.select("#panel-table table.preview tbody tr")) == 25
    tabs = {a.get_text(strip=True): str(a["href"]) for a in soup.select(".tab-list a")}
    assert list(tabs) == ["Taula", "Gràfic", "Mapa"]
    assert soup.select_one(".tab-list a[aria-current]").get_text(strip=True) == "Taula"  # type: ignore[union-attr]
    # Without JavaScript a tab is a link to the same page with that tab open.
    mapped = _soup(site_client, tabs["Mapa"].removeprefix(PAGE).split("#")[0])
    assert _active(mapped) == ["panel-map"]
    assert mapped.select_one("#panel-map #map[data-src]") is not None
    charted = _soup(site_client, tabs["Gràfic"].removeprefix(PAGE).split("#")[0])
    assert _active(charted) == ["panel-chart"]
    # A chart is drawn before the reader asks, with its numbers as text.
    assert charted.select_one("#panel-chart canvas#chart") is not None
    assert len(charted.select("#panel-chart table.chart-data tbody tr")) == 8
    scripts = {str(s["src"]) for s in charted.find_all("script") if s.get("src")}
    assert {"/static/js/tabs.js", "/static/js/chart.js", "/static/js/map.js"} <= scripts


def test_the_tables_own_links_and_forms_keep_its_tab(site_client: TestClient) -> None:
    charted = _soup(site_client, "?chart_by=Nom_districte&chart_metric=count")
    assert _active(charted) == ["panel-chart"]  # the chart form sends no tab: it opens on the chart
    assert "tab=table" in str(charted.select_one("nav.pager a[rel=next]")["href"])  # type: ignore[index]
    sort_form = charted.select_one("#panel-table form.sort-form")
    assert sort_form is not None and sort_form.select_one("input[name=tab]")["value"] == "table"  # type: ignore[index]
    paged = _soup(site_client, "?chart_by=Nom_districte&chart_metric=count&tab=table&offset=25")
    assert _active(paged) == ["panel-table"]
    assert paged.select("#panel-table table.preview tbody th")[0].get_text(strip=True) == "26"


def test_a_dataset_without_a_table_has_no_data_tabs(
    client: TestClient, admin: dict[str, str], org: dict[str, Any]
) -> None:
    make_dataset(client, admin)  # a resource, no file: nothing to show
    response = client.get("/ca/dataset/estacions")
    assert response.status_code == 200
    assert "Les dades" not in response.text and "data-tabs" not in response.text
