"""The SPARQL query page in a real browser: with JavaScript off and the keyboard alone a reader picks an
example, runs it and reads the answer; axe-core finds no WCAG 2.1 AA violation in any language, with an
answer or a refusal on the page."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Browser, Page

from obert.sparql import EXAMPLES
from tests.web.demo_site import DemoSite
from tests.web.test_browser import LANGS, _axe

pytestmark = pytest.mark.browser


@pytest.fixture
def no_script(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    yield context.new_page()
    context.close()


def _tab_to(page: Page, selector: str, limit: int = 80) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => document.activeElement.matches({selector!r})"):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_an_example_run_with_the_keyboard_alone_and_no_javascript(
    served: tuple[str, DemoSite], no_script: Page
) -> None:
    base, _site = served
    page = no_script
    page.goto(f"{base}/en/sparql/editor")
    example = EXAMPLES[1]  # distributions per format
    _tab_to(page, f"a[href$='example={example.key}']")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert page.input_value("#query") == example.query
    _tab_to(page, "form.sparql button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector("#answer")
    assert page.locator("main table th").all_inner_texts() == ["format", "distributions"]
    assert page.locator("main table tbody tr").count() >= 3
    # The query is kept in the form, to change and run again.
    assert page.input_value("#query") == example.query


@pytest.mark.parametrize("lang", LANGS)
def test_axe_finds_no_violations_on_the_query_page(
    served: tuple[str, DemoSite], axe_page: Page, lang: str
) -> None:
    base, _site = served
    problems = []
    for state, query in (
        ("page", None),
        ("answer", EXAMPLES[0].query),
        ("graph", next(e.query for e in EXAMPLES if "CONSTRUCT" in e.query)),
        ("refusal", "SELECT * { ?s ?p }"),
    ):
        url = f"{base}/{lang}/sparql/editor"
        axe_page.goto(url if query is None else f"{url}?{urlencode({'query': query})}")
        for violation in _axe(axe_page):
            targets = [node["target"] for node in violation["nodes"][:3]]
            problems.append(f"{state} ({lang}): {violation['id']} — {violation['help']} — {targets}")
    assert not problems, "\n".join(problems)
