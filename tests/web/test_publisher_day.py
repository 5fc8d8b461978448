"""A publisher's whole day through the site alone, in a real browser: create a dataset with every field,
upload its file and watch it being read, fix the personal data it holds, upload a changed version in place
and accept its changed columns, and end with a dataset the MQA rates "Excellent". In full in Catalan, and
lighter in Spanish and English; axe audits the pages on the way."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page

from obert.portal import Portal
from tests.api.datastore_helpers import run_jobs
from tests.web.test_publish_browser import AXE, PEOPLE, live

__all__ = ["live"]
pytestmark = pytest.mark.browser


def _sign_in(page: Page, base: str, lang: str) -> None:
    page.goto(f"{base}/{lang}/login?next=/publish/new")
    page.fill("#f-name", "editora")
    page.fill("#f-password", "correct horse battery")
    page.click("form.staff-form button[type=submit]")
    assert page.url.endswith(f"/{lang}/publish/new")


def _create_with_every_field(page: Page, title: str) -> None:
    page.fill("#f-title_ca", title)
    page.fill("#f-title_es", f"{title} (es)")
    page.fill("#f-title_en", f"{title} (en)")
    for lang in ("ca", "es", "en"):
        page.fill(f"#f-description_{lang}", "Registre de prova del padró per districtes.")
        page.fill(f"#f-keywords_{lang}", "padró, districtes")
    page.select_option("#f-state", "published")
    page.check("input[name=themes][value=SOCI]")
    page.select_option("#f-license", "CC_BY_4_0")
    page.select_option("#f-access_rights", "PUBLIC")
    page.fill("#f-rights", "Reutilització lliure citant l'Ajuntament com a font.")
    page.select_option("#f-frequency", "MONTHLY")
    page.fill("#f-issued", "2026-01-15")
    page.fill("#f-temporal_start", "2026-01-01")
    page.fill("#f-temporal_end", "2026-12-31")
    page.select_option("#f-spatial_place", "district-06")
    page.fill("#f-conforms_to", "https://www.w3.org/TR/tabular-data-primer/")
    page.fill("#f-contact_point_name", "Oficina del padró")
    page.fill("#f-contact_point_email", "padro@bcn.example")
    page.click("form.staff-form:has(#f-title_ca) button[type=submit]")


def _add_file(page: Page, path: Path) -> None:
    page.set_input_files("#f-res-file", str(path))
    page.click("form[action$='/upload'] button[type=submit]")


def _wait_for(page: Page, portal: Portal, selector: str, text: str) -> None:
    """Reload until `text` shows in `selector` (the server's own workers read files in the background)."""
    deadline = time.monotonic() + 30
    while text not in page.inner_text(selector) and time.monotonic() < deadline:
        run_jobs(portal)
        time.sleep(0.2)
        page.reload()
    assert text in page.inner_text(selector)


def _axe(page: Page) -> list[tuple[str, str]]:
    page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
    )
    return [(v["id"], v["nodes"][0]["html"][:120]) for v in result["violations"]]


def _quality(base: str, name: str) -> dict[str, Any]:
    answer: dict[str, Any] = httpx.get(f"{base}/api/v1/datasets/{name}/quality").json()
    return answer


def test_a_publishers_day_in_catalan(
    live: str, database_url: str, browser: Browser, portal: Portal, tmp_path: Path
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("one backend is enough for a browser walk-through")
    context = browser.new_context(bypass_csp=True)  # axe is injected inline
    page = context.new_page()
    problems: dict[str, list[tuple[str, str]]] = {}
    try:
        _sign_in(page, live, "ca")
        problems["new"] = _axe(page)
        _create_with_every_field(page, "Padró de prova")
        assert page.url.endswith("/ca/publish/dataset/padro-de-prova"), "the short name comes from the title"

        _add_file(page, PEOPLE)
        assert "pendent de lectura" in page.inner_text("#resources-title + ul")
        page.click("#resources-title + ul a >> nth=0")
        status = page.inner_text("#ingest-status")
        assert (
            "Pendent de lectura." in status or "S'està llegint el fitxer" in status or "retinguda" in status
        )
        problems["resource"] = _axe(page)
        _wait_for(page, portal, "#ingest-status", "està retinguda i no s'ha publicat")
        resource_page = page.url

        page.click("#ingest-status a")
        decisions = page.inner_text("#decisions")
        assert "DNI" in decisions, "the held version is the first thing on the dataset's page"
        problems["held"] = _axe(page)
        form = page.locator("#privacy form").first
        for column, op in (("dni", "hash"), ("iban", "drop"), ("correu", "mask")):
            form.locator(f"div.field:has(input[value='{column}']) select").select_option(op)
        form.locator("button[type=submit]").click()
        assert "La versió 2 s'ha publicat" in page.inner_text("#privacy [role=status]")
        page.goto(page.url.split("?")[0])
        assert "No cal que decidiu res" in page.inner_text("#decisions"), "the notice clears once resolved"

        changed = tmp_path / "padro.csv"
        changed.write_text("districte,import\n1,0.00\n2,12.50\n3,7.25\n", encoding="utf-8")
        page.goto(resource_page)
        page.set_input_files("#f-file", str(changed))
        page.click("form[action$='/upload'] button[type=submit]")
        assert "versió nova d'aquest recurs" in page.inner_text("main")
        _wait_for(page, portal, "#ingest-status", "retinguda")
        page.goto(f"{live}/ca/publish/dataset/padro-de-prova")
        assert "dni" in page.inner_text("#columns")
        page.fill("#columns textarea", "El padró ja no publica identificadors.")
        page.click("#columns button[type=submit]")
        assert "ja està publicada" in page.inner_text("#columns [role=status]")
        problems["done"] = _axe(page)
    finally:
        context.close()
    assert problems == {name: [] for name in problems}
    quality = _quality(live, "padro-de-prova")
    assert quality["rating"] == "excellent" and quality["points"] >= 351, quality


@pytest.mark.parametrize("lang", ["es", "en"])
def test_a_publishers_day_lighter(
    live: str, database_url: str, browser: Browser, portal: Portal, tmp_path: Path, lang: str
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("one backend is enough for a browser walk-through")
    context = browser.new_context()
    page = context.new_page()
    clean = tmp_path / "equipaments.csv"
    clean.write_text("districte,equipaments\n1,12\n2,30\n", encoding="utf-8")
    try:
        _sign_in(page, live, lang)
        _create_with_every_field(page, f"Equipaments {lang}")
        assert page.url.endswith(f"/{lang}/publish/dataset/equipaments-{lang}")
        _add_file(page, clean)
        page.click("#resources-title + ul a >> nth=0")
        _wait_for(page, portal, "#ingest-status", {"es": "está publicada", "en": "is published"}[lang])
    finally:
        context.close()
    quality = _quality(live, f"equipaments-{lang}")
    assert quality["rating"] == "excellent", quality
