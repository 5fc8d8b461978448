"""Changed columns end to end: the air-quality stations table (Open Data BCN) re-ingested without a
column, with one renamed or retyped is held until an editor accepts it, then served and announced in the
dataset's feed and to a webhook; a column added alone is published at once."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from obert.auth.users import create_token, create_user
from obert.demo import FILES
from obert.notify import webhooks
from obert.storage.tables.catalog import activity
from tests.api.datastore_helpers import make_dataset, portal_of, run_jobs, upload
from tests.api.test_personal_data_gate import _people_csv
from tests.conftest import bearer
from tests.receiver import Receiver, receiver

STATIONS = FILES / "qualitat_aire_estacions.csv"
REF = "estacions-taula"
URL = f"/api/v1/datastore/{REF}"
Rows = list[list[str]]


def _variant(tmp_path: Path, name: str, change: Callable[[Rows], Rows]) -> Path:
    with STATIONS.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    path = tmp_path / name
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(change(rows))
    return path


def _without(column: str) -> Callable[[Rows], Rows]:
    def change(rows: Rows) -> Rows:
        at = rows[0].index(column)
        return [r[:at] + r[at + 1 :] for r in rows]

    return change


def _renamed(old: str, new: str) -> Callable[[Rows], Rows]:
    return lambda rows: [[new if c == old else c for c in rows[0]], *rows[1:]]


def _station_codes_as_text(rows: Rows) -> Rows:
    return [rows[0], *([f"E{r[0]}", *r[1:]] for r in rows[1:])]


def _with_source(rows: Rows) -> Rows:
    return [[*rows[0], "font"], *([*r, "Agència de Salut Pública"] for r in rows[1:])]


pytestmark = pytest.mark.settings(http_allowlist="127.0.0.1")  # the webhook receiver


@pytest.fixture
def hook() -> Iterator[Receiver]:
    with receiver() as server:
        yield server


def _published(client: TestClient, admin: dict[str, str]) -> None:
    make_dataset(client, admin)
    upload(client, admin, REF, STATIONS)
    assert run_jobs(portal_of(client)) == 1


def _reingest(client: TestClient, admin: dict[str, str], path: Path) -> None:
    upload(client, admin, REF, path)
    assert run_jobs(portal_of(client)) == 1


def _dispatch(client: TestClient) -> None:
    portal = portal_of(client)
    config = webhooks.WebhookConfig("http://testserver", 5.0, 8, 3)
    with portal.store.begin() as conn:
        # Rows are read once a few seconds old (see COMMIT_LAG): look from a little later.
        webhooks.dispatch_events(conn, now=datetime.now(UTC) + timedelta(seconds=10), config=config)
    run_jobs(portal)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_without("zqa"), [{"column": "zqa", "change": "dropped", "old_type": "integer"}]),
        (
            _renamed("Nom_barri", "Barri"),
            [{"column": "Nom_barri", "change": "renamed", "new_name": "Barri", "old_type": "text"}],
        ),
        (
            _station_codes_as_text,
            [{"column": "Estacio", "change": "retyped", "old_type": "integer", "new_type": "text"}],
        ),
    ],
    ids=["dropped", "renamed", "retyped"],
)
def test_a_changed_column_holds_the_version_until_an_editor_accepts_it(
    client: TestClient,
    admin: dict[str, str],
    org: dict[str, Any],
    tmp_path: Path,
    hook: Receiver,
    change: Callable[[Rows], Rows],
    expected: list[dict[str, str]],
) -> None:
    _published(client, admin)
    create_user(store=portal_of(client).store, name="reader", password="correct horse battery")
    reader = bearer(create_token(store=portal_of(client).store, user_ref="reader", name="hooks").secret)
    sub = client.post(
        "/api/v1/subscriptions", json={"url": f"{hook.url}/hook", "dataset": "estacions"}, headers=reader
    )
    assert sub.status_code == 201, sub.text

    _reingest(client, admin, _variant(tmp_path, "estacions.csv", change))
    info = client.get(URL, headers=admin).json()
    assert info["version"] == 1 and "held back" in info["last_error"]
    # Not served: the rows, the version and the versions list answer as if version 2 did not exist.
    assert client.get(f"{URL}/rows").json()["version"] == 1
    assert client.get(f"{URL}/rows", params={"version": 2}, headers=admin).status_code == 404
    assert [v["number"] for v in client.get(f"{URL}/versions").json()["data"]] == [1]
    listed = client.get(f"{URL}/versions", headers=admin).json()["data"]
    assert [(v["number"], v["state"], v["holds"]) for v in listed] == [
        (2, "held", ["schema_change"]),
        (1, "ready", []),
    ]

    assert client.get(f"{URL}/versions/2/schema").status_code == 401
    findings = client.get(f"{URL}/versions/2/schema", headers=admin).json()
    assert findings["holds"] == ["schema_change"] and findings["compared_with"] == 1
    for change_found, wanted in zip(findings["changes"], expected, strict=True):
        assert {k: change_found[k] for k in wanted} == wanted

    refused = client.post(f"{URL}/versions/2/accept-schema", json={"comment": "x" * 3000}, headers=admin)
    assert refused.status_code == 422
    accepted = client.post(
        f"{URL}/versions/2/accept-schema", json={"comment": "The city renamed its columns."}, headers=admin
    )
    assert accepted.status_code == 200, accepted.text
    body = accepted.json()
    assert body["state"] == "ready" and body["holds"] == [] and body["accepted"]["actor"] == "admin"
    assert client.get(f"{URL}/rows").json()["version"] == 2
    assert client.get(URL, headers=admin).json()["last_error"] is None
    assert client.post(f"{URL}/versions/2/accept-schema", headers=admin).status_code == 409
    with portal_of(client).store.read() as conn:
        logged = conn.execute(
            sa.select(activity.c.after).where(activity.c.action == "schema.accept")
        ).scalar_one()
    assert logged == {"comment": "The city renamed its columns.", "published": True}

    feed = client.get("/feeds/dataset/estacions.atom?lang=en").text
    column = expected[0]["column"]
    assert "new version of the data" in feed and f"columns changed: {column}" in feed
    assert "columnes canviades: " + column in client.get("/feeds/dataset/estacions.atom?lang=ca").text

    _dispatch(client)
    versions = [json.loads(r.body) for r in hook.requests if r.headers["X-Obert-Event"] == "resource.version"]
    (announced,) = versions  # version 1 came before the subscription; version 2 once, when published
    assert announced["details"]["version"] == 2
    assert [c["column"] for c in announced["details"]["schema_changes"]] == [column]
    assert f"columns changed: {column}" in announced["summary"]["en"]
    assert "columnas cambiadas: " + column in announced["summary"]["es"]


def test_a_column_added_alone_is_published_at_once_and_announced(
    client: TestClient, admin: dict[str, str], org: dict[str, Any], tmp_path: Path
) -> None:
    _published(client, admin)
    _reingest(client, admin, _variant(tmp_path, "estacions.csv", _with_source))
    info = client.get(URL).json()
    assert info["version"] == 2 and info["last_error"] is None
    assert "font" in {f["name"] for f in info["fields"]}
    (newest, first) = client.get(f"{URL}/versions").json()["data"]
    assert newest["schema_changes"] == [
        {
            "column": "font",
            "change": "added",
            "old_name": None,
            "new_name": "font",
            "old_type": None,
            "new_type": "text",
        }
    ]
    assert (newest["columns"], first["columns"]) == (first["columns"] + 1, 15)
    events = client.get("/api/v1/events", params={"dataset": "estacions"}).json()["data"]
    versions = [e for e in events if e["type"] == "resource.version"]
    assert [e["details"]["version"] for e in versions] == [2, 1]
    assert versions[0]["summary"]["en"].endswith("columns changed: font (added)")
    assert versions[1]["details"]["schema_changes"] == []  # a first version changes no column


def test_personal_data_and_changed_columns_must_both_be_cleared(
    client: TestClient, admin: dict[str, str], org: dict[str, Any], tmp_path: Path
) -> None:
    _published(client, admin)
    _people_csv(tmp_path / "persones.csv")
    _reingest(client, admin, tmp_path / "persones.csv")
    info = client.get(URL, headers=admin).json()
    assert "dni" in info["last_error"] and "changed columns" in info["last_error"]
    findings = client.get(f"{URL}/versions/2/schema", headers=admin).json()
    assert findings["holds"] == ["personal_data", "schema_change"]
    assert {c["column"] for c in findings["changes"] if c["change"] == "dropped"} >= {"Estacio", "zqa"}

    accepted = client.post(f"{URL}/versions/2/accept-schema", headers=admin).json()
    assert accepted["state"] == "held" and accepted["holds"] == ["personal_data"]
    assert client.get(f"{URL}/rows").json()["version"] == 1  # still held for the personal data

    why = "Synthetic identifiers generated for a public training exercise; no real person is named."
    overrides = [
        {"column": c, "kind": k, "justification": why}
        for c, k in [("dni", "dni"), ("iban", "iban"), ("correu", "email")]
    ]
    done = client.post(f"{URL}/versions/2/override", json={"overrides": overrides}, headers=admin)
    assert done.status_code == 200, done.text
    assert done.json() == {"version": 2, "state": "ready"}
    assert client.get(f"{URL}/rows").json()["version"] == 2
