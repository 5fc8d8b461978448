"""One real obert per module, served by uvicorn on a free 127.0.0.1 port with the demo loaded, for
SPARQLWrapper and plain HTTP to talk to."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import uvicorn

from obert.app import create_app
from obert.demo import catalog_settings, load_demo
from obert.portal import Portal, build_portal
from obert.settings import Settings


@dataclass(frozen=True)
class Server:
    url: str
    portal: Portal

    @property
    def endpoint(self) -> str:
        return f"{self.url}/sparql"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    port = _free_port()
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
    uv = uvicorn.Server(
        uvicorn.Config(create_app(settings, portal=portal), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("obert did not start")
        time.sleep(0.05)
    try:
        yield Server(url, portal)
    finally:
        uv.should_exit = True
        thread.join(10)
        portal.close()
