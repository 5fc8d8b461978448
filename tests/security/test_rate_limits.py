from __future__ import annotations

import os
import uuid
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from obert.app import create_app
from obert.errors import RateLimited
from obert.portal import Portal
from obert.ratelimit import RateLimiter
from obert.settings import Settings
from tests.conftest import bearer


def _app(settings: Settings, portal: Portal, **budgets: str) -> TestClient:
    tight = settings.model_copy(update=budgets)
    return TestClient(create_app(tight, portal=replace(portal, settings=tight, limiter=RateLimiter())))


def test_reads_over_budget_get_429_with_retry_after_in_the_error_shape(
    settings: Settings, portal: Portal
) -> None:
    client = _app(settings, portal, rate_limit_reads="5 per minute")
    codes = [client.get("/api/v1/datasets").status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]
    refused = client.get("/api/v1/datasets")
    body = refused.json()
    assert body["ok"] is False and body["status"] == 429 and "budget" in body["error"]
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    # Pages are refused in HTML, with the same header.
    page = client.get("/en/datasets")
    assert page.status_code == 429 and "text/html" in page.headers["content-type"]
    assert "retry-after" in page.headers


def test_writes_reads_and_sql_have_separate_budgets(
    settings: Settings, portal: Portal, admin: dict[str, str]
) -> None:
    client = _app(
        settings,
        portal,
        rate_limit_writes="2 per minute",
        rate_limit_reads="100 per minute",
        rate_limit_sql="1 per minute",
    )
    for _ in range(2):
        assert client.delete("/api/v1/datasets/nothing", headers=admin).status_code == 404
    assert client.delete("/api/v1/datasets/nothing", headers=admin).status_code == 429
    assert client.get("/api/v1/datasets", headers=admin).status_code == 200
    assert client.get("/api/v1/audit/export.csv", headers=admin).status_code == 200
    assert client.get("/api/v1/audit/export.jsonl", headers=admin).status_code == 429


def test_each_account_has_one_budget_for_all_its_tokens(
    settings: Settings, portal: Portal, admin: dict[str, str]
) -> None:
    from obert.auth.users import create_token, create_user

    client = _app(settings, portal, rate_limit_reads="3 per minute")
    second = bearer(create_token(store=portal.store, user_ref="admin", name="second").secret)
    create_user(store=portal.store, name="ada", password="correct horse battery")
    other = bearer(create_token(store=portal.store, user_ref="ada", name="hers").secret)
    assert [client.get("/api/v1/datasets", headers=admin).status_code for _ in range(4)][-1] == 429
    assert client.get("/api/v1/datasets", headers=second).status_code == 429  # a new token buys nothing
    assert client.get("/api/v1/datasets", headers=other).status_code == 200
    assert client.get("/api/v1/datasets").status_code == 200  # anonymous is counted by address


def test_static_files_and_health_are_not_metered(settings: Settings, portal: Portal) -> None:
    client = _app(settings, portal, rate_limit_reads="1 per minute")
    assert all(client.get("/static/obert.css").status_code == 200 for _ in range(5))


@pytest.mark.redis
def test_budgets_are_shared_through_redis() -> None:
    url = os.environ.get("OBERT_TEST_REDIS_URL")
    if not url:
        pytest.skip("OBERT_TEST_REDIS_URL is not set")
    namespace = uuid.uuid4().hex
    first, second = RateLimiter(url, namespace=namespace), RateLimiter(url, namespace=namespace)
    first.hit("2 per minute", "read", "ip:1")
    second.hit("2 per minute", "read", "ip:1")
    with pytest.raises(RateLimited) as refused:
        first.hit("2 per minute", "read", "ip:1")
    assert refused.value.retry_after >= 1


def test_an_unreachable_redis_serves_rather_than_refuses() -> None:
    limiter = RateLimiter("redis://127.0.0.1:1/0")
    for _ in range(5):
        limiter.hit("1 per minute", "read", "ip:1")


def test_a_budget_that_does_not_parse_is_refused_at_start_up() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="rate_limit_sql"):
        Settings(mode="test", rate_limit_sql="lots per day")


def test_in_process_windows_open_at_the_first_hit_and_close_after_their_period(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = [1000.0]
    monkeypatch.setattr("obert.ratelimit.time.time", lambda: clock[0])
    limiter = RateLimiter()
    for _ in range(2):
        limiter.hit("2 per minute", "read", "ip:1")
    assert limiter.exhausted("2 per minute", "read", "ip:1")
    assert not limiter.exhausted("2 per minute", "read", "ip:2")
    with pytest.raises(RateLimited) as refused:
        limiter.hit("2 per minute", "read", "ip:1")
    assert refused.value.retry_after == 60
    clock[0] += 45
    assert limiter.retry_after("2 per minute", "read", "ip:1") == 15
    clock[0] += 15  # the window has closed: a new one opens at the next hit
    assert not limiter.exhausted("2 per minute", "read", "ip:1")
    limiter.hit("2 per minute", "read", "ip:1")
    assert limiter.note("2 per minute", "read", "ip:1") is True
    assert limiter.note("2 per minute", "read", "ip:1") is False
    limiter.clear("2 per minute", "read", "ip:1")
    assert limiter.note("2 per minute", "read", "ip:1") is True
    assert limiter.reachable()


def test_in_process_windows_are_swept_once_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    from obert.ratelimit import LocalWindows, budget

    clock = [1000.0]
    monkeypatch.setattr("obert.ratelimit.time.time", lambda: clock[0])
    windows = LocalWindows(sweep_every=10)
    for n in range(100):
        windows.hit(budget("5 per second"), "read", f"ip:{n}")
    clock[0] += 11
    windows.hit(budget("5 per second"), "read", "ip:new")
    assert len(windows._windows) == 1
