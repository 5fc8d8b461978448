"""Property-based fuzzing of the whole native API from its OpenAPI description: no input gives a 5xx.

Schemathesis generates valid and invalid requests for every operation and sends them through the ASGI
app, authenticated as a site administrator so write paths run as far as they can. It runs on SQLite and,
when OBERT_TEST_POSTGRES_URL is set, again on a PostgreSQL database of its own (dropped at exit), since
the two backends fail differently (PostgreSQL refuses NUL bytes in text and out-of-range integers that
SQLite stores). A fixed number of examples per operation keeps each run under two minutes on the shared
2-core machine.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import uuid
from pathlib import Path

import psycopg
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from sqlalchemy.engine import make_url

from obert.app import create_app
from obert.auth.users import create_token
from obert.portal import build_portal
from obert.settings import Settings
from tests.conftest import POSTGRES_URL
from tests.security.world import build_world

EXAMPLES = 60
EXAMPLES_POSTGRES = 5  # the same operations again: a few examples find the backend's own failures


def _fuzz_target(database: str) -> tuple[schemathesis.Schema, dict[str, str]]:
    # Built at collection time because Schemathesis parametrizes from the schema; the settings are
    # explicit (nothing read from the environment) and everything lives in a throw-away directory.
    root = Path(tempfile.mkdtemp(prefix="obert-fuzz-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    config = Settings(
        mode="test",
        data_dir=root / "data",
        database_url=f"sqlite:///{root / 'obert.db'}" if database == "sqlite" else database,
        base_url="http://testserver",
        rate_limits_enabled=False,  # the fuzzer would spend the budget in seconds
    )
    portal = build_portal(config)
    atexit.register(portal.close)  # atexit runs last-registered first: closed before its files go
    app = create_app(config, portal=portal)
    build_world(TestClient(app), portal)
    secret = create_token(store=portal.store, user_ref="site-admin", name="fuzz").secret
    return schemathesis.openapi.from_asgi("/api/v1/openapi.json", app), {"Authorization": f"Bearer {secret}"}


def _postgres_database(server: str) -> str:
    """A database of this run's own on the test server, dropped when the test process exits."""
    name = f"obert_fuzz_{uuid.uuid4().hex[:12]}"
    admin = make_url(server).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    atexit.register(drop)
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def _check(case: schemathesis.Case, headers: dict[str, str]) -> None:
    response = case.call(headers=headers)
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:500]}"
    )
    content_type = (response.headers.get("content-type") or [""])[0]
    if response.status_code >= 400 and content_type.startswith("application/json"):
        body = response.json()
        assert body["ok"] is False and body["status"] == response.status_code


schema, HEADERS = _fuzz_target("sqlite")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_request_makes_the_api_fail(case: schemathesis.Case) -> None:
    _check(case, HEADERS)


if POSTGRES_URL:
    schema_pg, HEADERS_PG = _fuzz_target(_postgres_database(POSTGRES_URL))

    @pytest.mark.postgres
    @schema_pg.parametrize()
    @settings(
        max_examples=EXAMPLES_POSTGRES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
    )
    def test_no_request_makes_the_api_fail_on_postgres(case: schemathesis.Case) -> None:
        _check(case, HEADERS_PG)
