"""Politeness and failure handling of the harvest fetcher against real servers on 127.0.0.1."""

from __future__ import annotations

import time

import pytest

from obert.errors import Forbidden, Invalid, Unavailable
from obert.harvest.fetch import Fetcher
from obert.http import Allowlist, HttpClient
from tests.harvest.servers import json_body, serve


def test_429_is_retried_after_the_time_the_server_asks(http: HttpClient) -> None:
    calls = {"n": 0}
    slept: list[float] = []

    def route(path: str, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        calls["n"] += 1
        if calls["n"] == 1:
            return 429, {"Retry-After": "7"}, b"slow down"
        if calls["n"] == 2:
            return 503, {}, b"busy"
        return json_body({"ok": True})

    fetcher = Fetcher(http, per_second=1000, retries=3, backoff=0.5, sleep=slept.append)
    with serve(route) as server:
        assert fetcher.json(server.url + "/x") == {"ok": True}
    assert slept[0] == 7.0  # Retry-After honoured
    assert 0.25 <= slept[1] <= 1.5  # then jittered exponential back-off


def test_a_server_that_keeps_failing_gives_up_with_a_clear_error(http: HttpClient) -> None:
    fetcher = Fetcher(http, per_second=1000, retries=2, backoff=0, sleep=lambda _s: None)
    with serve(lambda p, q: (500, {}, b"boom")) as server, pytest.raises(Unavailable) as caught:
        fetcher.get(server.url + "/x")
    assert "HTTP 500" in caught.value.message and "3 tries" in caught.value.message
    with serve(lambda p, q: (404, {}, b"no")) as server, pytest.raises(Unavailable, match="HTTP 404"):
        fetcher.get(server.url + "/missing")  # not retried: it will not get better


def test_a_source_that_times_out(http: HttpClient) -> None:
    def route(path: str, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        time.sleep(1.5)
        return json_body({})

    client = HttpClient(allowlist=Allowlist.parse("127.0.0.1"), timeout=0.3)
    fetcher = Fetcher(client, per_second=1000, retries=1, backoff=0, sleep=lambda _s: None)
    with serve(route) as server, pytest.raises(Unavailable, match="did not answer in time"):
        fetcher.get(server.url + "/slow")
    client.close()


def test_requests_to_one_host_are_spaced(http: HttpClient) -> None:
    fetcher = Fetcher(http, per_second=20, retries=0)
    with serve(lambda p, q: json_body({})) as server:
        started = time.monotonic()
        for _ in range(5):
            fetcher.get(server.url + "/x")
        elapsed = time.monotonic() - started
    assert elapsed >= 4 / 20 * 0.9


def test_garbage_and_private_addresses(http: HttpClient) -> None:
    fetcher = Fetcher(http, per_second=1000, retries=0)
    with serve(lambda p, q: (200, {}, b"\xff\xfe garbage")) as server, pytest.raises(Invalid, match="JSON"):
        fetcher.json(server.url + "/x")
    guarded = Fetcher(HttpClient(allowlist=Allowlist.parse("")), retries=0)
    with pytest.raises(Forbidden):  # the SSRF guard still applies to every harvest request
        guarded.get("http://127.0.0.1:9/")
