"""What a process keeps in memory about a table version (open tables, pages, counts, a filter's marks) is
only ever reached after the SQL store said the caller may read that version: a version held back or a
dataset withdrawn stops being served at once, by this process and by any other serving the same portal."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from obert.demo import FILES
from obert.settings import Settings
from obert.storage.tables.datastore import resource_versions
from obert.tableservice.versions import HELD, READY
from tests.api.datastore_helpers import make_dataset, portal_of, run_jobs, upload

ROOT = Path(__file__).resolve().parents[2]
# A second web process on the same database and data directory: it answers one GET per line of its input
# with the status code and the `data` of the answer.
OTHER = """
import json, sys
from fastapi.testclient import TestClient
from obert.app import create_app
from obert.settings import Settings
client = TestClient(create_app(Settings(**json.loads(sys.argv[1]))))
print("ready", flush=True)
for line in sys.stdin:
    got = client.get(line.strip())
    print(json.dumps([got.status_code, got.json().get("data")]), flush=True)
"""


class Other:
    def __init__(self, settings: Settings) -> None:
        config = {
            "mode": "test",
            "data_dir": str(settings.data_dir),
            "database_url": settings.database_url,
            "base_url": "http://testserver",
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-c", OTHER, json.dumps(config)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None and self.proc.stdout.readline().strip() == "ready"

    def get(self, url: str) -> tuple[int, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(url + "\n")
        self.proc.stdin.flush()
        status, data = json.loads(self.proc.stdout.readline())
        return status, data

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(30)


def test_held_and_withdrawn_versions_are_never_served_from_a_cache(
    client: TestClient, admin: dict[str, str], org: dict[str, Any], settings: Settings
) -> None:
    make_dataset(client, admin)
    upload(client, admin, "estacions-taula", FILES / "qualitat_aire_estacions.csv")
    assert run_jobs(portal_of(client)) == 1
    store = portal_of(client).store
    other = Other(settings)
    try:
        # Every cache warm in both processes: the open table, the page (answered from memory the second
        # time), the filter's count and marks, for the current version and for version 1 by number.
        pages = [
            "/api/v1/datastore/estacions-taula/rows?Nom_districte=Eixample&limit=2&offset=1",
            "/api/v1/datastore/estacions-taula/rows?Nom_districte=Eixample&limit=2&offset=1&version=1",
        ]
        for url in pages * 2:
            page = client.get(url)
            assert page.status_code == 200 and len(page.json()["data"]) == 2
            assert other.get(url) == (200, page.json()["data"])

        # The version held back (as the personal-data gate holds one): nobody reads it by number.
        with store.begin() as conn:
            conn.execute(resource_versions.update().values(state=HELD))
        assert client.get(pages[1]).status_code == 404
        assert other.get(pages[1])[0] == 404
        with store.begin() as conn:
            conn.execute(resource_versions.update().values(state=READY))
        assert client.get(pages[1]).status_code == 200 and other.get(pages[1])[0] == 200

        # The dataset withdrawn: its table is gone for the public, in both processes, cached or not.
        moved = client.post(
            "/api/v1/datasets/estacions/transitions", json={"action": "withdraw"}, headers=admin
        )
        assert moved.status_code == 200, moved.text
        for url in pages:
            assert client.get(url).status_code == 404
            assert other.get(url)[0] == 404
        assert client.get(pages[0], headers=admin).status_code == 200  # its editors still read it
        with store.read() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(resource_versions)).scalar() == 1
    finally:
        other.close()
