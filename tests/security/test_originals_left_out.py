"""What a table does not hold still travels in the file it was read from: a workbook's other sheets, the
rows of a CSV that were left out. Those parts are scanned too; when they hold personal data the table is
published (it has none), but the original file is its editors' alone and everyone else downloads the
published table, exported in the file's own format."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import openpyxl
from fastapi.testclient import TestClient

from tests.api.datastore_helpers import make_dataset, portal_of, run_jobs, upload
from tests.security.test_originals import DNI_LETTERS

DATASET = "equipaments-districte"
RESOURCE = f"{DATASET}-taula"
DISTRICTS = [("Ciutat Vella", 12), ("Eixample", 30), ("Sants-Montjuïc", 18), ("Les Corts", 9)]


def _dnis(count: int) -> list[str]:
    return [f"{n:08d}{DNI_LETTERS[n % 23]}" for n in range(40_123_456, 40_123_456 + count * 7919, 7919)]


def _workbook(path: Path, *, people: list[str] | None) -> None:
    """A clean first sheet; a second sheet with a DNI and an e-mail per person, or with counts only."""
    book = openpyxl.Workbook()
    summary = book.active
    summary.title = "Resum"
    summary.append(["districte", "equipaments"])
    for row in DISTRICTS:
        summary.append(list(row))
    detail = book.create_sheet("Detall")
    if people is None:
        detail.append(["districte", "places"])
        for name, count in DISTRICTS:
            detail.append([name, count * 20])
    else:
        detail.append(["nom", "dni", "correu"])
        for i, dni in enumerate(people):
            detail.append([f"Persona {i}", dni, f"persona{i}@example.cat"])
    book.save(path)


def _publish(client: TestClient, admin: dict[str, str], path: Path) -> str:
    make_dataset(client, admin, DATASET)
    upload(client, admin, RESOURCE, path)
    run_jobs(portal_of(client))
    versions = client.get(f"/api/v1/datastore/{RESOURCE}/versions", headers=admin).json()["data"]
    assert [v["state"] for v in versions] == ["ready"]  # the table itself holds no personal data
    original: str = client.get(f"/api/v1/resources/{RESOURCE}", headers=admin).json()["url"]
    assert original.endswith(f"/download/{path.name}")
    return original.removeprefix("http://testserver")


def _public_links(client: TestClient) -> str:
    resource_id = client.get(f"/api/v1/resources/{RESOURCE}").json()["id"]
    return "\n".join(
        client.get(url).text
        for url in (
            f"/api/v1/resources/{RESOURCE}",
            f"/api/3/action/package_show?id={DATASET}",
            f"/dataset/{DATASET}.ttl",
            f"/en/dataset/{DATASET}",
            f"/en/dataset/{DATASET}/resource/{resource_id}",
        )
    )


def test_another_sheets_personal_data_keeps_the_workbook_from_the_public(
    client: TestClient, admin: dict[str, str], org: dict[str, Any], tmp_path: Path
) -> None:
    people = _dnis(30)
    _workbook(tmp_path / "equipaments.xlsx", people=people)
    original = _publish(client, admin, tmp_path / "equipaments.xlsx")

    refused = client.get(original)
    assert refused.status_code == 403
    assert not any(dni in refused.text for dni in people)
    assert "/download/equipaments.xlsx" not in _public_links(client)
    # The public download is the published table, in the file's own format: the first sheet only.
    url = client.get(f"/api/v1/resources/{RESOURCE}").json()["url"]
    assert url.endswith("/export.xlsx"), url
    served = openpyxl.load_workbook(io.BytesIO(client.get(url.removeprefix("http://testserver")).content))
    cells = [c for sheet in served for row in sheet.iter_rows(values_only=True) for c in row]
    assert "Eixample" in cells and not any(dni in cells for dni in people)
    assert "persona1@example.cat" not in cells
    # The editors keep the whole workbook, and are told where the personal data is, masked.
    kept = openpyxl.load_workbook(io.BytesIO(client.get(original, headers=admin).content))
    assert kept.sheetnames == ["Resum", "Detall"]
    versions = client.get(f"/api/v1/datastore/{RESOURCE}/versions", headers=admin)
    [part] = versions.json()["data"][0]["file_held"]
    assert part["where"] == "sheet Detall" and part["checked"]
    assert {(f["column"], f["kind"]) for f in part["findings"]} >= {("dni", "dni"), ("correu", "email")}
    assert not any(dni in versions.text for dni in people) and "persona1@example.cat" not in versions.text
    assert client.get(f"/api/v1/datastore/{RESOURCE}/versions").json()["data"][0]["file_held"] == []


def test_a_workbook_whose_other_sheets_are_clean_is_published_whole(
    client: TestClient, admin: dict[str, str], org: dict[str, Any], tmp_path: Path
) -> None:
    _workbook(tmp_path / "equipaments.xlsx", people=None)
    original = _publish(client, admin, tmp_path / "equipaments.xlsx")
    assert client.get(original).status_code == 200
    assert client.get(f"/api/v1/resources/{RESOURCE}").json()["url"].endswith("/download/equipaments.xlsx")


def test_a_row_left_out_of_the_table_is_still_scanned_in_the_file(
    client: TestClient, admin: dict[str, str], org: dict[str, Any], tmp_path: Path
) -> None:
    dni = _dnis(1)[0]
    lines = ["districte,equipaments", *(f"Districte {i},{i}" for i in range(200))]
    lines.insert(120, f"Maria Puig Soler,{dni},maria.puig@example.cat")  # more fields: left out
    (tmp_path / "equipaments.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    original = _publish(client, admin, tmp_path / "equipaments.csv")

    assert client.get(original).status_code == 403
    url = client.get(f"/api/v1/resources/{RESOURCE}").json()["url"]
    assert url.endswith("/export.csv"), url
    served = client.get(url.removeprefix("http://testserver")).text
    assert served.count("\n") == 201 and dni not in served
    assert dni in client.get(original, headers=admin).text
    versions = client.get(f"/api/v1/datastore/{RESOURCE}/versions", headers=admin).json()
    assert dni not in json.dumps(versions)


def test_what_wraps_a_json_files_records_is_scanned_too(
    client: TestClient, admin: dict[str, str], org: dict[str, Any], tmp_path: Path
) -> None:
    dni = _dnis(1)[0]
    doc = {
        "meta": {"requested_by": {"nom": "Maria Puig Soler", "dni": dni}},
        "data": [{"districte": name, "equipaments": count} for name, count in DISTRICTS],
    }
    (tmp_path / "equipaments.json").write_text(json.dumps(doc), encoding="utf-8")
    original = _publish(client, admin, tmp_path / "equipaments.json")
    assert client.get(original).status_code == 403
    url = client.get(f"/api/v1/resources/{RESOURCE}").json()["url"]
    assert url.endswith("/export.json"), url
    served = client.get(url.removeprefix("http://testserver")).text
    assert "Eixample" in served and dni not in served and "Maria Puig" not in served
    versions = client.get(f"/api/v1/datastore/{RESOURCE}/versions", headers=admin).json()
    [part] = versions["data"][0]["file_held"]
    assert part["where"] == "the JSON around the records"


def test_an_override_of_the_tables_findings_does_not_release_the_rest_of_the_file(
    client: TestClient, admin: dict[str, str], org: dict[str, Any], tmp_path: Path
) -> None:
    people = _dnis(30)
    book = openpyxl.Workbook()
    first = book.active
    first.append(["districte", "responsable"])  # the table: a DNI per district, overridden below
    for (name, _), dni in zip(DISTRICTS, people, strict=False):
        first.append([name, dni])
    other = book.create_sheet("Detall")
    other.append(["nom", "dni"])
    for i, dni in enumerate(people):
        other.append([f"Persona {i}", dni])
    book.save(tmp_path / "equipaments.xlsx")
    make_dataset(client, admin, DATASET)
    upload(client, admin, RESOURCE, tmp_path / "equipaments.xlsx")
    run_jobs(portal_of(client))
    why = "Public officials' identifiers, published by law in the council's transparency portal."
    given = [{"column": "responsable", "kind": "dni", "justification": why}]
    response = client.post(
        f"/api/v1/datastore/{RESOURCE}/versions/1/override", json={"overrides": given}, headers=admin
    )
    assert response.status_code == 200, response.text
    # The table is published as it is; the workbook's other sheet still keeps the file the editors'.
    url = client.get(f"/api/v1/resources/{RESOURCE}").json()["url"]
    assert url.endswith("/export.xlsx"), url
    original = client.get(f"/api/v1/resources/{RESOURCE}", headers=admin).json()["url"]
    assert client.get(original.removeprefix("http://testserver")).status_code == 403
