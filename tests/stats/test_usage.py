from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from obert.portal import Portal
from obert.stats.counter import UsageCounter, is_bot
from obert.stats.usage import flush
from obert.storage.tables import metadata
from obert.storage.tables.transparency import usage_daily
from tests.api.datastore_helpers import run_jobs
from tests.conftest import dataset_payload

PERSON = {
    "User-Agent": "Mozilla/5.0 (X11; Linux) PrivacyProbe/1.0",
    "Cookie": "lang=en; session=probe-cookie",
}
CRAWLER = {"User-Agent": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"}


def test_views_downloads_and_api_calls_are_counted_per_dataset_and_day(
    client: TestClient, portal: Portal, admin: dict[str, str], org: dict[str, Any]
) -> None:
    client.post("/api/v1/datasets", json=dataset_payload(), headers=admin)
    client.post("/api/v1/datasets", json=dataset_payload(name="quiet"), headers=admin)
    res = client.post(
        "/api/v1/datasets/accidents-2018/resources", json={"title": {"en": "csv"}}, headers=admin
    )
    uploaded = client.post(
        f"/api/v1/resources/{res.json()['id']}/upload",
        files={"file": ("a.csv", b"a,b\n1,2\n", "text/csv")},
        headers=admin,
    ).json()
    run_jobs(portal)  # the upload is read into a table (and checked) before anyone but its editors has it
    portal.usage.drain()  # forget the set-up's own requests

    for path in ("/dataset/accidents-2018", "/en/dataset/accidents-2018", "/ca/dataset/accidents-2018"):
        assert client.get(path, headers=PERSON).status_code == 200
    assert client.get(uploaded["url"].removeprefix("http://testserver"), headers=PERSON).status_code == 200
    assert client.get("/api/v1/datasets/accidents-2018", headers=PERSON).status_code == 200
    assert client.get(f"/api/v1/resources/{res.json()['id']}", headers=PERSON).status_code == 200
    assert client.get("/dataset/accidents-2018", headers=CRAWLER).status_code == 200
    assert client.get("/dataset/no-such-dataset", headers=PERSON).status_code == 404  # not a visit
    assert client.get("/datasets", headers=PERSON).status_code == 200  # no dataset named: not counted
    assert flush(portal.store, portal.usage) == 4  # view, download, api and bot rows of one dataset

    stats = client.get("/api/v1/datasets/accidents-2018/stats").json()
    assert stats["totals"] == {"view": 3, "download": 1, "api": 2, "bot": 1}
    assert stats["daily"] == [{"day": date.today().isoformat(), "counts": stats["totals"]}]
    portal_stats = client.get("/api/v1/stats").json()
    (top,) = portal_stats["top"]
    assert top["name"] == "accidents-2018" and top["total"] == 6  # crawlers are counted apart
    assert portal_stats["by_month"] == [{"month": date.today().strftime("%Y-%m"), "counts": stats["totals"]}]
    assert portal_stats["by_publisher"][0]["organization"]["name"] == "guardia-urbana"

    page = client.get("/en/stats")
    assert page.status_code == 200
    assert page.text.count("<tbody>") == 3 and '/organization/guardia-urbana">' in page.text
    assert "Most used datasets" in page.text and "Traffic accidents 2018" in page.text
    assert "Estadístiques d'ús" in client.get("/ca/stats").text


def test_no_address_user_agent_cookie_or_person_is_stored_anywhere(
    client: TestClient, portal: Portal, admin: dict[str, str], org: dict[str, Any]
) -> None:
    client.post("/api/v1/datasets", json=dataset_payload(), headers=admin)
    for _ in range(3):
        client.get("/dataset/accidents-2018", headers=PERSON)
        client.get("/api/v1/datasets/accidents-2018", headers=PERSON)
        client.get("/dataset/accidents-2018", headers=CRAWLER)
    flush(portal.store, portal.usage)
    assert set(usage_daily.c.keys()) == {"dataset_id", "day", "kind", "count"}
    with portal.store.read() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(sa.select(table)):
                text = " ".join(str(value) for value in row)
                # TestClient connects from the address "testclient"
                for trace in ("PrivacyProbe", "Googlebot", "Mozilla", "probe-cookie", "testclient"):
                    assert trace not in text, (table.name, trace)
        assert conn.execute(sa.select(sa.func.sum(usage_daily.c["count"]))).scalar_one() == 9


def test_counts_from_several_processes_add_up(
    client: TestClient, portal: Portal, admin: dict[str, str], org: dict[str, Any]
) -> None:
    dataset = client.post("/api/v1/datasets", json=dataset_payload(), headers=admin).json()
    first, second = UsageCounter(), UsageCounter()
    for _ in range(5):
        first.add("dataset", "accidents-2018", "view")
    second.add("dataset", dataset["id"], "view")
    second.add("dataset", "no-such-dataset", "view")
    flush(portal.store, first)
    flush(portal.store, second)
    flush(portal.store, first)  # nothing left to add
    with portal.store.read() as conn:
        rows = conn.execute(sa.select(usage_daily)).all()
    assert [(r.dataset_id, r.kind, r._mapping["count"]) for r in rows] == [(dataset["id"], "view", 6)]


def test_crawlers_are_told_apart_by_what_they_say_they_are() -> None:
    assert is_bot(CRAWLER["User-Agent"])
    assert is_bot("Mozilla/5.0 (compatible; bingbot/2.0)") and is_bot("facebookexternalhit/1.1")
    assert not is_bot(PERSON["User-Agent"]) and not is_bot("curl/8.5.0") and not is_bot("python-httpx/0.27")


def test_bad_periods_are_refused(client: TestClient) -> None:
    assert client.get("/api/v1/stats", params={"days": 0}).status_code == 422
    assert client.get("/api/v1/datasets/nope/stats").status_code == 404
