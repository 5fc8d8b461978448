"""Past the caller's request budget, /sparql answers 429 in the protocol's own form (plain text, with
Retry-After) and in the caller's language, and a real SPARQL client reads why."""

from __future__ import annotations

import urllib.error
from collections.abc import Iterator
from pathlib import Path

import pytest
from SPARQLWrapper import JSON, SPARQLWrapper

from obert.app import create_app
from obert.portal import build_portal
from obert.settings import Settings
from tests.live import free_port, serving

QUERY = "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"


@pytest.fixture
def endpoint(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = Settings(mode="test", data_dir=tmp_path, base_url=url, rate_limit_sql="2 per minute")
    portal = build_portal(settings)
    try:
        with serving(create_app(settings, portal=portal), port):
            yield f"{url}/sparql"
    finally:
        portal.close()


def _ask(endpoint: str, language: str) -> dict[str, object]:
    client = SPARQLWrapper(endpoint)
    client.setQuery(QUERY)
    client.setReturnFormat(JSON)
    client.addCustomHttpHeader("Accept-Language", language)
    answer: dict[str, object] = client.queryAndConvert()  # type: ignore[assignment]
    return answer


@pytest.mark.parametrize(
    ("language", "words"),
    [("ca", "massa peticions"), ("es", "demasiadas peticiones"), ("en", "too many requests")],
)
def test_a_client_past_its_budget_reads_why_in_its_language(endpoint: str, language: str, words: str) -> None:
    for _ in range(2):
        assert "results" in _ask(endpoint, language)
    with pytest.raises(urllib.error.HTTPError) as refused:
        _ask(endpoint, language)
    error = refused.value
    assert error.code == 429
    assert int(error.headers["Retry-After"]) >= 1
    assert error.headers["Content-Type"].startswith("text/plain")
    assert error.headers["Content-Language"] == language
    text = error.read().decode()
    assert words in text and "2" in text, text
