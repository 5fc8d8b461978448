"""The search page in a real browser with JavaScript off: type, tick a facet, sort, remove the filter."""

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
from obert.demo import load_demo
from obert.portal import build_portal
from obert.settings import Settings

pytestmark = pytest.mark.browser
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    if not CHROMIUM.exists():
        pytest.skip("no Debian chromium")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    settings = Settings(mode="test", data_dir=tmp_path / "data", base_url=base)
    portal = build_portal(settings)
    load_demo(portal)
    config = uvicorn.Config(
        create_app(settings, portal=portal), host="127.0.0.1", port=port, log_level="error"
    )
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    while not running.started:
        time.sleep(0.05)
    yield base
    running.should_exit = True
    thread.join(timeout=10)
    portal.close()


def test_search_and_facets_work_without_javascript(server: str, browser: Browser) -> None:
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
