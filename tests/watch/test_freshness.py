from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from obert.auth import ANONYMOUS, SYSTEM
from obert.catalog import datasets
from obert.catalog.common import validated
from obert.catalog.models import DatasetInput
from obert.portal import Portal
from obert.watch.freshness import expected_interval, parse_duration
from obert.watch.late import list_freshness
from tests.conftest import dataset_payload


def ago(days: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat(timespec="seconds")


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("P1Y", 365.25),
        ("P6M", 182.64),
        ("P2W", 14),
        ("P1D", 1),
        ("PT12H", 0.5),
        ("PT84H", 3.5),
        ("P1DT6H", 1.25),
    ],
)
def test_iso_8601_durations(text: str, days: float) -> None:
    assert parse_duration(text).total_seconds() / 86400 == pytest.approx(days)


@pytest.mark.parametrize("bad", ["", "P", "PT", "1Y", "P1.5Y", "monthly"])
def test_bad_durations_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(bad)


def test_frequencies_without_a_rhythm_promise_nothing() -> None:
    for code in ("IRREG", "UNKNOWN", "NEVER", "UPDATE_CONT", "CONT", "OTHER", None):
        assert expected_interval(code) is None
    assert expected_interval("MONTHLY") == timedelta(days=30.44)


def test_late_datasets_are_flagged_and_fresh_ones_are_not(
    client: TestClient, admin: dict[str, str], org: dict[str, Any]
) -> None:
    cases = {
        "late-monthly": ("MONTHLY", ago(92)),
        "fresh-monthly": ("MONTHLY", ago(5)),
        "monthly-in-grace": ("MONTHLY", ago(34)),  # 30.44 days + 10% + 2 days of grace
        "irregular": ("IRREG", ago(3000)),
        "unknown": ("UNKNOWN", ago(3000)),
        "never": ("NEVER", ago(3000)),
        "continuous": ("UPDATE_CONT", ago(3000)),
        "late-annual": ("ANNUAL", ago(800)),
    }
    for name, (frequency, modified) in cases.items():
        payload = dataset_payload(name=name, frequency=frequency, modified=modified, issued=None)
        assert client.post("/api/v1/datasets", json=payload, headers=admin).status_code == 201

    one = client.get("/api/v1/datasets/late-monthly/freshness").json()
    assert one["late"] is True and one["status"] == "late"
    assert one["expected_every_days"] == 30.44 and one["late_by_days"] == pytest.approx(92 - 35.48, abs=0.1)
    assert client.get("/api/v1/datasets/fresh-monthly/freshness").json()["status"] == "fresh"
    assert client.get("/api/v1/datasets/irregular/freshness").json()["status"] == "not_applicable"

    late = client.get("/api/v1/freshness", params={"late": "true"}).json()
    assert [f["dataset_name"] for f in late["data"]] == ["late-annual", "late-monthly"]  # the latest first
    everything = client.get("/api/v1/freshness", params={"organization": "guardia-urbana"}).json()
    assert everything["count"] == len(cases)
    assert not client.get("/api/v1/freshness", params={"late": "true", "organization": "nobody"}).is_success

    page = client.get("/en/dataset/late-monthly").text
    assert page.count("Update overdue") == 1 and "expected monthly, last updated 3 months ago" in page
    assert "Actualització endarrerida" in client.get("/ca/dataset/late-monthly").text
    for fresh in ("fresh-monthly", "monthly-in-grace", "irregular", "continuous"):
        assert "Update overdue" not in client.get(f"/en/dataset/{fresh}").text, fresh


def test_an_uploaded_file_counts_as_an_update(
    client: TestClient, admin: dict[str, str], org: dict[str, Any]
) -> None:
    payload = dataset_payload(frequency="WEEKLY", modified=ago(60), issued=None)
    client.post("/api/v1/datasets", json=payload, headers=admin)
    assert client.get("/api/v1/datasets/accidents-2018/freshness").json()["late"] is True
    res = client.post("/api/v1/datasets/accidents-2018/resources", json={"title": {"en": "x"}}, headers=admin)
    assert client.get("/api/v1/datasets/accidents-2018/freshness").json()["late"] is True  # metadata only
    client.post(
        f"/api/v1/resources/{res.json()['id']}/upload",
        files={"file": ("week.csv", b"a\n1\n", "text/csv")},
        headers=admin,
    )
    assert client.get("/api/v1/datasets/accidents-2018/freshness").json()["late"] is False


def test_private_datasets_freshness_is_private(
    client: TestClient, admin: dict[str, str], org: dict[str, Any]
) -> None:
    client.post(
        "/api/v1/datasets", json=dataset_payload(visibility="private", modified=ago(900)), headers=admin
    )
    assert client.get("/api/v1/datasets/accidents-2018/freshness").status_code == 404
    assert client.get("/api/v1/freshness").json()["count"] == 0
    assert client.get("/api/v1/freshness", headers=admin).json()["count"] == 1


