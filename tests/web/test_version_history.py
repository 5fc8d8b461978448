"""A table's version history and the comparison of two versions on its resource page, without JavaScript,
over the air-quality pollutants table of Open Data BCN and two later versions of it."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from playwright.sync_api import Browser

from obert.demo import FILES
from obert.tableservice import history
from tests.api.datastore_helpers import make_dataset, portal_of, run_jobs, upload

AXE = Path(__file__).parents[2] / "node_modules" / "axe-core" / "axe.min.js"
POLLUTANTS = FILES / "qualitat_aire_contaminants.csv"  # 21 pollutants, one per code
PAGE = "/{lang}/dataset/contaminants/resource/contaminants-taula"
TITLES = {"ca": "Historial de versions", "es": "Historial de versiones", "en": "Version history"}
STATES = {
    "ca": ["publicada", "substituïda"],
    "es": ["publicada", "sustituida"],
    "en": ["published", "superseded"],
}


@pytest.fixture
def versions(client: TestClient, admin: dict[str, str], org: dict[str, Any], tmp_path: Path) -> TestClient:
    """Version 1: the city's file. Version 2: two pollutants gone, one unit corrected, one pollutant
    new. Version 3 (held back): the units column dropped."""
    make_dataset(client, admin, "contaminants")
    portal = portal_of(client)
    upload(client, admin, "contaminants-taula", POLLUTANTS)
    lines = POLLUTANTS.read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if not line.startswith(("996,", "997,"))]
    kept = [line.replace("6,CO,mg/m³", "6,CO,µg/m³") for line in kept] + ["23,Benzè,µg/m³"]
    second = tmp_path / "contaminants.csv"
    second.write_text("\n".join(kept) + "\n", encoding="utf-8")
    third = tmp_path / "sense-unitats.csv"
    third.write_text("\n".join(line.rsplit(",", 1)[0] for line in kept) + "\n", encoding="utf-8")
    for path in (second, third):
        assert run_jobs(portal) == 1
        upload(client, admin, "contaminants-taula", path)
    assert run_jobs(portal) == 1
    return client


def _soup(client: TestClient, lang: str, status: int = 200, **kwargs: Any) -> BeautifulSoup:
    response = client.get(PAGE.format(lang=lang), **kwargs)
    assert response.status_code == status, response.text
    return BeautifulSoup(response.text, "html.parser")


def _history(soup: BeautifulSoup) -> list[list[str]]:
    table = soup.find(id="history-caption").find_parent("table")  # type: ignore[union-attr]
    assert all(th["scope"] == "col" for th in table.select("thead th"))
    return [
        [c.get_text(" ", strip=True) for c in tr.find_all(["th", "td"])] for tr in table.select("tbody tr")
    ]


@pytest.mark.parametrize("lang", ["ca", "es", "en"])
def test_the_history_lists_published_versions_to_everyone(versions: TestClient, lang: str) -> None:
    soup = _soup(versions, lang)
    assert soup.find(id="history-title").get_text() == TITLES[lang]  # type: ignore[union-attr]
    rows = _history(soup)
    assert [r[0] for r in rows] == ["2", "1"]  # the held version 3 is for editors only
    assert [r[3] for r in rows] == ["20", "21"] and [r[4] for r in rows] == ["3", "3"]
    assert [r[5] for r in rows] == STATES[lang]
    assert all(r[2] == "admin" for r in rows)
    # Every form field has its label.
    for field in soup.select("form select"):
        assert soup.find("label", attrs={"for": field["id"]}) is not None


def test_editors_also_see_the_held_version_and_why(versions: TestClient, admin: dict[str, str]) -> None:
    rows = _history(_soup(versions, "en", headers=admin))
    assert [r[0] for r in rows] == ["3", "2", "1"]
    assert rows[0][5] == "held back (column changes to accept)"
    assert rows[0][6] == "Unitats removed"


def test_comparing_two_versions_shows_rows_and_columns_changed(versions: TestClient) -> None:
    params = {"diff_from": "1", "diff_to": "2", "diff_key": "Codi_Contaminant"}
    soup = _soup(versions, "en", params=params)
    result = soup.find(id="diff-result-title").find_parent("section")  # type: ignore[union-attr]
    facts = dict(
        zip(
            [dt.get_text(strip=True) for dt in result.select("dt")],
            [dd.get_text(" ", strip=True) for dd in result.select("dd")],
            strict=True,
        )
    )
    assert facts["Rows added"] == "1" and facts["Rows removed"] == "2" and facts["Rows changed"] == "1"
    assert facts["Columns removed"] == "—"
    added = result.find(id="diff-added").find_parent("table")  # type: ignore[union-attr]
    assert "Benzè" in added.get_text()
    removed = result.find(id="diff-removed").find_parent("table")  # type: ignore[union-attr]
    assert "Flow 2 (Mesura interna equip)" in removed.get_text()
    changed = result.find(id="diff-changed").find_parent("table")  # type: ignore[union-attr]
    cells = [td.get_text(strip=True) for td in changed.select("tbody tr")[0].find_all(["th", "td"])]
    assert cells == ["6", "Unitats", "mg/m³", "µg/m³"]
    # The form remembers what was asked.
    assert soup.select_one("#diff-key option[selected]")["value"] == "Codi_Contaminant"  # type: ignore[index]

    # Without a key, a changed row is one removed and one added, and the page says how to count them.
    plain = _soup(versions, "ca", params={"diff_from": "1", "diff_to": "2"})
    text = plain.find(id="diff-result-title").find_parent("section").get_text(" ")  # type: ignore[union-attr]
    assert "trieu una columna clau" in text.lower()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"diff_from": "abc", "diff_to": "2"}, "Choose versions from the list"),
        ({"diff_from": "3", "diff_to": "2"}, "Choose versions from the list"),  # held: not comparable
        ({"diff_from": "2", "diff_to": "2"}, "Choose two different versions"),
        ({"diff_from": "1", "diff_to": "2", "diff_key": "nope"}, "The key column must be"),
    ],
)
def test_a_comparison_that_cannot_be_made_says_why(
    versions: TestClient, params: dict[str, str], message: str
) -> None:
    soup = _soup(versions, "en", status=422, params=params)
    alert = soup.select_one("#history-title ~ [role=alert]")
    assert alert is not None and message in alert.get_text()
    assert soup.find(id="diff-result-title") is None


@pytest.mark.browser
def test_the_comparison_form_works_without_javascript_and_passes_axe(
    versions: TestClient, database_url: str, browser: Browser
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("one backend is enough for a browser walk-through")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(versions.app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}" + PAGE.format(lang="es")
    plain = browser.new_context(java_script_enabled=False)
    audited = browser.new_context(bypass_csp=True)  # axe is injected as a script the CSP would block
    try:
        page = plain.new_page()
        page.goto(url)
        page.select_option("#diff-from", "1")
        page.select_option("#diff-to", "2")
        page.select_option("#diff-key", "Codi_Contaminant")
        page.get_by_role("button", name="Comparar", exact=True).click()
        page.wait_for_selector("#diff-result-title")
        assert "diff_key=Codi_Contaminant" in page.url
        facts = page.inner_text("#diff-result-title + dl")
        assert "Filas cambiadas" in facts and "Benzè" in page.inner_text("table:has(#diff-added)")
        check = audited.new_page()
        check.goto(page.url)
        check.add_script_tag(path=str(AXE))
        result = check.evaluate(
            """async () => await axe.run(document, {runOnly: {type: 'tag',
                values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"""
        )
        problems = [f"{v['id']}: {[n['target'] for n in v['nodes'][:3]]}" for v in result["violations"]]
        assert not problems, problems
    finally:
        plain.close()
        audited.close()
        server.should_exit = True
        thread.join(timeout=5)


def test_the_page_lists_the_versions_without_loading_its_resource_again(
    versions: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded: list[str] = []
    get_resource = history.get_resource

    def counting(**kwargs: Any) -> Any:
        loaded.append(kwargs["ref"])
        return get_resource(**kwargs)

    monkeypatch.setattr(history, "get_resource", counting)
    soup = BeautifulSoup(versions.get(PAGE.format(lang="en")).text, "html.parser")
    assert "Version history" in soup.get_text()
    assert loaded == []  # the page hands over the dataset and resource it loaded for the same reader
    # The API still finds the resource by its name, for the same list.
    listed = versions.get("/api/v1/datastore/contaminants-taula/versions")
    assert listed.status_code == 200 and loaded
