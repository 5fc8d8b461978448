"""Charts in a real browser under the real Content-Security-Policy: victims per year across the accident
years, drawn and passing axe; the chart embedded in a page served from another origin."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from defusedxml import ElementTree as DefusedET
from playwright.sync_api import Browser, Frame, Page

from tests.web.conftest import AXE, ROOT, _free_port
from tests.web.demo_site import DemoSite
from tests.web.test_dataset_chart import victims_by_year

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "tests" / "artifacts"


def _axe(page: Page) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate(
        "async () => await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']})"
    )
    return list(result["violations"])


def _painted(target: Page | Frame) -> int:
    count: int = target.evaluate(
        """() => {
            const c = document.querySelector('#chart');
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let n = 0;
            for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
            return n;
        }"""
    )
    return count


def test_victims_per_year_across_the_accident_years_in_catalan(
    served: tuple[str, DemoSite], browser: Browser, axe_page: Page
) -> None:
    base, _site = served
    expected = victims_by_year()
    for width in (1366, 390):
        context = browser.new_context(viewport={"width": width, "height": 900}, accept_downloads=True)
        page = context.new_page()
        page.goto(f"{base}/ca/dataset/accidents-gu-bcn")
        page.get_by_role("link", name="Representa les 3 taules juntes").click()
        page.wait_for_url("**/ca/dataset/accidents-gu-bcn/chart?**")
        page.select_option("#chart-metric", label="Suma de Número de víctimes")
        page.get_by_role("button", name="Dibuixa el gràfic").click()
        page.wait_for_selector("#chart[data-drawn]", timeout=15_000)
        assert page.get_attribute("#chart", "data-drawn") == "3"
        assert page.locator("#chart-name").inner_text() == "Víctimes per any"
        page.locator("details summary").first.click()
        rows = page.locator("table.chart-data tbody tr").all_inner_texts()
        shown = {r.split("\t")[0]: int(r.split("\t")[1].replace(".", "")) for r in rows}
        assert shown == expected
        assert _painted(page) > 1000
        width_used = page.evaluate("document.documentElement.scrollWidth")
        assert width_used <= width, f"horizontal scroll at {width}px"
        with page.expect_download() as png:
            page.get_by_role("button", name="Desa el gràfic com a imatge (PNG)").click()
        assert png.value.suggested_filename == "chart.png"
        if width > 1000:
            # The vector image and the spreadsheet CSV, drawn on the server from the same numbers.
            with page.expect_download() as svg:
                page.get_by_role("link", name="El gràfic com a imatge (SVG)").click()
            assert svg.value.suggested_filename == "accidents-gu-bcn-chart.svg"
            root = DefusedET.parse(svg.value.path()).getroot()
            assert root.findtext("{http://www.w3.org/2000/svg}title") == "Víctimes per any"
            with page.expect_download() as sheet:
                page.get_by_role("link", name="Les xifres del gràfic (CSV per a fulls de càlcul)").click()
            lines = Path(sheet.value.path()).read_bytes().decode("utf-8-sig").splitlines()
            assert lines[0] == "Any;Suma de Número de víctimes" and len(lines) == 4
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"dataset-chart-ca-{width}.png"), full_page=True)
        context.close()
    axe_page.goto(
        f"{base}/ca/dataset/accidents-gu-bcn/chart?chart_by=Any&chart_metric=sum%3AN%C3%BAmero+de+v%C3%ADctimes"
    )
    axe_page.wait_for_selector("#chart[data-drawn]", timeout=15_000)
    problems = [f"{v['id']} — {v['help']} — {[n['target'] for n in v['nodes'][:3]]}" for v in _axe(axe_page)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lang", ["es", "en"])
def test_a_line_chart_with_series_passes_axe(served: tuple[str, DemoSite], axe_page: Page, lang: str) -> None:
    base, _site = served
    axe_page.goto(
        f"{base}/{lang}/dataset/accidents-gu-bcn/chart?chart_by=Any%2BMes+de+any&chart_metric=count"
        "&chart_series=Nom+districte"
    )
    axe_page.wait_for_selector("#chart[data-drawn]", timeout=15_000)
    assert axe_page.get_attribute("#chart", "data-series") == "9"
    problems = [f"{v['id']} — {v['help']}" for v in _axe(axe_page)]
    assert not problems, "\n".join(problems)


def test_a_table_chart_of_several_series_fits_a_phone(served: tuple[str, DemoSite], browser: Browser) -> None:
    base, site = served
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(
        f"{base}/ca{site.accidents2018}?chart_by=Nom_districte&chart_metric=count&chart_series=Descripcio_torn"
    )
    page.wait_for_selector("#chart[data-drawn]", timeout=15_000)
    assert page.get_attribute("#chart", "data-series") == "3"  # matí, tarda, nit
    header = page.locator("table.chart-data thead th").all_text_contents()
    assert header[0] == "Nom districte" and len(header) == 4
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert _painted(page) > 1000
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("section[aria-labelledby=chart-title]").screenshot(
        path=str(ARTIFACTS / "resource-chart-series-ca-390.png")
    )
    context.close()


@pytest.fixture
def other_origin(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A tiny web server on another port: another origin, as a newspaper's page would be."""
    port = _free_port()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{port}", tmp_path
    server.shutdown()
    thread.join(timeout=5)


def test_a_chart_embedded_in_a_page_of_another_origin(
    served: tuple[str, DemoSite], page: Page, other_origin: tuple[str, Path]
) -> None:
    base, _site = served
    page.goto(
        f"{base}/ca/dataset/accidents-gu-bcn/chart?chart_by=Any&chart_metric=sum%3AN%C3%BAmero+de+v%C3%ADctimes"
    )
    code = page.locator("#chart-embed-code").input_value()
    assert code.startswith(f'<iframe src="{base}/ca/dataset/accidents-gu-bcn/chart/embed?')
    origin, folder = other_origin
    (folder / "index.html").write_text(
        '<!doctype html><html lang="ca"><head><meta charset="utf-8"><title>Diari del barri</title></head>'
        f"<body><h1>Notícia</h1>{code}</body></html>",
        encoding="utf-8",
    )
    page.goto(f"{origin}/index.html")
    frame = page.frame_locator("iframe")
    frame.locator("#chart[data-drawn]").wait_for(timeout=15_000)
    assert frame.locator("#chart").get_attribute("data-drawn") == "3"
    assert frame.locator("table.chart-data tbody tr").count() == 3
    inner = next(f for f in page.frames if f.url.startswith(base))
    assert _painted(inner) > 1000
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chart-embedded-other-origin.png"), full_page=True)