def test_the_list_says_of_each_dataset_what_its_own_freshness_says(
    client: TestClient, admin: dict[str, str], org: dict[str, Any]
) -> None:
    def dataset(name: str, **fields: Any) -> None:
        payload = dataset_payload(name=name, issued=None, **fields)
        assert client.post("/api/v1/datasets", json=payload, headers=admin).status_code == 201

    def resource(dataset: str, **fields: Any) -> str:
        body = {"title": {"en": "x"}, **fields}
        answer = client.post(f"/api/v1/datasets/{dataset}/resources", json=body, headers=admin)
        assert answer.status_code == 201, answer.text
        return str(answer.json()["id"])

    def upload(resource_id: str) -> None:
        file = {"file": ("week.csv", b"a\n1\n", "text/csv")}
        assert client.post(f"/api/v1/resources/{resource_id}/upload", files=file, headers=admin).is_success

    dataset("dated-by-resource", frequency="WEEKLY", modified=ago(60))
    resource("dated-by-resource", modified=ago(1))
    dataset("upload-to-a-deleted-resource", frequency="WEEKLY", modified=ago(60))
    gone = resource("upload-to-a-deleted-resource")
    upload(gone)
    assert client.delete(f"/api/v1/resources/{gone}", headers=admin).is_success
    dataset("uploaded", frequency="WEEKLY", modified=ago(60))
    upload(resource("uploaded"))
    dataset("undated", frequency="MONTHLY", modified=None)
    dataset("private-late", frequency="WEEKLY", modified=ago(60), visibility="private")

    listed = {f["dataset_name"]: f for f in client.get("/api/v1/freshness", headers=admin).json()["data"]}
    assert len(listed) == 5
    for name, item in listed.items():
        assert item == client.get(f"/api/v1/datasets/{name}/freshness", headers=admin).json()
    assert [listed[n]["late"] for n in ("dated-by-resource", "upload-to-a-deleted-resource", "uploaded")] == [
        False,
        True,
        False,
    ]
    assert {f["dataset_name"] for f in client.get("/api/v1/freshness").json()["data"]} == set(listed) - {
        "private-late"
    }


def test_the_list_comes_a_page_at_a_time(
    client: TestClient, admin: dict[str, str], org: dict[str, Any]
) -> None:
    for n in range(5):
        payload = dataset_payload(name=f"monthly-{n}", frequency="MONTHLY", modified=ago(40 + n), issued=None)
        assert client.post("/api/v1/datasets", json=payload, headers=admin).status_code == 201
    whole = client.get("/api/v1/freshness").json()
    assert whole["count"] == 5 and whole["next"] is None
    pages, cursor = [], None
    while True:
        page = client.get(
            "/api/v1/freshness", params={"limit": 2} | ({"cursor": cursor} if cursor else {})
        ).json()
        assert page["count"] == 5
        pages.append([f["dataset_name"] for f in page["data"]])
        if (cursor := page["next"]) is None:
            break
    assert pages == [["monthly-4", "monthly-3"], ["monthly-2", "monthly-1"], ["monthly-0"]]  # latest first
    assert [name for page in pages for name in page] == [f["dataset_name"] for f in whole["data"]]
    assert client.get("/api/v1/freshness", params={"cursor": "bm9wZQ"}).status_code == 422


def test_the_kept_list_follows_the_clock_and_every_change(portal: Portal) -> None:
    def create(name: str, **fields: Any) -> None:
        payload = dataset_payload(name=name, organization=None, issued=None, **fields)
        datasets.create_dataset(store=portal.store, actor=SYSTEM, data=validated(DatasetInput, payload))

    def listed(**kwargs: Any) -> list[tuple[str, bool]]:
        page = list_freshness(store=portal.store, actor=SYSTEM, **kwargs)
        return [(f.dataset_name, f.late) for f in page.items]

    create("weekly", frequency="WEEKLY", modified=ago(1))
    create("monthly", frequency="MONTHLY", modified=ago(60))
    create("annual", frequency="ANNUAL", modified=ago(500))
    create("irregular", frequency="IRREG", modified=ago(900))
    now = datetime.now(UTC)
    assert listed(now=now) == [("annual", True), ("monthly", True), ("irregular", False), ("weekly", False)]
    # Thirty days on, with nothing changed, the weekly one is late too: least late last among the late.
    later = now + timedelta(days=30)
    assert listed(now=later)[:3] == [("annual", True), ("monthly", True), ("weekly", True)]
    assert listed(now=later, late_only=True, offset=1, limit=1) == [("monthly", True)]
    assert list_freshness(store=portal.store, actor=SYSTEM, now=later, late_only=True).count == 3

    datasets.patch_dataset(store=portal.store, actor=SYSTEM, ref="monthly", patch={"modified": ago(0)})
    assert listed(now=now) == [("annual", True), ("irregular", False), ("monthly", False), ("weekly", False)]
    assert listed(now=now, offset=2, limit=5) == [("monthly", False), ("weekly", False)]
    datasets.patch_dataset(store=portal.store, actor=SYSTEM, ref="annual", patch={"visibility": "private"})
    assert [name for name, _ in listed(now=now)] == ["annual", "irregular", "monthly", "weekly"]
    anonymous = list_freshness(store=portal.store, actor=ANONYMOUS, now=now)
    assert [f.dataset_name for f in anonymous.items] == ["irregular", "monthly", "weekly"]
