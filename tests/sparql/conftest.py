"""One real obert per module, served by uvicorn on a free 127.0.0.1 port with the demo loaded, for
SPARQLWrapper and plain HTTP to talk to."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from obert.app import create_app
from obert.demo import catalog_settings, load_demo
from obert.portal import Portal, build_portal
from obert.settings import Settings
from tests.live import free_port, serving


@dataclass(frozen=True)
class Server:
    url: str
    portal: Portal

    @property
    def endpoint(self) -> str:
        return f"{self.url}/sparql"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = Settings(
        mode="test",
        data_dir=tmp_path_factory.mktemp("sparql"),
        base_url=url,
        # A budget a runaway query passes in a few seconds, and a cap below the biggest answers of the demo.
        sparql_timeout_seconds=5.0,
        sparql_max_results=5000,
        **catalog_settings(),
    )
    portal = build_portal(settings)
    load_demo(portal)
    try:
        with serving(create_app(settings, portal=portal), port):
            yield Server(url, portal)
    finally:
        portal.close()
