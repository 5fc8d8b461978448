"""The publisher's pages in a real browser under the real Content-Security-Policy: sign in, create a
draft, submit it; no script or style is blocked and nothing needs JavaScript. The pages pass axe, the
personal-data and changed-columns desks included."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser

from obert.app import create_app
from obert.auth import SYSTEM, Role
from obert.auth.users import create_user, set_membership
from obert.catalog.models import OrganizationInput
from obert.catalog.organizations import create_organization
from obert.portal import Portal
from obert.settings import Settings
from obert.tableservice.local import ingest_local_file
from tests.api.datastore_helpers import run_jobs

pytestmark = pytest.mark.browser


@pytest.fixture
def live(settings: Settings, portal: Portal) -> Iterator[str]:
    org = create_organization(
        store=portal.store, actor=SYSTEM, data=OrganizationInput(name="bcn", title={"ca": "Ajuntament"})
    )
    user = create_user(store=portal.store, name="editora", password="correct horse battery")
    set_membership(store=portal.store, user_id=user.id, organization_id=org.id, role=Role.EDITOR)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings, portal=portal), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=5)


def test_sign_in_create_and_submit_in_a_browser(live: str, database_url: str, browser: Browser) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("one backend is enough for a browser walk-through")
    violations: list[str] = []
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    try:
        page.goto(f"{live}/ca/publish")
        assert "/ca/login" in page.url
        page.fill("#f-name", "editora")
        page.fill("#f-password", "correct horse battery")
        page.click("form.staff-form button[type=submit]")
        assert page.url.endswith("/ca/publish")
        page.click("text=Conjunt de dades nou")
        page.fill("#f-name", "arbres")
        page.fill("#f-title_ca", "Arbres de Barcelona")
        page.check("input[name=themes][value=ENVI]")
        page.select_option("#f-license", "CC_BY_4_0")
        page.click("form.staff-form button:text-is('Desa')")
        assert page.url.endswith("/ca/publish/dataset/arbres")
        page.click("button[value=submit]")
        assert "en revisió" in page.inner_text(".meta")
    finally:
        context.close()
    assert violations == []


AXE = Path(__file__).parents[2] / "node_modules" / "axe-core" / "axe.min.js"


def test_staff_pages_pass_axe(live: str, database_url: str, browser: Browser) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("one backend is enough for an accessibility audit")
    if not AXE.exists():
        pytest.fail("node_modules/axe-core/axe.min.js is missing: run `make static` (it runs npm ci) first")
    problems = {}
    # axe is injected inline, which the CSP blocks: only this audit's context bypasses it.
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    try:
        page.goto(f"{live}/ca/login?next=/publish")
        page.fill("#f-name", "editora")
        page.fill("#f-password", "correct horse battery")
        page.click("form.staff-form button[type=submit]")
        for path in ("/ca/publish", "/ca/publish/new", "/es/account/tokens", "/en/account/password"):
            page.goto(f"{live}{path}")
            page.add_script_tag(path=str(AXE))
            result = page.evaluate(
                "async () => await axe.run(document, {runOnly: {type: 'tag', values: "
                "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
            )
            if result["violations"]:
                problems[path] = [(v["id"], v["nodes"][0]["html"][:120]) for v in result["violations"]]
    finally:
        context.close()
    assert problems == {}


PEOPLE = Path(__file__).parents[1] / "data" / "privacy" / "own_padro_persones.csv"


def test_releasing_a_held_table_in_a_browser_passes_axe(
    live: str, database_url: str, browser: Browser, portal: Portal, tmp_path: Path
) -> None:
    """Upload a table of DNIs, IBANs and e-mails from the page, see it held back, audit the page with
    axe, then mask the columns with the page's own form and see the new version published."""
    if not database_url.startswith("sqlite"):
        pytest.skip("one backend is enough for a browser walk-through")
    if not AXE.exists():
        pytest.fail("node_modules/axe-core/axe.min.js is missing: run `make static` (it runs npm ci) first")
    context = browser.new_context(bypass_csp=True)  # axe is injected inline
    page = context.new_page()
    problems = {}
    try:
        page.goto(f"{live}/en/login?next=/publish/new")
        page.fill("#f-name", "editora")
        page.fill("#f-password", "correct horse battery")
        page.click("form.staff-form button[type=submit]")
        page.fill("#f-name", "padro")
        page.fill("#f-title_ca", "Padró de prova")
        page.click("form.staff-form button:text-is('Save')")
        page.set_input_files("#f-res-file", str(PEOPLE))
        page.click("button:text-is('Add resource')")
        deadline = time.monotonic() + 30
        # The personal-data section appears (above the form) once a version is held back.
        while time.monotonic() < deadline and (
            page.locator("#privacy").count() == 0 or "version 1" not in page.inner_text("#privacy")
        ):
            run_jobs(portal)
            time.sleep(0.2)
            page.reload()
        assert "DNI number" in page.inner_text("#privacy")
        for path in ("/en/publish/dataset/padro", "/en/publish"):
            page.goto(f"{live}{path}")
            page.add_script_tag(path=str(AXE))
            result = page.evaluate(
                "async () => await axe.run(document, {runOnly: {type: 'tag', values: "
                "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
            )
            if result["violations"]:
                problems[path] = [(v["id"], v["nodes"][0]["html"][:120]) for v in result["violations"]]
        page.goto(f"{live}/en/publish/dataset/padro")
        page.locator("#privacy").screenshot(path=str(tmp_path / "held.png"))
        form = page.locator("#privacy form").first
        for column, op in (("dni", "hash"), ("iban", "drop"), ("correu", "mask")):
            form.locator(f"div.field:has(input[value='{column}']) select").select_option(op)
        form.locator("button[type=submit]").click()
        assert "Version 2 is published" in page.inner_text("#privacy [role=status]")
        assert "/en/publish/dataset/padro" in page.url
    finally:
        context.close()
    assert problems == {}


