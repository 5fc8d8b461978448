"""The catalogue's quality list: scores kept per process follow every change, from any process, and the
list comes a page at a time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient

from obert.auth import SYSTEM
from obert.catalog import datasets
from obert.catalog.common import validated
from obert.catalog.models import DatasetInput
from obert.portal import Portal
from obert.quality.linkcheck import stored_statuses
from obert.quality.score import score_dataset
from obert.storage import Store
from obert.watch.links import record_check
from tests.conftest import dataset_payload


def _create(portal: Portal, name: str, **overrides: Any) -> None:
    payload = dataset_payload(name=name, organization=None, **overrides)
    datasets.create_dataset(store=portal.store, actor=SYSTEM, data=validated(DatasetInput, payload))


def _listed(client: TestClient, query: str = "") -> dict[str, int]:
    body = client.get(f"/api/v1/quality?limit=1000{query}").json()
    return {item["dataset"]: item["points"] for item in body["data"]}


def _expected(portal: Portal, name: str) -> int:
    dataset = datasets.get_dataset(store=portal.store, actor=SYSTEM, ref=name)
    links = stored_statuses(store=portal.store)
    return score_dataset(dataset, base_url=portal.settings.base_url, links=links).points


def test_the_list_follows_changes_to_datasets_and_resources(client: TestClient, portal: Portal) -> None:
    _create(portal, "bare", keywords={}, themes=[])
    _create(portal, "full")
    before = _listed(client)
    assert before == {"bare": _expected(portal, "bare"), "full": _expected(portal, "full")}

    datasets.patch_dataset(
        store=portal.store, actor=SYSTEM, ref="bare", patch={"keywords": {"ca": ["aigua"]}}
    )
    after = _listed(client)
    assert after["bare"] == before["bare"] + 30 == _expected(portal, "bare")  # keywords are worth 30

    datasets.patch_dataset(store=portal.store, actor=SYSTEM, ref="full", patch={"visibility": "private"})
    assert set(_listed(client)) == {"bare"}  # a private dataset leaves what anonymous visitors are told
    assert client.get("/api/v1/quality").json()["datasets"] == 1
    datasets.delete_dataset(store=portal.store, actor=SYSTEM, ref="bare")
    assert _listed(client) == {}


def test_a_link_check_moves_the_score_of_the_datasets_that_link_there(
    client: TestClient, portal: Portal
) -> None:
    _create(
        portal,
        "linked",
        resources=[{"title": {"ca": "CSV"}, "format": "CSV", "access_url": "https://example.org/x"}],
    )
    unchecked = _listed(client)["linked"]
    with portal.store.begin() as conn:
        result = {"ok": True, "status": 200, "final_url": None, "content_type": None, "content_length": None}
        record_check(
            conn, "https://example.org/x", {**result, "latency_ms": 5, "error": None}, at=datetime.now(UTC)
        )
    checked = _listed(client)["linked"]
    assert checked == unchecked + 50 == _expected(portal, "linked")  # the access URL answers: 50 points


def test_a_change_made_by_another_process_is_seen(client: TestClient, portal: Portal) -> None:
    _create(portal, "elsewhere", keywords={}, themes=[])
    before = _listed(client)["elsewhere"]
    other = Store(portal.settings.database_url)  # another process's connections to the same database
    try:
        datasets.patch_dataset(store=other, actor=SYSTEM, ref="elsewhere", patch={"themes": ["ENVI"]})
    finally:
        other.dispose()
    assert _listed(client)["elsewhere"] == before + 30 == _expected(portal, "elsewhere")


def test_the_list_comes_a_page_at_a_time(client: TestClient, portal: Portal) -> None:
    for n in range(5):
        _create(portal, f"d{n}", keywords={} if n % 2 else {"ca": ["x"]})
    whole = client.get("/api/v1/quality?limit=1000").json()
    assert whole["count"] == whole["datasets"] == 5 and whole["next"] is None
    seen, url = [], "/api/v1/quality?limit=2"
    while True:
        page = client.get(url).json()
        assert page["count"] == 5 and page["points"] == whole["points"]  # the summary is of them all
        seen += page["data"]
        if page["next"] is None:
            break
        url = f"/api/v1/quality?limit=2&cursor={page['next']}"
    assert seen == whole["data"]
    assert [d["points"] for d in seen] == sorted(d["points"] for d in seen)
    assert client.get("/api/v1/quality?cursor=bm9wZQ").status_code == 422  # "nope"
    assert client.get("/api/v1/quality?limit=1001").status_code == 422
