"""Residents' journeys (find → open → read) on a 390×844 phone and a 1366×900 desktop, in full in Catalan
and lighter in Spanish and English, with axe-core's WCAG 2.1 AA rules at every step."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from tests.web.demo_site import DemoSite
from tests.web.test_browser import ARTIFACTS, _axe, _wait_for_map

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
WORDS = {
    "ca": {"menu": "Menú", "query": "qualitat aire estacions", "map": "Mapa", "chart": "Gràfic",
           "sort": "Ordena"},
    "es": {"menu": "Menú", "query": "calidad aire estaciones", "map": "Mapa", "chart": "Gráfico",
           "sort": "Ordenar"},
    "en": {"menu": "Menu", "query": "air quality stations", "map": "Map", "chart": "Chart", "sort": "Sort"},
}  # fmt: skip
DATASET = "qualitat-aire-estacions-bcn"


@pytest.fixture
def open_page(browser: Browser) -> Iterator[object]:
    contexts = []

    def opened(viewport: dict[str, int]) -> Page:
        # axe is injected inline, which the site's Content-Security-Policy rightly blocks (see conftest).
        context = browser.new_context(viewport=viewport, bypass_csp=True)  # type: ignore[arg-type]
        contexts.append(context)
        return context.new_page()

    yield opened
    for context in contexts:
        context.close()


def _clean(page: Page, step: str) -> None:
    problems = [
        f"{step}: {v['id']} — {v['help']} — {[n['target'] for n in v['nodes'][:3]]}" for v in _axe(page)
    ]
    assert not problems, "\n".join(problems)
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{step} scrolls sideways by {overflow}px"


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"journey-{name}.png"), full_page=False)


def _find(page: Page, base: str, lang: str, phone: bool) -> None:
    words = WORDS[lang]
    page.goto(f"{base}/{lang}/")
    menu = page.locator("#main-nav")
    if phone:
        # The menu is folded away behind one control and opens without a page load.
        assert not menu.is_visible()
        page.get_by_text(words["menu"], exact=True).click()
        assert menu.is_visible()
    else:
        assert menu.is_visible() and not page.locator(".menu-button").is_visible()
    _clean(page, f"home {lang}")
    _shot(page, f"home-{lang}-{page.viewport_size['width']}")  # type: ignore[index]
    assert page.locator("input[type=search]").count() == 1  # one search box a page
    page.locator("input[type=search]").fill(words["query"])
    page.keyboard.press("Enter")
    page.wait_for_url("**/datasets?q=*")
    assert page.locator("input[type=search]").count() == 1
    first = page.locator(".cards .card").first.bounding_box()
    facets = page.locator("aside.facets").bounding_box()
    assert first and facets
    filters_open = page.locator("details.facets-box").evaluate("d => d.open")
    if phone:
        # Results come before the filters, which wait in a closed disclosure.
        assert first["y"] < facets["y"] and not filters_open
    else:
        assert filters_open and first["y"] < 400
    _clean(page, f"search {lang}")
    _shot(page, f"search-{lang}-{page.viewport_size['width']}")  # type: ignore[index]


def _open_and_read(page: Page, base: str, lang: str) -> None:
    words = WORDS[lang]
    page.locator(f".cards a[href$='/dataset/{DATASET}']").first.click()
    page.wait_for_url(f"**/{lang}/dataset/{DATASET}")
    # The data is on the dataset page: a table first, a chart and a map a tab away.
    assert page.locator("table.preview tbody tr").count() == 25
    tab = page.get_by_role("tab", name=words["map"])
    assert tab.get_attribute("aria-selected") == "false"
    tab.click()
    assert tab.get_attribute("aria-selected") == "true"
    assert _wait_for_map(page) > 0
    assert page.locator("#panel-map").is_visible() and not page.locator("#panel-table table").is_visible()
    # Arrow keys move between the tabs, as ARIA tabs do.
    page.keyboard.press("ArrowLeft")
    assert page.get_by_role("tab", name=words["chart"]).get_attribute("aria-selected") == "true"
    _clean(page, f"dataset {lang}")
    _shot(page, f"dataset-{lang}-{page.viewport_size['width']}")  # type: ignore[index]
    page.keyboard.press("ArrowLeft")
    page.select_option("#sort-column", "Nom_districte")
    page.select_option("#sort-order", "desc")
    page.get_by_role("button", name=words["sort"], exact=True).click()
    page.wait_for_url("**sort=Nom_districte**")
    assert page.locator("table.preview thead th[aria-sort=descending]").count() == 1
    assert page.locator("table.preview thead a").count() == 0  # no link a column, one control
    _clean(page, f"sorted table {lang}")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390", "1366"])
def test_find_open_read_in_catalan(
    served: tuple[str, DemoSite], open_page: object, viewport: dict[str, int]
) -> None:
    base, _site = served
    page = open_page(viewport)  # type: ignore[operator]
    phone = viewport["width"] < 700
    _find(page, base, "ca", phone)
    _open_and_read(page, base, "ca")
    # The same page on a 404: the site's navigation is there and axe is content.
    page.goto(f"{base}/ca/dataset/no-such-dataset")
    assert page.locator("header.site nav").count() == 2
    _clean(page, "404 ca")


@pytest.mark.parametrize("lang", ["es", "en"])
def test_find_and_open_on_a_phone(served: tuple[str, DemoSite], open_page: object, lang: str) -> None:
    base, _site = served
    page = open_page(PHONE)  # type: ignore[operator]
    _find(page, base, lang, phone=True)
    page.locator(f".cards a[href$='/dataset/{DATASET}']").first.click()
    page.wait_for_url(f"**/{lang}/dataset/{DATASET}")
    assert page.get_by_role("tab", name=WORDS[lang]["map"]).count() == 1
    _clean(page, f"dataset {lang}")