def test_accepting_changed_columns_in_a_browser_passes_axe(
    live: str, database_url: str, browser: Browser, portal: Portal, tmp_path: Path
) -> None:
    """A second version of a table renames a column and drops another: the dataset page lists the
    changes, passes axe, and the editor accepts them with the page's form."""
    if not database_url.startswith("sqlite"):
        pytest.skip("one backend is enough for a browser walk-through")
    if not AXE.exists():
        pytest.fail("node_modules/axe-core/axe.min.js is missing: run `make static` (it runs npm ci) first")
    first, second = tmp_path / "estacions.csv", tmp_path / "estacions-2.csv"
    first.write_text("codi,barri,habitants\n1,Gràcia,120\n2,Sants,98\n", encoding="utf-8")
    second.write_text("codi,nom_barri\n1,Gràcia\n2,Sants\n3,Horta\n", encoding="utf-8")
    for path in (first, second):
        ingest_local_file(
            ingester=portal.ingester,
            actor=SYSTEM,
            path=path,
            dataset="estacions",
            resource="estacions-taula",
            organization="bcn",
        )
    context = browser.new_context(bypass_csp=True)  # axe is injected inline
    page = context.new_page()
    try:
        page.goto(f"{live}/en/login?next=/publish/dataset/estacions")
        page.fill("#f-name", "editora")
        page.fill("#f-password", "correct horse battery")
        page.click("form.staff-form button[type=submit]")
        changes = page.inner_text("#columns ul.changes")
        assert "barri renamed to nom_barri" in changes and "habitants removed" in changes
        page.add_script_tag(path=str(AXE))
        result = page.evaluate(
            "async () => await axe.run(document, {runOnly: {type: 'tag', values: "
            "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
        )
        page.locator("#columns").screenshot(path=str(tmp_path / "columns.png"))
        page.fill("#columns textarea", "The census office renamed the column.")
        page.click("#columns button[type=submit]")
        assert "are accepted and it is published" in page.inner_text("#columns [role=status]")
    finally:
        context.close()
    assert [(v["id"], v["nodes"][0]["html"][:120]) for v in result["violations"]] == []
