"""Property-based fuzzing of the whole native API from its OpenAPI description: no input gives a 5xx.

Schemathesis generates valid and invalid requests for every operation and sends them through the ASGI
app, authenticated as a site administrator so write paths run as far as they can. A fixed number of
examples per operation keeps the run under two minutes on the shared 2-core machine.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from obert.app import create_app
from obert.auth.users import create_token
from obert.portal import build_portal
from obert.settings import Settings
from tests.security.world import build_world

EXAMPLES = 150


def _fuzz_target() -> tuple[schemathesis.Schema, dict[str, str]]:
    # Built at collection time because Schemathesis parametrizes from the schema; the settings are
    # explicit (nothing read from the environment) and everything lives in a throw-away directory.
    root = Path(tempfile.mkdtemp(prefix="obert-fuzz-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    config = Settings(
        mode="test",
        data_dir=root / "data",
        database_url=f"sqlite:///{root / 'obert.db'}",
        base_url="http://testserver",
        rate_limits_enabled=False,  # the fuzzer would spend the budget in seconds
    )
    portal = build_portal(config)
    app = create_app(config, portal=portal)
    build_world(TestClient(app), portal)
    secret = create_token(store=portal.store, user_ref="site-admin", name="fuzz").secret
    return schemathesis.openapi.from_asgi("/api/v1/openapi.json", app), {"Authorization": f"Bearer {secret}"}


schema, HEADERS = _fuzz_target()


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_request_makes_the_api_fail(case: schemathesis.Case) -> None:
    response = case.call(headers=HEADERS)
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:500]}"
    )
    content_type = (response.headers.get("content-type") or [""])[0]
    if response.status_code >= 400 and content_type.startswith("application/json"):
        body = response.json()
        assert body["ok"] is False and body["status"] == response.status_code
