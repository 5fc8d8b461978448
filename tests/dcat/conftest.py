"""A test client over the demo catalogue, with the demo's own catalogue settings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from obert.app import create_app
from obert.demo import catalog_settings
from obert.portal import Portal, build_portal
from obert.settings import Settings
from tests.demo_copy import DemoTemplates


@pytest.fixture
def demo_portal(tmp_path: Path, database_url: str, demo_templates: DemoTemplates) -> Iterator[Portal]:
    settings = Settings(
        mode="test",
        data_dir=tmp_path / "data",
        database_url=database_url,
        base_url="http://testserver",
        **catalog_settings(),
    )
    demo_templates.install(settings)
    portal = build_portal(settings)
    yield portal
    portal.close()


@pytest.fixture
def demo_client(demo_portal: Portal) -> TestClient:
    return TestClient(create_app(demo_portal.settings, portal=demo_portal))
