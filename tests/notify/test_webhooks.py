from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Connection

from obert.app import create_app
from obert.auth.users import create_token, create_user
from obert.jobs import JobState, list_jobs, tick
from obert.notify import webhooks
from obert.notify.signing import verify
from obert.portal import Portal, build_portal
from obert.settings import Settings
from obert.storage.tables.catalog import activity
from obert.storage.tables.jobs import jobs
from obert.storage.tables.transparency import subscriptions
from tests.conftest import bearer, dataset_payload
from tests.receiver import Receiver, receiver

pytestmark = pytest.mark.settings(http_allowlist="127.0.0.1", webhook_disable_after=3)


@pytest.fixture
def hook() -> Iterator[Receiver]:
    with receiver() as server:
        yield server


@pytest.fixture
def reader(portal: Portal) -> dict[str, str]:
    """An ordinary account: no organisation, no admin rights."""
    create_user(store=portal.store, name="reader", password="correct horse battery")
    return bearer(create_token(store=portal.store, user_ref="reader", name="hooks").secret)


def dispatch(portal: Portal, *, later: float = 10.0) -> int:
    config = webhooks.WebhookConfig("http://testserver", 5.0, 8, portal.settings.webhook_disable_after)
    with portal.store.begin() as conn:
        # Rows are read once they are a few seconds old (see COMMIT_LAG): look from a little later.
        step = webhooks.dispatch_events(conn, now=datetime.now(UTC) + timedelta(seconds=later), config=config)
    return step.queued


def run_due_job(portal: Portal) -> bool:
    return portal.job_runner(0).run_once()


def make_due_now(portal: Portal) -> None:
    with portal.store.begin() as conn:
        conn.execute(jobs.update().where(jobs.c.state == "queued").values(run_after=datetime.now(UTC)))


