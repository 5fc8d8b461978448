"""The personal-data gate end to end: a table full of DNIs, IBANs and e-mails is held back until a
publisher masks it (a new version, scanned again) or records a justified override; both are audited."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from obert.storage.tables.catalog import activity
from tests.api.datastore_helpers import make_dataset, portal_of, run_jobs, upload

DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
CLEAN = Path(__file__).parents[2] / "obert" / "demo" / "files" / "qualitat_aire_contaminants.csv"


def _people_csv(path: Path, rows: int = 60) -> list[str]:
    dnis = [f"{n:08d}{DNI_LETTERS[n % 23]}" for n in range(12345678, 12345678 + rows * 7919, 7919)]
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["districte", "dni", "iban", "correu", "import"])
        for i, dni in enumerate(dnis):
            out.writerow([i % 10 + 1, dni, "ES91 2100 0418 4502 0005 1332", f"veí{i}@exemple.cat", i * 3.5])
    return dnis


def _held_dataset(client: TestClient, admin: dict[str, str], tmp_path: Path) -> list[str]:
    make_dataset(client, admin, "padro-persones")
    dnis = _people_csv(tmp_path / "persones.csv")
    upload(client, admin, "padro-persones-taula", tmp_path / "persones.csv")
    run_jobs(portal_of(client))
    return dnis


def _audit(client: TestClient, action: str) -> list[Any]:
    with portal_of(client).store.read() as conn:
        return conn.execute(sa.select(activity.c.after).where(activity.c.action == action)).scalars().all()


def test_a_table_of_identifiers_is_held_back_and_never_served(
    client: TestClient, admin: dict[str, str], org: dict[str, Any], tmp_path: Path
) -> None:
    dnis = _held_dataset(client, admin, tmp_path)
    info = client.get("/api/v1/datastore/padro-persones-taula", headers=admin).json()
    assert "held back" in info["last_error"] and "dni" in info["last_error"]
    assert client.get("/api/v1/datastore/padro-persones-taula").json()["last_error"] is None  # findings
    assert client.get("/api/v1/datastore/padro-persones-taula/rows").status_code == 404
    assert (
        client.get("/api/v1/datastore/padro-persones-taula/rows?version=1", headers=admin).status_code == 404
    )
    # Anyone may see that a version exists only as far as publication goes: held ones are for editors.
    assert client.get("/api/v1/datastore/padro-persones-taula/versions").json()["data"] == []
    findings = client.get("/api/v1/datastore/padro-persones-taula/versions/1/privacy", headers=admin)
    assert findings.status_code == 200
    body = findings.json()
    kinds = {(f["column"], f["kind"]) for f in body["decision"]["blocking"]}
    assert {("dni", "dni"), ("iban", "iban"), ("correu", "email")} <= kinds
    assert not any(dni in findings.text for dni in dnis), "findings show masked examples only"
    assert client.get("/api/v1/datastore/padro-persones-taula/versions/1/privacy").status_code == 401


def test_masking_publishes_a_new_clean_version(
    client: TestClient, admin: dict[str, str], org: dict[str, Any], tmp_path: Path
) -> None:
    dnis = _held_dataset(client, admin, tmp_path)
    plan = [
        {"op": "hash", "column": "dni"},
        {"op": "drop", "column": "iban"},
        {"op": "mask", "column": "correu", "keep_last": 0},
    ]
    response = client.post(
        "/api/v1/datastore/padro-persones-taula/versions/1/transform", json={"plan": plan}, headers=admin
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"version": 2, "state": "ready", "held": None}
    rows = client.get("/api/v1/datastore/padro-persones-taula/rows?limit=1000").json()
    assert rows["count"] == len(dnis)
    assert {f["name"] for f in rows["fields"]} == {"districte", "dni", "correu", "import"}
    served = json.dumps(rows["data"])
    assert not any(dni in served for dni in dnis) and "exemple.cat" not in served
    assert _audit(client, "privacy.transform")[0]["new_version"] == 2


def test_a_justified_override_publishes_the_version_as_it_is(
    client: TestClient, admin: dict[str, str], org: dict[str, Any], tmp_path: Path
) -> None:
    _held_dataset(client, admin, tmp_path)
    url = "/api/v1/datastore/padro-persones-taula/versions/1/override"
    kinds = [("dni", "dni"), ("iban", "iban"), ("correu", "email")]
    short = [{"column": c, "kind": k, "justification": "ok"} for c, k in kinds]
    refused = client.post(url, json={"overrides": short}, headers=admin)
    assert refused.status_code == 422
    assert any(e["field"].endswith("justification") for e in refused.json()["errors"])
    partial = [{"column": "dni", "kind": "dni", "justification": "x" * 50}]
    assert client.post(url, json={"overrides": partial}, headers=admin).status_code == 422
    why = "Synthetic identifiers generated for a public training exercise; no real person is named."
    given = [{"column": c, "kind": k, "justification": why} for c, k in kinds]
    response = client.post(url, json={"overrides": given}, headers=admin)
    assert response.status_code == 200, response.text
    assert response.json() == {"version": 1, "state": "ready"}
    assert client.get("/api/v1/datastore/padro-persones-taula/rows").json()["count"] == 60
    logged = _audit(client, "privacy.override")[0]["overrides"]
    assert {o["justification"] for o in logged} == {why} and all(o["actor"] == "admin" for o in logged)
    assert client.post(url, json={"overrides": given}, headers=admin).status_code == 409


def test_the_previous_version_stays_served_while_a_new_one_is_held(
    client: TestClient, admin: dict[str, str], org: dict[str, Any], tmp_path: Path
) -> None:
    make_dataset(client, admin, "padro-persones")
    upload(client, admin, "padro-persones-taula", CLEAN)
    run_jobs(portal_of(client))
    assert client.get("/api/v1/datastore/padro-persones-taula/rows").json()["count"] == 21
    _people_csv(tmp_path / "persones.csv")
    upload(client, admin, "padro-persones-taula", tmp_path / "persones.csv")
    run_jobs(portal_of(client))
    rows = client.get("/api/v1/datastore/padro-persones-taula/rows").json()
    assert rows["count"] == 21 and rows["version"] == 1
    held = client.get("/api/v1/datastore/padro-persones-taula", headers=admin).json()
    assert "held back" in held["last_error"]
