"""A real obert served by uvicorn on a free 127.0.0.1 port, with the demo loaded, for ckanapi to talk to."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import ckanapi
import psycopg
import pytest
import uvicorn
from sqlalchemy.engine import make_url

from obert.app import create_app
from obert.auth.users import create_token, create_user
from obert.demo import catalog_settings, load_demo
from obert.portal import Portal, build_portal
from obert.settings import Settings
from tests.conftest import POSTGRES_URL

# Barcelona's municipal markets, as records for datastore_create.
MARKETS = [
    {"codi": 1, "mercat": "La Boqueria", "districte": "Ciutat Vella", "parades": 206},
    {"codi": 2, "mercat": "Sant Antoni", "districte": "Eixample", "parades": 233},
    {"codi": 3, "mercat": "La Barceloneta", "districte": "Ciutat Vella", "parades": 32},
]
FIELDS = [
    {"id": "codi", "type": "int"},
    {"id": "mercat", "type": "text"},
    {"id": "districte", "type": "text"},
    {"id": "parades", "type": "int"},
]


@dataclass(frozen=True)
class Server:
    url: str
    portal: Portal
    admin_token: str
    reader_token: str

    def client(self, token: str | None = None) -> ckanapi.RemoteCKAN:
        return ckanapi.RemoteCKAN(self.url, apikey=token)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def _serve(data_dir: Path, *, demo: bool, database_url: str | None = None) -> Iterator[Server]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    settings = Settings(
        mode="test", data_dir=data_dir, base_url=url, database_url=database_url, **catalog_settings()
    )
    portal = build_portal(settings)
    if demo:
        load_demo(portal)
    create_user(store=portal.store, name="admin", password="correct horse battery", sysadmin=True)
    create_user(store=portal.store, name="reader", password="correct horse battery")
    admin = create_token(store=portal.store, user_ref="admin", name="tests").secret
    reader = create_token(store=portal.store, user_ref="reader", name="tests").secret
    config = uvicorn.Config(
        create_app(settings, portal=portal), host="127.0.0.1", port=port, log_level="warning"
    )
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("obert did not start")
        time.sleep(0.05)
    try:
        yield Server(url, portal, admin, reader)
    finally:
        uv.should_exit = True
        thread.join(10)
        portal.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The demo catalogue, read by the read tests: nothing may change it."""
    with _serve(tmp_path_factory.mktemp("ckan-read"), demo=True) as running:
        yield running


@pytest.fixture(scope="module")
def write_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """An empty catalogue for the tests that change things."""
    with _serve(tmp_path_factory.mktemp("ckan-write"), demo=False) as running:
        yield running


@pytest.fixture(scope="session")
def ckan(server: Server) -> ckanapi.RemoteCKAN:
    """An anonymous client."""
    return server.client()


@pytest.fixture(scope="session")
def ckan_get(server: Server) -> ckanapi.RemoteCKAN:
    """An anonymous client that reads by GET (ckanapi's get_only), as browsers, harvesters and curl
    do: many calls on the shared server without spending the budget its POST tests share."""
    return ckanapi.RemoteCKAN(server.url, get_only=True)


@pytest.fixture(scope="session")
def ckan_admin(server: Server) -> ckanapi.RemoteCKAN:
    return server.client(server.admin_token)


@contextmanager
def _postgres_database() -> Iterator[str]:
    """A uniquely named PostgreSQL database on the test server, dropped afterwards."""
    if not POSTGRES_URL:
        pytest.skip("OBERT_TEST_POSTGRES_URL is not set")
    admin = make_url(POSTGRES_URL).set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"obert_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_db_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """An empty catalogue for tests that change things, on SQLite and (when configured) on PostgreSQL."""
    data_dir = tmp_path_factory.mktemp("ckan-any-db")
    if request.param == "sqlite":
        with _serve(data_dir, demo=False) as running:
            yield running
        return
    with _postgres_database() as url, _serve(data_dir, demo=False, database_url=url) as running:
        yield running
