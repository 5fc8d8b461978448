from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from tests.demo_copy import DemoTemplates
from tests.security.fast_hash import fast_password_hashing
from tests.web.demo_site import DemoSite, build_demo_site

__all__ = ["fast_password_hashing"]

ROOT = Path(__file__).parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
LEAFLET = ROOT / "obert" / "web" / "static" / "vendor" / "leaflet" / "leaflet.js"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium per test process: Playwright's sync API allows one running instance."""
    with sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            headless=True,
            args=["--no-sandbox", "--disable-background-networking"],
        )
        yield launched
        launched.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def served(
    tmp_path_factory: pytest.TempPathFactory, demo_templates: DemoTemplates
) -> Iterator[tuple[str, DemoSite]]:
    """obert with the demo catalogue, served by uvicorn on a free local port in a thread."""
    for needed in (AXE, LEAFLET):
        if not needed.exists():
            pytest.fail(f"{needed.relative_to(ROOT)} is missing: run `make static` (it runs npm ci) first")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    site = build_demo_site(tmp_path_factory.mktemp("browser"), base_url=base, templates=demo_templates)
    server = uvicorn.Server(uvicorn.Config(site.app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("obert did not start under uvicorn")
        time.sleep(0.05)
    yield base, site
    server.should_exit = True
    thread.join(timeout=10)
    site.portal.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    opened = context.new_page()
    yield opened
    context.close()


@pytest.fixture
def axe_page(browser: Browser) -> Iterator[Page]:
    # axe is injected as an inline script, which the site's Content-Security-Policy rightly blocks: only
    # the accessibility audit's own page bypasses it (every other browser test runs under the real CSP).
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    opened = context.new_page()
    yield opened
    context.close()
