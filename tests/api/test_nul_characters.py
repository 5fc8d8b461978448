"""A NUL character in a request is refused with a 4xx on both backends, never a 500 (PostgreSQL cannot hold
one in text, where SQLite stores it), and an export refuses it before its first byte."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/audit?action=%00",
        "/api/v1/audit/export.csv?object_id=a%00b",
        "/api/v1/audit/export.jsonl?actor=%00",
        "/api/v1/datasets?organization=%00",
        "/api/v1/datasets/a%00b",
    ],
)
def test_a_nul_character_gets_an_answer_not_a_server_error(
    client: TestClient, admin: dict[str, str], database_url: str, path: str
) -> None:
    response = client.get(path, headers=admin)
    assert response.status_code < 500, response.text
    if database_url.startswith("postgresql") and response.status_code == 422:
        body = response.json()
        assert body["ok"] is False and "cannot be stored or searched for" in body["error"]
    if path.startswith("/api/v1/audit"):
        # Nothing matches a NUL: SQLite answers an empty log, PostgreSQL says the value is refused.
        assert response.status_code == (422 if database_url.startswith("postgresql") else 200)
