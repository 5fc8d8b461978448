"""The table preview's HTML is kept by the process under its version's id and what was asked of it: a
second view renders nothing again, and nothing that changes what a reader may see (a new version, small
counts hidden later, a held version, a dataset withdrawn or made private) is ever answered from it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from markupsafe import Markup

from obert.demo import FILES
from obert.storage.tables.datastore import resource_versions
from obert.tableservice import published
from obert.tableservice.versions import HELD, READY
from obert.web import templating
from tests.api.datastore_helpers import make_dataset, portal_of, run_jobs, upload

STATIONS = FILES / "qualitat_aire_estacions.csv"  # 55 stations
OTHER_COLUMNS = FILES / "taula_dimensions_padro.csv"
RESOURCE_PAGE = "/en/dataset/estacions/resource/estacions-taula"
DATASET_PAGE = "/en/dataset/estacions"
PREVIEW, CHARTS, PROFILE = "resource/_preview.html", "resource/_charts.html", "resource/_profile.html"


@pytest.fixture(autouse=True)
def no_kept_fragments() -> Iterator[None]:
    templating._fragments.clear()
    yield
    templating._fragments.clear()


@pytest.fixture
def table(client: TestClient, admin: dict[str, str], org: dict[str, Any]) -> TestClient:
    make_dataset(client, admin)
    upload(client, admin, "estacions-taula", STATIONS)
    assert run_jobs(portal_of(client)) == 1
    return client


def _preview_rows(html: str) -> list[list[str]]:
    body = BeautifulSoup(html, "html.parser").select_one("table.preview tbody")
    assert body is not None
    return [[c.get_text(strip=True) for c in tr.find_all(["th", "td"])] for tr in body.find_all("tr")]


def _kept(template: str) -> list[tuple[Any, ...]]:
    """The keys of the fragments of `template` kept so far."""
    return [key for key in templating._fragments if key[2] == template]


def test_a_second_view_is_answered_from_the_kept_fragment(table: TestClient) -> None:
    first = table.get(DATASET_PAGE)
    assert first.status_code == 200 and len(_preview_rows(first.text)) == 25
    assert len(_kept(PREVIEW)) == 1
    # Mark the kept HTML: the next view shows the mark, so it did not render the preview again.
    key = _kept(PREVIEW)[0]
    templating._fragments[key] = templating._fragments[key].replace("Table preview", "Kept preview")
    again = table.get(DATASET_PAGE)
    assert "Kept preview" in again.text
    # Another language, another page of rows or another tab is another fragment.
    assert "Kept preview" not in table.get(DATASET_PAGE.replace("/en/", "/ca/")).text
    assert "Kept preview" not in table.get(DATASET_PAGE, params={"offset": "25"}).text
    assert "Kept preview" not in table.get(RESOURCE_PAGE).text
    assert len(_kept(PREVIEW)) == 4


def test_the_chart_and_the_profile_are_kept_with_the_preview(
    table: TestClient, admin: dict[str, str], tmp_path: Path
) -> None:
    first = table.get(RESOURCE_PAGE).text
    assert "Draw the chart" in first and "Kept chart" not in first
    assert len(_kept(CHARTS)) == 1 and len(_kept(PROFILE)) == 1
    chart, profile = _kept(CHARTS)[0], _kept(PROFILE)[0]
    templating._fragments[chart] = templating._fragments[chart].replace("Draw the chart", "Kept chart")
    templating._fragments[profile] += Markup("<!-- kept profile -->")
    again = table.get(RESOURCE_PAGE).text
    assert "Kept chart" in again and "<!-- kept profile -->" in again
    # The dataset page draws its chart by a column at once: another query, another fragment.
    assert "Kept chart" not in table.get(DATASET_PAGE).text
    # A chart the reader asks for is another fragment.
    assert "Kept chart" not in table.get(RESOURCE_PAGE, params={"chart_by": "Nom_districte"}).text
    # A new version (the same columns, the rows in reverse) is rendered again at once.
    header, *lines = STATIONS.read_text(encoding="utf-8").splitlines()
    reversed_file = tmp_path / STATIONS.name
    reversed_file.write_text("\n".join([header, *reversed(lines)]) + "\n", encoding="utf-8")
    upload(table, admin, "estacions-taula", reversed_file)
    assert run_jobs(portal_of(table)) == 1
    after = table.get(RESOURCE_PAGE).text
    assert "Draw the chart" in after and "Kept chart" not in after and "<!-- kept profile -->" not in after


def test_the_dataset_page_reads_its_table_once(table: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    resource_id = table.get("/api/v1/resources/estacions-taula").json()["id"]
    opened: list[str] = []
    open_version = published.open_version

    def counting(**kwargs: Any) -> Any:
        opened.append(kwargs["ref"])
        return open_version(**kwargs)

    monkeypatch.setattr(published, "open_version", counting)
    page = table.get(DATASET_PAGE)
    assert page.status_code == 200
    # The chart is drawn at once by a column of a few repeated words, from the same opening of the table.
    assert BeautifulSoup(page.text, "html.parser").select_one("#panel-chart canvas#chart") is not None
    assert opened.count(resource_id) == 1


def test_a_new_version_is_shown_at_once(table: TestClient, admin: dict[str, str], tmp_path: Path) -> None:
    before = _preview_rows(table.get(RESOURCE_PAGE).text)
    # The same columns, the rows in reverse: a new version the gate does not hold.
    header, *lines = STATIONS.read_text(encoding="utf-8").splitlines()
    reversed_file = tmp_path / STATIONS.name
    reversed_file.write_text("\n".join([header, *reversed(lines)]) + "\n", encoding="utf-8")
    upload(table, admin, "estacions-taula", reversed_file)
    assert run_jobs(portal_of(table)) == 1
    after = _preview_rows(table.get(RESOURCE_PAGE).text)
    assert after != before
    assert after == _preview_rows(table.get(RESOURCE_PAGE).text)


def test_small_counts_hidden_after_a_view_are_hidden_at_once(
    table: TestClient, admin: dict[str, str]
) -> None:
    assert not any("—" in row for row in _preview_rows(table.get(RESOURCE_PAGE).text))
    protect = {"statistics_about_people": True, "min_count": 10, "count_columns": ["Estacio"]}
    assert table.patch("/api/v1/datastore/estacions-taula", json=protect, headers=admin).status_code == 200
    assert any("—" in row for row in _preview_rows(table.get(RESOURCE_PAGE).text))


def test_a_held_withdrawn_or_private_table_is_never_served_from_the_kept_fragment(
    table: TestClient, admin: dict[str, str]
) -> None:
    shown = _preview_rows(table.get(RESOURCE_PAGE).text)
    assert "Table preview" in table.get(DATASET_PAGE).text
    # A file with other columns: the gate holds its version for a publisher's word; the page keeps
    # showing the version it served.
    upload(table, admin, "estacions-taula", OTHER_COLUMNS)
    assert run_jobs(portal_of(table)) == 1
    with portal_of(table).store.read() as conn:
        states = conn.execute(sa.select(resource_versions.c.number, resource_versions.c.state)).all()
    assert sorted(states) == [(1, READY), (2, HELD)]
    assert _preview_rows(table.get(RESOURCE_PAGE).text) == shown
    assert "Rows of version 2" not in table.get(DATASET_PAGE).text

    private = table.patch(
        "/api/v1/datasets/estacions",
        json={"visibility": "private"},
        headers={**admin, "Content-Type": "application/merge-patch+json"},
    )
    assert private.status_code == 200, private.text
    assert table.get(DATASET_PAGE).status_code == 404
    assert table.get(RESOURCE_PAGE).status_code == 404
    assert "Table preview" in table.get(DATASET_PAGE, headers=admin).text  # its editors still see it

    public = table.patch(
        "/api/v1/datasets/estacions",
        json={"visibility": "public"},
        headers={**admin, "Content-Type": "application/merge-patch+json"},
    )
    assert public.status_code == 200, public.text
    withdrawn = table.post(
        "/api/v1/datasets/estacions/transitions", json={"action": "withdraw"}, headers=admin
    )
    assert withdrawn.status_code == 200, withdrawn.text
    for page in (DATASET_PAGE, RESOURCE_PAGE):
        answer = table.get(page)
        assert answer.status_code == 404 or "Table preview" not in answer.text
