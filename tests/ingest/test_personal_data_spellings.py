"""The personal-data gate on real uploads: an identifier however written and wherever it sits in a CSV
or JSON file (a note among codes, a nested field, JSON in a cell, a column name) holds the version
back, nothing of it can be read through the rows API, and the findings editors see are masked."""

from __future__ import annotations

import csv
import itertools
import json
import tempfile
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.datastore_helpers import make_dataset, portal_of, run_jobs, upload
from tests.privacy import spellings as sp

_names = itertools.count(1)


def _csv(path: Path, header: list[str], rows: list[list[Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(header)
        out.writerows(rows)


def _file(folder: Path, where: str, ident: sp.Identifier, note: str, position: int) -> Path:
    codes = list(sp.CODES)
    if where == "csv-cell":
        cells = [*codes[:position], note, *codes[position:]]
        _csv(
            folder / "taula.csv",
            ["districte", "observacions"],
            [[i % 10 + 1, c] for i, c in enumerate(cells)],
        )
        return folder / "taula.csv"
    if where == "csv-header":
        _csv(folder / "taula.csv", ["codi", ident.written], [[c, i] for i, c in enumerate(codes)])
        return folder / "taula.csv"
    records: list[dict[str, Any]] = [{"codi": c, "info": {"nested": {"deep": "sense dades"}}} for c in codes]
    if where == "json-nested":
        records[position]["info"]["nested"]["deep"] = note
    elif where == "json-key":
        records[position]["info"]["nested"] = {ident.written: "sí"}
    else:  # a list keeps its JSON as text in one cell
        records[position]["contactes"] = [{"tipus": "titular", "valor": note}]
    (folder / "taula.json").write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    return folder / "taula.json"


def _plain(text: str) -> str:
    """Text as a reader would copy it: compatibility forms folded, invisible characters dropped."""
    folded = unicodedata.normalize("NFKC", text)
    return "".join(c for c in folded if unicodedata.category(c) != "Cf")


def _reveals(body: str, ident: sp.Identifier) -> bool:
    plain = _plain(json.loads(json.dumps(body)))
    digits = "".join(c for c in plain if c.isdigit())
    forms = sp.compact_forms(ident)
    # Digits run together: a number written in pieces is still there. Not for a number of one repeated
    # digit ("00000000T"): the zeros of any timestamp in the answer would look like it.
    return any(f in plain or f in plain.replace(" ", "") for f in forms) or (
        ident.kind != "email"
        and len(ident.digits) >= 8
        and len(set(ident.digits)) > 1
        and ident.digits in digits
    )


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    ident=sp.disguised(sp.identifiers()),
    where=st.sampled_from(["csv-cell", "csv-header", "json-nested", "json-key", "json-list"]),
    position=st.integers(min_value=0, max_value=29),
    data=st.data(),
)
def test_an_uploaded_identifier_in_any_spelling_is_held_back(
    client: TestClient,
    admin: dict[str, str],
    org: dict[str, Any],
    ident: sp.Identifier,
    where: str,
    position: int,
    data: st.DataObject,
) -> None:
    note = data.draw(st.one_of(st.just(ident.written), sp.labelled(ident)))
    name = f"pii-{next(_names)}"
    make_dataset(client, admin, name)
    with tempfile.TemporaryDirectory() as tmp:
        upload(client, admin, f"{name}-taula", _file(Path(tmp), where, ident, note, position))
    run_jobs(portal_of(client))
    table = f"/api/v1/datastore/{name}-taula"
    rows = client.get(f"{table}/rows?limit=1000", headers=admin)
    assert rows.status_code == 404, (ident, where, rows.text[:500])
    info = client.get(table, headers=admin)
    assert "held back" in (info.json()["last_error"] or ""), (ident, where, info.json())
    assert not _reveals(info.text, ident)
    findings = client.get(f"{table}/versions/1/privacy", headers=admin)
    assert findings.status_code == 200 and findings.json()["decision"]["blocking"]
    assert not _reveals(findings.text, ident), findings.text


@pytest.mark.settings(privacy_scan_rows=1000)
def test_one_note_in_a_long_file_is_caught_beyond_the_sample_and_can_be_overridden(
    client: TestClient, admin: dict[str, str], org: dict[str, Any], tmp_path: Path
) -> None:
    rows = [[i % 10 + 1, f"Expedient 2018S{i:06d} revisat"] for i in range(20_000)]
    rows[14_321][1] = "Contacte: tel. (+34) 612.345.678"
    _csv(tmp_path / "notes.csv", ["districte", "observacions"], rows)
    make_dataset(client, admin, "notes")
    upload(client, admin, "notes-taula", tmp_path / "notes.csv")
    run_jobs(portal_of(client))
    assert client.get("/api/v1/datastore/notes-taula/rows").status_code == 404
    found = client.get("/api/v1/datastore/notes-taula/versions/1/privacy", headers=admin).json()
    (blocking,) = found["decision"]["blocking"]
    assert found["scan"]["sampled"] and found["scan"]["rows_scanned"] == 1000
    assert (blocking["column"], blocking["kind"], blocking["matched"]) == ("observacions", "phone", 1)
    assert blocking["examples"] == ["(+34) ***.***.678"]
    # An override is judged on the same findings as the hold: every row for identifiers.
    why = "A public switchboard number of the district office, published on the city's web site."
    overrides = [{"column": "observacions", "kind": "phone", "justification": why}]
    published = client.post(
        "/api/v1/datastore/notes-taula/versions/1/override", json={"overrides": overrides}, headers=admin
    )
    assert published.status_code == 200, published.text
    assert client.get("/api/v1/datastore/notes-taula/rows").json()["count"] == 20_000


def test_a_column_named_by_an_identifier_is_masked_and_can_only_be_overridden(
    client: TestClient, admin: dict[str, str], org: dict[str, Any], tmp_path: Path
) -> None:
    _csv(tmp_path / "t.csv", ["codi", "maria.garcia@gmail.com"], [[c, 1] for c in sp.CODES])
    make_dataset(client, admin, "capcal")
    upload(client, admin, "capcal-taula", tmp_path / "t.csv")
    run_jobs(portal_of(client))
    found = client.get("/api/v1/datastore/capcal-taula/versions/1/privacy", headers=admin)
    assert "maria.garcia" not in found.text and "gmail.com" not in found.text
    (blocking,) = found.json()["decision"]["blocking"]
    assert (blocking["column"], blocking["kind"], blocking["reason"]) == ("m***@g***.com", "email", "header")
    assert found.json()["suggested_plan"] == []
    why = "The column was named after the contact address by mistake; the address is the city's own."
    overrides = [{"column": "m***@g***.com", "kind": "email", "justification": why}]
    response = client.post(
        "/api/v1/datastore/capcal-taula/versions/1/override", json={"overrides": overrides}, headers=admin
    )
    assert response.status_code == 200, response.text
