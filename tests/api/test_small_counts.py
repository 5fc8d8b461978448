"""Statistics about people: small counts are hidden in rows, exports and aggregates, as in the census."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient

from obert.demo import FILES
from tests.api.datastore_helpers import make_dataset, portal_of, run_jobs, upload
from tests.demo_copy import ensure_demo

EDUCATION = FILES / "educacion_sample_2023.csv"
REF = "padro-taula"
URL = f"/api/v1/datastore/{REF}"


def _published(client: TestClient, admin: dict[str, str]) -> None:
    make_dataset(client, admin, name="padro")
    upload(client, admin, REF, EDUCATION)
    assert run_jobs(portal_of(client)) == 1
    assert client.get(URL).json()["active"] is True


def _protect(client: TestClient, headers: dict[str, str], **body: Any) -> Any:
    return client.patch(URL, json={"statistics_about_people": True, **body}, headers=headers)


def test_small_counts_vanish_from_rows_exports_and_aggregates(
    client: TestClient, admin: dict[str, str], org: dict[str, Any]
) -> None:
    _published(client, admin)
    raw = client.get(f"{URL}/rows", params={"limit": 1000, "fields": "Valor"}).json()["data"]
    small = [r["Valor"] for r in raw if r["Valor"] is not None and 0 < r["Valor"] < 10]
    assert small, "the sample needs counts under 10 to show the rule"
    groups = {"group_by": "Seccio_Censal,NIV_EDUCA_esta", "metrics": "sum:Valor", "limit": 10_000}
    before = client.get(f"{URL}/aggregate", params=groups).json()
    assert "suppressed_groups" not in before
    assert [r for r in before["data"] if (r["sum_Valor"] or 0) < 10]

    set_ = _protect(client, admin, min_count=10, count_columns=["Valor"])
    assert set_.status_code == 200, set_.text
    assert set_.json() == {"statistics_about_people": True, "min_count": 10, "count_columns": ["Valor"]}
    info = client.get(URL).json()
    assert info["statistics_about_people"] is True and info["min_count"] == 10

    rows = client.get(f"{URL}/rows", params={"limit": 1000, "fields": "Valor"}).json()["data"]
    values = [r["Valor"] for r in rows]
    assert len(values) == len(raw)
    assert not [v for v in values if v is not None and 0 < v < 10]
    assert sum(v is None for v in values) == sum(r["Valor"] is None for r in raw) + len(small)
    assert [v for v in values if v is not None] == [
        r["Valor"] for r in raw if r["Valor"] is not None and not 0 < r["Valor"] < 10
    ]

    exported = client.get(f"{URL}/export.csv", params={"limit": 1000})
    cells = [r["Valor"] for r in csv.DictReader(io.StringIO(exported.text))]
    assert not [c for c in cells if c and 0 < int(c) < 10]
    assert client.get(f"{URL}/export.parquet").content[:4] == b"PAR1"

    # Aggregates add up the published cells only, and say how many cells of each group are empty.
    agg = client.get(f"{URL}/aggregate", params=groups).json()
    assert agg["min_count"] == 10 and agg["suppressed_groups"] == 0
    assert agg["count"] == before["count"]
    every = client.get(f"{URL}/export.csv", params={"fields": "Seccio_Censal,NIV_EDUCA_esta,Valor"})
    published: dict[tuple[int, int], list[int | None]] = {}
    for r in csv.DictReader(io.StringIO(every.text)):
        key = (int(r["Seccio_Censal"]), int(r["NIV_EDUCA_esta"]))
        published.setdefault(key, []).append(int(r["Valor"]) if r["Valor"] else None)
    for group in agg["data"]:
        cells = published[group["Seccio_Censal"], group["NIV_EDUCA_esta"]]
        shown = [v for v in cells if v is not None]
        assert group["sum_Valor"] == (sum(shown) if shown else None)
        assert group["hidden_Valor"] == len(cells) - len(shown)
    assert [g for g in agg["data"] if g["hidden_Valor"]]

    # Filtering or sorting on the hidden column would tell the hidden values apart.
    refused = client.get(f"{URL}/rows", params={"Valor__lt": 10})
    assert refused.status_code == 422 and "filters.Valor" in refused.text
    assert client.get(f"{URL}/rows", params={"sort": "-Valor"}).status_code == 422
    sql = client.get("/api/v1/datastore/sql", params={"sql": "SELECT Valor FROM padro_taula"})
    assert sql.status_code == 422 and "statistics about people" in sql.text
    assert client.get(f"{URL}/diff", params={"from": 1, "to": 1}).status_code == 422

    # Unmarking brings the published values back.
    off = client.patch(URL, json={"statistics_about_people": False}, headers=admin)
    assert off.status_code == 200 and off.json()["statistics_about_people"] is False
    again = client.get(f"{URL}/rows", params={"limit": 1000, "fields": "Valor"}).json()["data"]
    assert again == raw


def test_only_editors_mark_a_table_and_bad_settings_are_named(
    client: TestClient, admin: dict[str, str], org: dict[str, Any]
) -> None:
    _published(client, admin)
    assert _protect(client, {}).status_code == 401
    wrong = _protect(client, admin, count_columns=["Nom_Barri", "Nope"])
    assert wrong.status_code == 422
    fields = {e["field"] for e in wrong.json()["errors"]}
    assert fields == {"count_columns[0]", "count_columns[1]"}
    low = _protect(client, admin, min_count=1)
    assert low.status_code == 422
    assert "min_count" in low.text
    # Default threshold 5, and a table of one row per person is protected by group sizes alone.
    ok = _protect(client, admin)
    assert ok.json() == {"statistics_about_people": True, "min_count": 5, "count_columns": []}
    agg = client.get(f"{URL}/aggregate", params={"group_by": "Seccio_Censal", "metrics": "count"}).json()
    assert agg["suppressed_groups"] >= 0 and all(r["count"] >= 5 for r in agg["data"])


@pytest.mark.demo
def test_the_demo_padro_table_is_served_like_the_census(client: TestClient) -> None:
    ensure_demo(portal_of(client))
    url = "/api/v1/datastore/pad-niv-educa-sexe-2023"
    assert client.get(url).json()["count_columns"] == ["Valor"]
    values = [r["Valor"] for r in client.get(f"{url}/rows", params={"limit": 1000}).json()["data"]]
    assert None in values and not [v for v in values if v is not None and 0 < v < 5]
    agg = client.get(
        f"{url}/aggregate", params={"group_by": "Seccio_Censal,SEXE,NIV_EDUCA_esta", "metrics": "sum:Valor"}
    ).json()
    assert agg["min_count"] == 5 and agg["suppressed_groups"] == 0
    sums = [g["sum_Valor"] for g in agg["data"]]
    assert None in sums and not [v for v in sums if v is not None and 0 < v < 5]
    assert sum(g["hidden_Valor"] for g in agg["data"]) == values.count(None)
