from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from obert.catalog import rows as catalog_rows
from tests.conftest import dataset_payload

LANG_TEXT = {"ca": "Conjunts de dades", "es": "Conjuntos de datos", "en": "Datasets"}


@pytest.fixture
def published(client: TestClient, admin: dict[str, str], org: dict[str, Any]) -> dict[str, Any]:
    payload = dataset_payload(
        title={"ca": "Accidents de trànsit", "en": "Traffic accidents"},
        resources=[
            {
                "name": "acc-csv",
                "format": "CSV",
                "title": {"ca": "Fitxer"},
                "download_url": "https://example.org/a.csv",
            }
        ],
    )
    response = client.post("/api/v1/datasets", json=payload, headers=admin)
    assert response.status_code == 201
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize("lang", ["ca", "es", "en"])
@pytest.mark.parametrize(
    "page", ["/", "/datasets", "/dataset/accidents-2018", "/organizations", "/organization/guardia-urbana"]
)
def test_pages_render_in_each_language(
    client: TestClient, published: dict[str, Any], lang: str, page: str
) -> None:
    response = client.get(f"/{lang}{page}")
    assert response.status_code == 200, response.text
    html = response.text
    assert f'<html lang="{lang}">' in html
    assert LANG_TEXT[lang] in html
    assert response.headers["content-language"] == lang
    assert 'class="skip" href="#main"' in html
    assert re.search(r"<main id=\"main\"", html)


def test_dataset_page_shows_metadata_and_marks_fallback_language(
    client: TestClient, published: dict[str, Any]
) -> None:
    html = client.get("/es/dataset/accidents-2018").text
    # No Spanish title was given: the Catalan one is shown and marked as Catalan for screen readers.
    assert '<h1 lang="ca">Accidents de trànsit</h1>' in html
    assert "Transporte" in html  # EU theme label in Spanish
    assert 'href="https://example.org/a.csv"' in html
    assert "31 de diciembre de 2018" in html


def test_language_is_negotiated_without_a_prefix(client: TestClient, published: dict[str, Any]) -> None:
    html = client.get("/datasets", headers={"Accept-Language": "es-ES,es;q=0.9,en;q=0.5"}).text
    assert '<html lang="es">' in html
    html = client.get("/datasets", headers={"Accept-Language": "fr, en;q=0.8"}).text
    assert '<html lang="en">' in html
    assert '<html lang="ca">' in client.get("/datasets").text
    client.cookies.set("lang", "en")
    assert '<html lang="en">' in client.get("/datasets").text


def test_private_datasets_are_not_listed_on_pages(
    client: TestClient, admin: dict[str, str], org: dict[str, Any]
) -> None:
    client.post(
        "/api/v1/datasets",
        json=dataset_payload(name="private-one", visibility="private", title={"en": "Hidden thing"}),
        headers=admin,
    )
    assert "Hidden thing" not in client.get("/en/datasets").text
    assert client.get("/en/dataset/private-one").status_code == 404


@pytest.mark.parametrize("lang", ["ca", "es", "en"])
def test_errors_are_html_pages(client: TestClient, lang: str) -> None:
    response = client.get(f"/{lang}/dataset/does-not-exist")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert f'<html lang="{lang}">' in response.text
    assert client.get(f"/{lang}/no/such/page").status_code == 404


def test_api_docs_are_served_locally(client: TestClient) -> None:
    html = client.get("/api/docs/reference").text
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()


def test_the_home_page_counts_the_datasets_the_reader_may_see_without_loading_one(
    client: TestClient, admin: dict[str, str], org: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, visibility in (("open-one", "public"), ("open-two", "public"), ("private-one", "private")):
        payload = dataset_payload(name=name, visibility=visibility, title={"en": name})
        assert client.post("/api/v1/datasets", json=payload, headers=admin).status_code == 201
    loaded: list[int] = []
    datasets_from_rows = catalog_rows.datasets_from_rows

    def counting(conn: Any, found: Any) -> Any:
        loaded.append(len(found))
        return datasets_from_rows(conn, found)

    # (obert.catalog.browse reads the latest datasets as cards only: it has no way to load one whole.)
    monkeypatch.setattr("obert.catalog.datasets.datasets_from_rows", counting)
    assert ": 2 datasets from" in client.get("/en/").text
    assert ": 3 datasets from" in client.get("/en/", headers=admin).text
    assert loaded == []  # the count loads none, and the latest datasets are read as cards


def test_the_home_page_shows_anonymous_readers_no_private_draft_or_deleted_dataset(
    client: TestClient, admin: dict[str, str], org: dict[str, Any]
) -> None:
    for name, extra in (
        ("open-one", {}),
        ("private-one", {"visibility": "private"}),
        ("draft-one", {"state": "draft"}),
        ("deleted-one", {}),
    ):
        payload = dataset_payload(name=name, title={"en": f"Title of {name}"}, **extra)
        assert client.post("/api/v1/datasets", json=payload, headers=admin).status_code == 201
    assert client.delete("/api/v1/datasets/deleted-one", headers=admin).status_code == 204
    anonymous = client.get("/en/").text
    assert "Title of open-one" in anonymous
    for hidden in ("private-one", "draft-one", "deleted-one"):
        assert f"Title of {hidden}" not in anonymous
    sysadmin = client.get("/en/", headers=admin).text
    assert "Title of private-one" in sysadmin and "Title of draft-one" in sysadmin
    assert "Title of deleted-one" not in sysadmin
