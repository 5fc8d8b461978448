from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, sync_playwright

from obert.portal import Portal
from tests.security.fast_hash import fast_password_hashing
from tests.security.world import World, build_world

__all__ = ["fast_password_hashing"]


@pytest.fixture
def world(client: TestClient, portal: Portal) -> World:
    return build_world(client, portal)


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
