"""A resident filters the 2018 accidents to Gràcia in a real browser (Debian's Chromium) and downloads what
is on screen: the CSV, the spreadsheet CSV and the XLSX hold the 464 rows; axe-core finds no violation.
In full in Catalan, lighter in Spanish and English."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page
from python_calamine import CalamineWorkbook

from tests.web.conftest import AXE
from tests.web.demo_site import DemoSite

pytestmark = pytest.mark.browser


def _download(tab: Page, name: str, tmp_path: Path) -> bytes:
    with tab.expect_download() as info:
        tab.locator("ul.downloads a", has_text=name).first.click()
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    return target.read_bytes()


def _problems(tab: Page, within: str = "html") -> list[str]:
    """axe-core's WCAG 2.1 AA and best-practice violations on the page, or on the part of it `within`."""
    if tab.locator("#map").count():
        tab.wait_for_selector("#map[data-features-drawn]", timeout=20_000)
    tab.add_script_tag(path=str(AXE))
    result: dict[str, Any] = tab.evaluate(
        """async (within) => await axe.run(document.querySelector(within), {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}
        })""",
        within,
    )
    assert len(result["passes"]) > 10  # axe really checked the page
    return [
        f"{v['id']} — {v['help']} — {[n['target'] for n in v['nodes'][:3]]}" for v in result["violations"]
    ]


def test_filter_to_gracia_then_download_the_filtered_csv_and_xlsx_in_catalan(
    served: tuple[str, DemoSite],
    page: Page,
    axe_page: Page,
    tmp_path: Path,
) -> None:
    base, site = served
    page.goto(f"{base}/ca{site.accidents2018}")
    assert page.locator("#download-scope").inner_text() == "Tota la taula, 9.936 files."
    form = page.locator("form.table-filter")
    form.get_by_label("Columna").last.select_option("Nom_districte")
    form.get_by_label("Comparació").last.select_option("contains")
    form.get_by_label("Valor").last.fill("gracia")
    form.get_by_role("button", name="Filtra les files").click()
    page.wait_for_url("**value=gracia**")
    assert page.locator("#download-scope").inner_text() == "464 files on Nom_districte conté «gracia»."
    assert page.locator("h3#download-title").inner_text() == "Descarrega aquestes files"

    rows = list(csv.reader(io.StringIO(_download(page, "CSV", tmp_path).decode())))
    assert len(rows) - 1 == 464 and {r[2] for r in rows[1:]} == {"Gràcia"}
    spreadsheet = _download(page, "CSV per a fulls de càlcul", tmp_path)
    assert spreadsheet.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(spreadsheet.decode("utf-8-sig")), delimiter=";"))
    assert len(lines) - 1 == 464 and len(lines[0]) == len(rows[0])
    xlsx = tmp_path / "rows.xlsx"
    xlsx.write_bytes(_download(page, "XLSX", tmp_path))
    sheet = CalamineWorkbook.from_path(str(xlsx)).get_sheet_by_index(0).to_python()
    assert len(sheet) - 1 == 464

    # A year that is no number: explained beside the field, in Catalan, and the page is still there.
    form = page.locator("form.table-filter")
    form.get_by_label("Columna").last.select_option("Any")
    form.get_by_label("Comparació").last.select_option("eq")
    form.get_by_label("Valor").last.fill("abc")
    form.get_by_role("button", name="Filtra les files").click()
    page.wait_for_url("**value=abc**")
    invalid = page.locator("input[aria-invalid=true]")
    assert invalid.count() == 1
    described = page.locator(f"#{invalid.get_attribute('aria-describedby')}")
    assert "«abc» no és un nombre enter" in described.inner_text()
    assert page.locator("#download-scope").inner_text().startswith("464 files")

    axe_page.goto(page.url)
    problems = _problems(axe_page)
    assert not problems, "\n".join(problems)


# Lighter: the words in the language, and axe over the filter form (with a wrong value) only.
@pytest.mark.parametrize(
    ("lang", "scope"),
    [
        ("es", "464 filas donde Nom_districte contiene «gracia»."),
        ("en", "464 rows where Nom_districte contains “gracia”."),
    ],
)
def test_the_filtered_page_in_spanish_and_english(
    served: tuple[str, DemoSite],
    axe_page: Page,
    lang: str,
    scope: str,
) -> None:
    base, site = served
    query = "column=Nom_districte&op=contains&value=gracia&column=Any&op=eq&value=abc"
    axe_page.goto(f"{base}/{lang}{site.accidents2018}?{query}")
    assert axe_page.locator("#download-scope").inner_text() == scope
    assert axe_page.locator("input[aria-invalid=true]").count() == 1
    problems = _problems(axe_page, "form.table-filter")
    assert not problems, "\n".join(problems)