def subscribe(client: TestClient, headers: dict[str, str], url: str, **target: Any) -> dict[str, Any]:
    response = client.post("/api/v1/subscriptions", json={"url": url, **target}, headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_signed_event_is_delivered_after_an_update(
    client: TestClient,
    portal: Portal,
    admin: dict[str, str],
    org: dict[str, Any],
    reader: dict[str, str],
    hook: Receiver,
) -> None:
    client.post("/api/v1/datasets", json=dataset_payload(), headers=admin)
    sub = subscribe(client, reader, f"{hook.url}/hook", dataset="accidents-2018")
    assert sub["secret"].startswith("whsec_")
    assert "secret" not in client.get(f"/api/v1/subscriptions/{sub['id']}", headers=reader).json()

    patch = {"title": {"ca": "Accidents 2018", "en": "Accidents in 2018"}, "license": "CC0"}
    assert client.patch("/api/v1/datasets/accidents-2018", json=patch, headers=admin).status_code == 200
    assert dispatch(portal, later=0) == 0  # too fresh: an earlier transaction might still be committing
    assert dispatch(portal) == 1
    assert dispatch(portal) == 0  # the cursor moved on: nothing is queued twice
    assert run_due_job(portal)

    (request,) = hook.requests
    assert request.method == "POST" and request.path == "/hook"
    assert verify(sub["secret"], request.headers["X-Obert-Signature"], request.body)
    assert not verify("whsec_wrong", request.headers["X-Obert-Signature"], request.body)
    assert not verify(sub["secret"], request.headers["X-Obert-Signature"], request.body + b" ")
    event = json.loads(request.body)
    assert event["type"] == "dataset.updated" == request.headers["X-Obert-Event"]
    assert event["changes"] == ["title", "license"]
    assert event["summary"]["en"] == "Accidents in 2018: changed title, licence"
    assert event["summary"]["ca"] == "Accidents 2018: canvis a títol, llicència"
    assert event["dataset"]["name"] == "accidents-2018"

    (delivery,) = client.get(f"/api/v1/subscriptions/{sub['id']}/deliveries", headers=reader).json()
    assert delivery["state"] == "delivered"
    assert delivery["last_status"] == 200 and delivery["attempts"] == 1
    assert delivery["last_duration_ms"] is not None and delivery["event_id"] == event["id"]


def test_a_failed_delivery_is_retried_with_back_off_then_succeeds(
    client: TestClient,
    portal: Portal,
    admin: dict[str, str],
    org: dict[str, Any],
    reader: dict[str, str],
    hook: Receiver,
) -> None:
    sub = subscribe(client, reader, f"{hook.url}/hook", organization="guardia-urbana")
    client.post("/api/v1/datasets", json=dataset_payload(), headers=admin)
    hook.statuses = [500]
    assert dispatch(portal) == 1
    before = datetime.now(UTC)
    assert run_due_job(portal)
    (delivery,) = client.get(f"/api/v1/subscriptions/{sub['id']}/deliveries", headers=reader).json()
    assert delivery["state"] == "pending" and delivery["last_status"] == 500
    assert delivery["last_error"].startswith("HTTP 500")
    (job,) = list_jobs(portal.store, kind="webhook")
    assert job.state is JobState.QUEUED and job.run_after > before + timedelta(seconds=0.4)
    assert not run_due_job(portal)  # backing off: not due yet

    make_due_now(portal)
    assert run_due_job(portal)
    (delivery,) = client.get(f"/api/v1/subscriptions/{sub['id']}/deliveries", headers=reader).json()
    assert delivery["state"] == "delivered" and delivery["attempts"] == 2 and delivery["last_status"] == 200
    assert len(hook.requests) == 2
    first, second = (json.loads(r.body) for r in hook.requests)
    assert first["id"] == second["id"] and first["type"] == "dataset.created"
    assert (
        client.get(f"/api/v1/subscriptions/{sub['id']}", headers=reader).json()["consecutive_failures"] == 0
    )


def test_a_subscription_failing_again_and_again_is_disabled_with_the_reason(
    client: TestClient,
    portal: Portal,
    admin: dict[str, str],
    org: dict[str, Any],
    reader: dict[str, str],
    hook: Receiver,
) -> None:
    sub = subscribe(client, reader, f"{hook.url}/hook", search={"q": "accidents"})
    client.post("/api/v1/datasets", json=dataset_payload(), headers=admin)
    hook.statuses = [503] * 10
    assert dispatch(portal) == 1
    for _ in range(3):
        make_due_now(portal)
        assert run_due_job(portal)
    shown = client.get(f"/api/v1/subscriptions/{sub['id']}", headers=reader).json()
    assert shown["active"] is False
    assert (
        "3 failed deliveries in a row" in shown["disabled_reason"] and "HTTP 503" in shown["disabled_reason"]
    )
    (job,) = list_jobs(portal.store, kind="webhook")
    assert job.state is JobState.FAILED  # no more retries once disabled
    client.patch("/api/v1/datasets/accidents-2018", json={"version": "2"}, headers=admin)
    assert dispatch(portal) == 0  # a disabled subscription gets nothing

    enabled = client.patch(f"/api/v1/subscriptions/{sub['id']}", json={"active": True}, headers=reader).json()
    assert enabled["active"] is True and enabled["disabled_reason"] is None


def test_loopback_urls_are_refused_unless_allow_listed(
    tmp_path: Path, database_url: str, portal: Portal, client: TestClient, reader: dict[str, str]
) -> None:
    strict = Settings(mode="test", data_dir=tmp_path / "strict", database_url=database_url)
    strict_portal = build_portal(strict)
    try:
        strict_client = TestClient(create_app(strict, portal=strict_portal))
        for url in ("http://127.0.0.1:9/hook", "http://169.254.169.254/latest", "http://10.1.2.3/"):
            response = strict_client.post(
                "/api/v1/subscriptions", json={"url": url, "search": {"q": "x"}}, headers=reader
            )
            assert response.status_code == 422, url
            (error,) = response.json()["errors"]
            assert error["field"] == "url" and "OBERT_HTTP_ALLOWLIST" in error["message"]
    finally:
        strict_portal.close()


def test_the_ssrf_guard_runs_again_at_delivery(
    client: TestClient,
    portal: Portal,
    admin: dict[str, str],
    org: dict[str, Any],
    reader: dict[str, str],
    hook: Receiver,
) -> None:
    sub = subscribe(client, reader, f"{hook.url}/hook", organization="guardia-urbana")
    # The address changed behind the subscription's back (as a DNS name can): delivery refuses it.
    with portal.store.begin() as conn:
        conn.execute(subscriptions.update().values(url="http://10.0.0.7/hook"))
    client.post("/api/v1/datasets", json=dataset_payload(), headers=admin)
    assert dispatch(portal) == 1
    assert run_due_job(portal)
    (delivery,) = client.get(f"/api/v1/subscriptions/{sub['id']}/deliveries", headers=reader).json()
    assert delivery["state"] == "failed" and "private or reserved" in delivery["last_error"]
    (job,) = list_jobs(portal.store, kind="webhook")
    assert job.state is JobState.FAILED and job.attempts == 1
    assert hook.requests == []


def test_private_and_draft_changes_are_never_sent(
    client: TestClient,
    portal: Portal,
    admin: dict[str, str],
    org: dict[str, Any],
    reader: dict[str, str],
    hook: Receiver,
) -> None:
    subscribe(client, reader, f"{hook.url}/hook", organization="guardia-urbana")
    client.post("/api/v1/datasets", json=dataset_payload(name="secret", visibility="private"), headers=admin)
    client.post("/api/v1/datasets", json=dataset_payload(name="draft", state="draft"), headers=admin)
    client.patch("/api/v1/datasets/secret", json={"version": "2"}, headers=admin)
    client.post("/api/v1/datasets/draft/resources", json={"title": {"en": "x"}}, headers=admin)
    assert dispatch(portal) == 0
    client.patch("/api/v1/datasets/draft", json={"state": "published"}, headers=admin)
    assert dispatch(portal) == 1
    assert run_due_job(portal)
    assert json.loads(hook.requests[0].body)["type"] == "dataset.published"


def test_subscriptions_belong_to_their_owner(
    client: TestClient,
    portal: Portal,
    admin: dict[str, str],
    org: dict[str, Any],
    reader: dict[str, str],
    hook: Receiver,
) -> None:
    sub = subscribe(client, reader, f"{hook.url}/hook", organization="guardia-urbana")
    assert client.get("/api/v1/subscriptions").status_code == 401
    assert client.get(f"/api/v1/subscriptions/{sub['id']}", headers=admin).status_code == 404
    assert client.get("/api/v1/subscriptions", headers=admin).json() == []
    assert [s["id"] for s in client.get("/api/v1/subscriptions", headers=reader).json()] == [sub["id"]]
    bad = client.post("/api/v1/subscriptions", json={"url": f"{hook.url}/x"}, headers=reader)
    assert bad.status_code == 422 and "exactly one" in bad.text
    unknown = client.post(
        "/api/v1/subscriptions", json={"url": f"{hook.url}/x", "dataset": "nope"}, headers=reader
    )
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "dataset"
    assert client.delete(f"/api/v1/subscriptions/{sub['id']}", headers=reader).status_code == 204
    assert client.get("/api/v1/subscriptions", headers=reader).json() == []
    with portal.store.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(subscriptions)).scalar_one() == 0


