"""Forgiving search in a real browser: "did you mean" on a misspelt search, the empty-results page that
helps, and suggestions in the search box, under axe's WCAG 2.1 AA rules. In full in Catalan, on a phone
and a desktop; a lighter pass in Spanish and English."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, Page

from tests.web.conftest import AXE
from tests.web.demo_site import DemoSite

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


def _violations(page: Page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate(
        """async () => await axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}
        })"""
    )
    assert len(result["passes"]) > 10  # axe really checked the page
    return [f"{v['id']}: {v['help']} {[n['target'] for n in v['nodes'][:3]]}" for v in result["violations"]]


def _search(page: Page, base: str, lang: str, q: str) -> None:
    page.goto(f"{base}/{lang}/datasets?q={quote(q)}")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_catalan_did_you_mean_and_empty_results(
    served: tuple[str, DemoSite], browser: Browser, viewport: dict[str, int]
) -> None:
    base, _site = served
    context = browser.new_context(viewport=viewport, bypass_csp=True)  # axe is injected inline
    page = context.new_page()
    try:
        _search(page, base, "ca", "acidents")
        notice = page.locator("#respelt")
        assert "Res no coincideix amb «acidents»" in notice.inner_text()
        assert "Volíeu dir" in notice.inner_text()
        assert page.locator("#results-heading").inner_text() == "2 conjunts de dades"
        assert all("Accidents" in t for t in page.locator(".cards h3").all_inner_texts())
        assert _violations(page) == []
        notice.get_by_role("link", name="accidents").click()
        page.wait_for_url("**/ca/datasets?q=accidents*")
        assert page.locator("#respelt").count() == 0
        assert page.locator("#results-heading").inner_text() == "2 conjunts de dades"

        _search(page, base, "ca", "bicis")
        assert page.locator("#respelt a").inner_text() == "bicing"
        assert page.locator(".cards h3").first.inner_text() == "Estacions del servei Bicing"

        _search(page, base, "ca", "xyzzy plugh")
        assert page.locator("#results-heading").inner_text() == "0 conjunts de dades"
        help_block = page.locator(".no-results")
        assert help_block.get_by_role("heading", name="Maneres de trobar-hi alguna cosa").is_visible()
        assert "Reviseu l'ortografia" in help_block.inner_text()
        fewer = help_block.locator("li:has-text('Proveu amb menys paraules') a").all_inner_texts()
        assert sorted(fewer) == ["plugh", "xyzzy"]
        assert help_block.get_by_role("heading", name="Explora per tema").is_visible()
        assert help_block.get_by_role("link", name="Tots els publicadors").is_visible()
        assert _violations(page) == []
        help_block.get_by_role("link", name="Transport").click()
        page.wait_for_url("**/ca/theme/TRAN")
        assert "Bicing" in page.locator("main").inner_text()
    finally:
        context.close()


def test_suggestions_appear_while_typing_and_search_works_without_javascript(
    served: tuple[str, DemoSite], browser: Browser
) -> None:
    base, _site = served
    context = browser.new_context(viewport=PHONE)  # the real Content-Security-Policy
    page = context.new_page()
    try:
        page.goto(f"{base}/ca/")
        box = page.locator("#home-q")
        box.press_sequentially("accid", delay=30)
        listed = page.locator(f"datalist#{box.get_attribute('list')} option")
        listed.first.wait_for(state="attached", timeout=10_000)
        values = [listed.nth(i).get_attribute("value") for i in range(listed.count())]
        assert "accidents" in values
        assert any(v and v.startswith("Accidents gestionats") for v in values)
        box.press("Enter")
        page.wait_for_url("**/ca/datasets?q=accid*")
        assert page.locator("#results-heading").inner_text() == "2 conjunts de dades"
        # The search page's box (the only one there) gets suggestions too.
        assert page.locator("input[name=q]").count() == 1
        assert page.locator("#q").evaluate("(box) => box.list && box.list.tagName") == "DATALIST"
    finally:
        context.close()
    plain = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = plain.new_page()
    try:
        page.goto(f"{base}/ca/")
        assert page.locator("#home-q").get_attribute("list") is None
        page.fill("#home-q", "acidents")
        page.press("#home-q", "Enter")
        page.wait_for_url("**/ca/datasets?q=acidents")
        assert page.locator("#respelt a").inner_text() == "accidents"
    finally:
        plain.close()


@pytest.mark.parametrize(
    ("lang", "typed", "did_you_mean", "empty_heading"),
    [
        ("es", "acidentes Gracia", "Quizás quisiste decir", "Formas de encontrar algo"),
        ("en", "neighborhoods", "Did you mean", "Ways to find something"),
    ],
)
def test_spanish_and_english_pass_lighter(
    served: tuple[str, DemoSite], axe_page: Page, lang: str, typed: str, did_you_mean: str, empty_heading: str
) -> None:
    base, _site = served
    page = axe_page
    _search(page, base, lang, typed)
    assert did_you_mean in page.locator("#respelt").inner_text()
    assert _violations(page) == []
    _search(page, base, lang, "xyzzy plugh")
    assert page.get_by_role("heading", name=empty_heading).is_visible()
    assert _violations(page) == []
