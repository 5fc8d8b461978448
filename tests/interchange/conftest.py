"""One obert with the demo catalogue, served by uvicorn on a free 127.0.0.1 port, for the real clients
(frictionless, mlcroissant, pandas) of this folder. Loaded once per test process; tests that add datasets
give them names of their own, so the demo datasets stay as loaded."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from obert.app import create_app
from obert.auth.users import create_token, create_user
from obert.demo import catalog_settings, load_demo
from obert.portal import Portal, build_portal
from obert.settings import Settings
from tests.live import free_port, serving


@dataclass(frozen=True)
class Live:
    url: str
    portal: Portal
    admin: dict[str, str]

    def get(self, path: str, **kwargs: object) -> httpx.Response:
        return httpx.get(self.url + path, timeout=30, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = Settings(
        mode="test",
        data_dir=tmp_path_factory.mktemp("interchange"),
        base_url=url,
        http_allowlist="127.0.0.1",  # a package may be fetched from this very server
        rate_limits_enabled=False,
        **catalog_settings(),
    )
    portal = build_portal(settings)
    load_demo(portal)
    create_user(store=portal.store, name="admin", password="correct horse battery", sysadmin=True)
    token = create_token(store=portal.store, user_ref="admin", name="tests").secret
    try:
        with serving(create_app(settings, portal=portal), port):
            yield Live(url, portal, {"Authorization": f"Bearer {token}"})
    finally:
        portal.close()
