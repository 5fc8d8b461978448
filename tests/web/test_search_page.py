"""The /datasets page: search box, facet sidebar as a plain GET form, removable filters, sort, pages."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from obert.portal import Portal
from tests.demo_copy import ensure_demo


@pytest.fixture
def demo_client(client: TestClient, portal: Portal) -> TestClient:
    ensure_demo(portal)
    return client


@pytest.mark.demo
def test_search_page_shows_results_and_facets(demo_client: TestClient) -> None:
    html = demo_client.get("/ca/datasets", params={"q": "accidents"}).text
    assert "2 conjunts de dades" in html
    assert 'value="accidents"' in html  # the box keeps what was typed
    assert "Accidents gestionats per la Guàrdia Urbana" in html
    assert "Qualitat de l" not in html
    # Facets are checkboxes of the same GET form, with their counts.
    assert re.search(r'<input type="checkbox" id="facet-theme-\d+" name="theme" value="TRAN">', html)
    assert re.search(r"Transport\s*<span class=\"count\">\(2\)</span>", html)


@pytest.mark.demo
def test_ticked_filters_are_checked_and_removable(demo_client: TestClient) -> None:
    html = demo_client.get("/en/datasets", params=[("theme", "ENVI"), ("q", "")]).text
    assert "2 datasets" in html
    assert re.search(r'name="theme" value="ENVI" checked>', html)
    removal = re.search(r'<a class="badge" href="/en/datasets\?([^"]*)">Environment', html)
    assert removal is not None and "ENVI" not in removal.group(1)
    everything = demo_client.get("/en/datasets?" + removal.group(1).replace("&amp;", "&")).text
    assert "10 datasets" in everything


@pytest.mark.demo
def test_sort_and_pages(demo_client: TestClient) -> None:
    page = demo_client.get("/en/datasets", params={"sort": "name", "limit": 4}).text
    assert '<option value="name" selected>' in page
    following = re.search(r'<a rel="next" href="([^"]+)"', page)
    assert following is not None
    second = demo_client.get(following.group(1).replace("&amp;", "&")).text
    assert '<a rel="prev"' in second
    assert "20170706-districtes-barris" in page and "20170706-districtes-barris" not in second


@pytest.mark.demo
def test_bad_search_addresses_get_an_error_page_not_a_crash(demo_client: TestClient) -> None:
    response = demo_client.get("/en/datasets", params={"colour": "red"})
    assert response.status_code == 422
    assert "text/html" in response.headers["content-type"]
    assert demo_client.get("/en/datasets", params={"q": 'NEAR("aire*'}).status_code == 200
