"""The search page in a real browser with JavaScript off: type, tick a facet, sort, remove the filter."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from tests.web.demo_site import DemoSite

pytestmark = pytest.mark.browser


def test_search_and_facets_work_without_javascript(served: tuple[str, DemoSite], browser: Browser) -> None:
    server, _site = served
    # The shared browser of tests/web/conftest.py: Playwright allows one running instance per process.
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{server}/en/datasets")
    assert page.locator("#results-heading").inner_text() == "10 datasets"
    page.fill("#q", "air quality")
    page.click(".search-box button")
    assert page.locator("#results-heading").inner_text() == "2 datasets"
    page.goto(f"{server}/en/datasets")
    page.check("input[name=publisher][value=guardia-urbana]")
    page.select_option("#sort", "name")
    page.click(".facets button")
    assert page.locator("#results-heading").inner_text() == "2 datasets"
    assert page.locator("input[name=publisher][value=guardia-urbana]").is_checked()
    titles = page.locator(".cards h3").all_inner_texts()
    assert all("Accidents" in t for t in titles)
    page.click(".chosen a")  # remove the publisher filter
    assert page.locator("#results-heading").inner_text() == "10 datasets"
    context.close()
