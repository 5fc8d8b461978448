"""API tokens cannot be used to escape request budgets or to live for ever: every token expires within a
year (checked alike by the API, the account page and `obert token create`), an account holds a bounded
number of live tokens, and all of an account's tokens spend one budget."""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from obert.app import create_app
from obert.auth.users import TOKEN_DEFAULT_DAYS, TOKEN_MAX_DAYS
from obert.ratelimit import RateLimiter
from tests.conftest import bearer
from tests.security.world import World, csrf_of, login


def _mint(world: World, role: str, **body: Any) -> Any:
    return world.client.post("/api/v1/tokens", json={"name": "more", **body}, headers=world.headers[role])


@pytest.mark.parametrize("days", [0, -1, TOKEN_MAX_DAYS + 1, None])
def test_the_api_refuses_a_token_that_never_expires_or_lives_too_long(world: World, days: int | None) -> None:
    refused = _mint(world, "editor", expires_in_days=days)
    assert refused.status_code == 422, refused.text
    (error,) = refused.json()["errors"]
    assert error["field"] == "expires_in_days" and f"1 to {TOKEN_MAX_DAYS} days" in error["message"]


def test_the_api_gives_a_token_the_default_life_and_up_to_the_maximum(world: World) -> None:
    default = _mint(world, "editor").json()
    expires = datetime.fromisoformat(default["expires_at"])
    assert abs(expires - datetime.now(UTC) - timedelta(days=TOKEN_DEFAULT_DAYS)) < timedelta(minutes=5)
    assert _mint(world, "editor", expires_in_days=TOKEN_MAX_DAYS).status_code == 201


def test_the_account_page_refuses_the_same_days(world: World) -> None:
    client = login(world.client, "editor")
    token = csrf_of(client.get("/en/account/tokens").text)
    for days in ("0", str(TOKEN_MAX_DAYS + 1)):
        form = {"name": "page", "scope": "read", "expires_in_days": days, "csrf_token": token}
        page = client.post("/en/account/tokens", data=form)
        assert page.status_code == 422 and f"1 to {TOKEN_MAX_DAYS} days" in page.text, days


@pytest.mark.settings(max_tokens_per_user=3)
def test_an_account_holds_at_most_the_allowed_live_tokens(world: World) -> None:
    # The world gave the editor one token; two more reach the limit.
    minted = [_mint(world, "editor") for _ in range(2)]
    assert [m.status_code for m in minted] == [201, 201]
    refused = _mint(world, "editor")
    assert refused.status_code == 409
    assert "3 live tokens" in refused.json()["error"] and "revoke" in refused.json()["error"]
    # Revoking one, or one that has expired, makes room again.
    revoked = world.client.delete(f"/api/v1/tokens/{minted[0].json()['id']}", headers=world.headers["editor"])
    assert revoked.status_code == 204
    assert _mint(world, "editor").status_code == 201
    assert _mint(world, "editor").status_code == 409
    assert _mint(world, "org_admin").status_code == 201  # another account counts its own


@pytest.mark.settings(max_tokens_per_user=2)
def test_the_command_line_is_held_to_the_same_limit(world: World) -> None:
    from obert.auth.users import create_token
    from obert.errors import Conflict

    store, limit = world.portal.store, world.portal.settings.max_tokens_per_user
    create_token(store=store, user_ref="member", name="second", max_live=limit)
    with pytest.raises(Conflict):
        create_token(store=store, user_ref="member", name="third", max_live=limit)


def test_all_of_an_accounts_tokens_spend_one_budget(world: World) -> None:
    settings = world.portal.settings.model_copy(update={"rate_limit_reads": "4 per minute"})
    portal = replace(world.portal, settings=settings, limiter=RateLimiter())
    client = TestClient(create_app(settings, portal=portal))
    second = bearer(_mint(world, "editor", scope="read").json()["secret"])
    first = world.headers["editor"]
    codes = [client.get("/api/v1/datasets", headers=h).status_code for h in (first, second) * 3]
    assert codes == [200, 200, 200, 200, 429, 429]
    # Another account, and anonymous callers (counted by address), have budgets of their own.
    assert client.get("/api/v1/datasets", headers=world.headers["member"]).status_code == 200
    assert client.get("/api/v1/datasets").status_code == 200


def test_made_up_tokens_spend_the_callers_address_budget(world: World) -> None:
    settings = world.portal.settings.model_copy(update={"rate_limit_reads": "3 per minute"})
    portal = replace(world.portal, settings=settings, limiter=RateLimiter())
    client = TestClient(create_app(settings, portal=portal))
    codes = [
        client.get("/api/v1/datasets", headers=bearer("obert_" + secrets.token_urlsafe(32))).status_code
        for _ in range(4)
    ]
    assert codes == [401, 401, 401, 429]
    assert client.get("/api/v1/datasets").status_code == 429  # the same address