def test_the_periodic_fan_out_works_through_the_log_in_short_steps(
    client: TestClient,
    portal: Portal,
    admin: dict[str, str],
    org: dict[str, Any],
    reader: dict[str, str],
    hook: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(webhooks, "COMMIT_LAG", timedelta(0))
    monkeypatch.setattr(webhooks, "BATCH", 2)  # several steps, each its own transaction
    steps: list[webhooks.Dispatched] = []
    original = webhooks.dispatch_events

    def counted(conn: Connection, **kwargs: Any) -> webhooks.Dispatched:
        step = original(conn, **kwargs)
        # Only this portal's steps: the job runners of portals that other tests in this process serve
        # (a shared demo site) call the same module function in their own threads.
        if conn.engine is portal.store.engine:
            steps.append(step)
        return step

    monkeypatch.setattr(webhooks, "dispatch_events", counted)
    subscribe(client, reader, f"{hook.url}/hook", organization="guardia-urbana")
    for n in range(3):
        client.post("/api/v1/datasets", json=dataset_payload(name=f"set-{n}"), headers=admin)
    assert "webhooks.dispatch" in tick(portal.store, portal.periodic)
    # The tick queues the other periodic tasks' jobs too (garbage collection, link checks): run them all.
    while run_due_job(portal):
        pass
    (fanout,) = list_jobs(portal.store, kind=webhooks.FANOUT_KIND)
    # The log also holds the publisher's creation and the accounts' audit rows: read, but nobody follows
    # them; only the three datasets are delivered.
    with portal.store.read() as conn:
        logged = conn.execute(sa.select(sa.func.count()).select_from(activity)).scalar_one()
    assert logged > 4
    assert fanout.state is JobState.DONE and fanout.result == {"read": logged, "queued": 3}
    assert sum(s.read for s in steps) == logged and all(s.read <= 2 for s in steps)
    assert [s.more for s in steps] == [True] * (len(steps) - 1) + [False]
    names = sorted(json.loads(r.body)["dataset"]["name"] for r in hook.requests)
    assert names == ["set-0", "set-1", "set-2"]
    with portal.store.begin() as conn:
        again = webhooks.dispatch_events(
            conn, now=datetime.now(UTC), config=webhooks.WebhookConfig("x", 1, 1, 1)
        )
    assert (again.read, again.queued, again.more) == (0, 0, False)
