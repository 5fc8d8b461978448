"""Every page of the residents' site, in each language, over HTTP against the demo catalogue."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import dataset_payload
from tests.demo_copy import DemoTemplates
from tests.web.demo_site import DemoSite, build_demo_site

LANGS = ("ca", "es", "en")
STATIC = Path(__file__).parents[2] / "obert" / "web" / "static"

# Text each page must show in each language (interface text and translated metadata).
KEY_TEXT = {
    "home": {"ca": "Explora per tema", "es": "Explorar por tema", "en": "Browse by theme"},
    "dataset": {
        "ca": "Estacions del servei Bicing",
        "es": "Estaciones del servicio Bicing",
        "en": "Bicing stations",
    },
    "map": {
        "ca": "Els primers 50 de 465 elements",
        "es": "Los primeros 50 de 465 elementos",
        "en": "The first 50 of 465 features",
    },
    "table": {"ca": "Previsualització de la taula", "es": "Vista previa de la tabla", "en": "Table preview"},
    "publisher": {"ca": "Conjunts de dades", "es": "Conjuntos de datos", "en": "Datasets"},
    "publishers": {"ca": "Publicadors", "es": "Publicadores", "en": "Publishers"},
    "theme": {"ca": "Transport", "es": "Transporte", "en": "Transport"},
    "about": {
        "ca": "Declaració d'accessibilitat",
        "es": "Declaración de accesibilidad",
        "en": "Accessibility statement",
    },
    "features": {"ca": "<h1>Elements de ", "es": "<h1>Elementos de ", "en": "<h1>Features of "},
    "queryables": {
        "ca": "<h1>Camps filtrables: ",
        "es": "<h1>Campos filtrables: ",
        "en": "<h1>Queryables: ",
    },
    "error": {
        "ca": "No s'ha trobat la pàgina",
        "es": "No se ha encontrado la página",
        "en": "Page not found",
    },
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, demo_templates: DemoTemplates) -> Iterator[DemoSite]:
    demo = build_demo_site(tmp_path_factory.mktemp("site"), templates=demo_templates)
    yield demo
    demo.portal.close()


@pytest.fixture(scope="module")
def site_client(site: DemoSite) -> TestClient:
    return TestClient(site.app)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", list(KEY_TEXT))
def test_each_page_in_each_language(site_client: TestClient, site: DemoSite, name: str, lang: str) -> None:
    response = site_client.get(f"/{lang}{site.pages()[name]}")
    assert response.status_code == (404 if name == "error" else 200)
    html = response.text
    assert f'<html lang="{lang}">' in html
    assert KEY_TEXT[name][lang] in html.replace("&#39;", "'")
    # The content security policy allows no inline code or styles: scripts only from files (JSON-LD and
    # a chart's JSON are data blocks, which no browser runs), no event-handler attributes, no style
    # attributes.
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag or re.search(r'type="application/(ld\+)?json"', tag), tag
    assert not re.search(r"\son[a-z]+\s*=", html)
    assert not re.search(r"\sstyle\s*=", html)
    assert "<style" not in html
    # One h1, then headings that never skip a level.
    levels = [int(n) for n in re.findall(r"<h([1-6])\b", html)]
    assert levels.count(1) == 1 and levels[0] == 1, levels
    assert all(b - a <= 1 for a, b in itertools.pairwise(levels)), levels


def test_javascript_is_loaded_only_where_needed(site_client: TestClient, site: DemoSite) -> None:
    for name, path in site.pages().items():
        html = site_client.get(f"/en{path}").text
        scripts = re.findall(r'<script src="([^"]+)"', html)
        size = sum((STATIC / src.removeprefix("/static/")).stat().st_size for src in scripts)
        if name == "dataset":
            # The dataset page shows its table's data: a chart drawn at once and a map, behind tabs.
            assert {"/static/js/tabs.js", "/static/js/chart.js", "/static/js/map.js"} <= set(scripts)
            assert "leaflet.css" in html
        elif name in ("map", "table", "features"):
            assert "/static/vendor/leaflet/leaflet.js" in scripts
            assert "leaflet.css" in html
            assert not any("chart" in s for s in scripts), (name, scripts)
        else:
            assert not any("leaflet" in s or "chart" in s for s in scripts), (name, scripts)
            assert size <= 100_000, (name, size)
    # The home page's one script offers suggestions in its search box (a plain search box without it).
    home = re.findall(r"<script\b[^>]*>", site_client.get("/en/").text)
    assert home == ['<script src="/static/js/suggest.js" defer>']


def test_home_links_themes_with_counts_and_search(site_client: TestClient) -> None:
    html = site_client.get("/en/").text
    assert re.search(r'<form class="search" role="search" action="/en/datasets" method="get">', html)
    assert '<label for="home-q">Search datasets</label>' in html
    assert 'name="q"' in html
    theme = re.search(
        r'<a href="/en/theme/TRAN"><span class="theme-name">Transport</span>\s*'
        r'<span class="count">(\d+) datasets',
        html,
    )
    assert theme and int(theme.group(1)) == 3
    assert 'href="/en/organization/bsm"' in html


def test_dataset_page_says_what_how_fresh_and_how_to_get_it(site_client: TestClient, site: DemoSite) -> None:
    html = site_client.get("/en/dataset/accidents-gu-bcn").text
    assert "Expected: annual" in html
    assert re.search(r"<time datetime=\"20\d\d-", html)
    assert '<a href="https://creativecommons.org/licenses/by/4.0/">' in html
    assert html.count('class="button" href="/dataset/accidents-gu-bcn/resource/') == 3
    assert "curl -s &#39;http://testserver/api/v1/datasets/accidents-gu-bcn&#39;" in html
    for language in ("Python", "R", "JavaScript"):
        assert f"<summary>{language}</summary>" in html
    bicing = site_client.get("/ca/dataset/bicing-estacions").text
    assert "Sense calendari fix" in bicing  # continuously updated: no period to be late against


def test_resource_page_has_download_code_and_feature_table(site_client: TestClient, site: DemoSite) -> None:
    html = site_client.get(f"/en{site.barris}").text
    assert "The first 50 of 73 features (MultiPolygon, Polygon)" in html
    assert 'data-src="/dataset/20170706-districtes-barris/resource/' in html
    assert 'role="region" aria-label="Map of' in html
    download = re.search(r'<a class="button big" href="([^"]+)" download>', html)
    assert download
    response = site_client.get(download.group(1))
    assert response.status_code == 200
    assert response.json()["type"] == "FeatureCollection"
    csv = site_client.get(f"/es{site.csv}").text
    assert "pd.read_csv(" in csv
    # A table with longitude/latitude is mapped from the datastore, not from its file.
    assert re.search(r'<div id="map"[^>]+data-src="/api/v1/datastore/[^/"]+/features"', csv)
    plain = site_client.get(f"/es{site.plain}").text
    assert "preview-title" in plain and 'id="map"' not in plain and "leaflet" not in plain


def test_resource_of_another_dataset_is_not_found(site_client: TestClient, site: DemoSite) -> None:
    resource_id = site.bicing.rsplit("/", 1)[1]
    response = site_client.get(f"/en/dataset/mercats-municipals/resource/{resource_id}")
    assert response.status_code == 404
    assert "no resource" in response.text


def test_unknown_theme_is_a_helpful_404(site_client: TestClient) -> None:
    response = site_client.get("/es/theme/TRAFFIC")
    assert response.status_code == 404
    assert "No se ha encontrado la página" in response.text
    # The technical detail is English: it is marked so, for screen readers.
    assert '<span lang="en">no data theme &#39;TRAFFIC&#39;' in response.text
    assert 'action="/es/datasets"' in response.text


def test_language_switcher_keeps_the_page_and_its_query(site_client: TestClient) -> None:
    html = site_client.get("/ca/theme/TRAN?cursor=abc").text
    assert '<a href="/en/theme/TRAN?cursor=abc" lang="en" hreflang="en">English</a>' in html
    assert 'href="/ca/theme/TRAN?cursor=abc" lang="ca" hreflang="ca" aria-current="true"' in html


def test_numbers_and_dates_follow_the_locale(site_client: TestClient, site: DemoSite) -> None:
    assert "1,4 MB" in site_client.get("/ca/dataset/20170706-districtes-barris").text
    assert "1.4 MB" in site_client.get("/en/dataset/20170706-districtes-barris").text
    html = site_client.get("/es/dataset/accidents-gu-bcn").text
    assert re.search(r"\d+ de [a-z]+ de \d{4}", html)


def test_an_annual_dataset_modified_years_ago_is_overdue(
    client: TestClient, admin: dict[str, str], org: dict[str, Any]
) -> None:
    # modified 2019-03-15, annual: late by years; said in words and with a sign, never by colour alone.
    assert client.post("/api/v1/datasets", json=dataset_payload(), headers=admin).status_code == 201
    html = client.get("/en/dataset/accidents-2018").text
    assert "Update overdue" in html
    assert '<time datetime="2019-03-15T10:00:00+00:00">March 15, 2019</time>' in html
    assert "years ago" in html


def test_keywords_in_another_language_are_marked(
    client: TestClient, admin: dict[str, str], org: dict[str, Any]
) -> None:
    payload = dataset_payload(keywords={"ca": ["trànsit", "accidents"]}, modified=None)
    assert client.post("/api/v1/datasets", json=payload, headers=admin).status_code == 201
    html = client.get("/en/dataset/accidents-2018").text
    assert '<ul class="tags" lang="ca"><li>trànsit</li><li>accidents</li></ul>' in html
    # Without a modification date, freshness falls back to the publication date.
    assert '<time datetime="2019-03-01T00:00:00+00:00">March 1, 2019</time>' in html
