"""Two real `obert serve` processes on one data dir and one database, each with its own copy of the SPARQL
graph: a dataset written through one is answered by SPARQL in the other, and a private one never is; on
SQLite and, where a server is configured, on PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

from obert.auth.users import create_token, create_user
from obert.portal import build_portal
from obert.settings import Settings
from tests.conftest import bearer, dataset_payload
from tests.live import free_port

BASE = "http://obert.test"  # the IRIs both processes give, whatever port answers
COUNT = "SELECT (COUNT(?d) AS ?n) { ?d a <http://www.w3.org/ns/dcat#Dataset> }"
TITLES = (
    "SELECT ?t { ?d a <http://www.w3.org/ns/dcat#Dataset> ; <http://purl.org/dc/terms/title> ?t "
    'FILTER(LANG(?t) = "en") }'
)


@contextmanager
def _serve(data_dir: Path, database_url: str) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "OBERT_DATA_DIR": str(data_dir),
        "OBERT_DATABASE_URL": database_url,
        "OBERT_BASE_URL": BASE,
        "OBERT_SECRET_KEY": "a-test-secret-that-is-long-enough-for-the-doctor",
        "OBERT_JOB_THREADS": "0",
        "OBERT_ACCESS_LOG": "false",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    command = [sys.executable, "-c", "from obert.cli import app; app()", "serve", "--port", str(port)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(url + "/health/live", timeout=5).raise_for_status()
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline and server.poll() is None, "obert serve did not start"
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(30)


def _select(url: str, query: str) -> list[str]:
    deadline = time.monotonic() + 60
    while True:  # a process that is still building its first graph answers 503 for a while
        response = httpx.get(f"{url}/sparql", params={"query": query, "format": "json"}, timeout=30)
        if response.status_code != 503 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert response.status_code == 200, response.text
    return [next(iter(b.values()))["value"] for b in response.json()["results"]["bindings"]]


def test_a_dataset_written_through_one_process_is_queried_in_the_other(
    tmp_path: Path, database_url: str
) -> None:
    data_dir = tmp_path / "data"
    settings = Settings(mode="test", data_dir=data_dir, database_url=database_url, base_url=BASE)
    portal = build_portal(settings)  # the schema, and an account to write with
    create_user(store=portal.store, name="admin", password="correct horse battery", sysadmin=True)
    headers = bearer(create_token(store=portal.store, user_ref="admin", name="tests").secret)
    portal.close()
    with ExitStack() as stack:
        writer = stack.enter_context(_serve(data_dir, database_url))
        reader = stack.enter_context(_serve(data_dir, database_url))
        assert _select(reader, COUNT) == ["0"]  # its graph is built before the write
        assert _select(writer, COUNT) == ["0"]
        public = dataset_payload(name="written-in-one", organization=None, title={"en": "Seen in the other"})
        made = httpx.post(f"{writer}/api/v1/datasets", json=public, headers=headers, timeout=30)
        assert made.status_code == 201, made.text
        hidden = dataset_payload(
            name="kept-private", organization=None, visibility="private", title={"en": "Never seen"}
        )
        assert (
            httpx.post(f"{writer}/api/v1/datasets", json=hidden, headers=headers, timeout=30).status_code
            == 201
        )
        assert _select(reader, TITLES) == ["Seen in the other"]
        assert _select(reader, COUNT) == ["1"]
        assert _select(writer, TITLES) == ["Seen in the other"]
