from __future__ import annotations

import re
from dataclasses import replace

import sqlalchemy as sa
from fastapi.testclient import TestClient

from obert.app import create_app
from obert.portal import Portal
from obert.storage.tables.accounts import sessions
from obert.storage.tables.catalog import activity
from tests.security.world import PASSWORD, World, csrf_of, login


def _cookie_header(response_headers: list[str], name: str) -> str:
    return next(h for h in response_headers if h.startswith(f"{name}="))


def test_sign_in_sets_a_hardened_cookie_and_opens_the_publisher_pages(world: World) -> None:
    client = world.client
    page = client.get("/en/login")
    assert page.status_code == 200
    response = client.post(
        "/en/login",
        data={"name": "editor", "password": PASSWORD, "csrf_token": csrf_of(page.text), "next": "/publish"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/en/publish"
    cookie = _cookie_header(response.headers.get_list("set-cookie"), "obert_session")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # base_url is http in tests; see the https test below
    dashboard = client.get("/en/publish")
    assert dashboard.status_code == 200 and "ds-draft" in dashboard.text


def test_only_a_hash_of_the_session_id_is_stored(world: World, portal: Portal) -> None:
    login(world.client, "editor")
    secret = world.client.cookies["obert_session"]
    assert len(secret) >= 43  # 256 bits in URL-safe base64
    with portal.store.read() as conn:
        stored = conn.execute(sa.select(sessions.c.id_hash)).scalars().all()
    assert stored and secret not in stored


def test_the_cookie_is_secure_when_the_site_is_https(world: World, portal: Portal) -> None:
    https = portal.settings.model_copy(update={"base_url": "https://dades.example.cat"})
    client = TestClient(
        create_app(https, portal=replace(portal, settings=https)), base_url="https://testserver"
    )
    page = client.get("/en/login")
    response = client.post(
        "/en/login",
        data={"name": "editor", "password": PASSWORD, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert "Secure" in _cookie_header(response.headers.get_list("set-cookie"), "obert_session")
    assert "max-age=31536000" in response.headers["strict-transport-security"]


def test_a_new_session_id_on_every_sign_in(world: World) -> None:
    """Session fixation: a session id planted before sign-in is never the one that gets signed in."""
    client = world.client
    client.cookies.set(
        "obert_session", "planted-by-an-attacker-aaaaaaaaaaaaaaaaaaaaaaaa", domain="testserver.local"
    )
    login(client, "editor")
    first = client.cookies["obert_session"]
    assert first != "planted-by-an-attacker-aaaaaaaaaaaaaaaaaaaaaaaa"
    login(client, "editor")
    second = client.cookies["obert_session"]
    assert second != first
    # The replaced session is revoked, not merely forgotten by the browser.
    other = TestClient(client.app)
    other.cookies.set("obert_session", first)
    assert other.get("/en/publish", follow_redirects=False).status_code == 303


def test_wrong_password_is_refused_and_audited_without_the_password(world: World, portal: Portal) -> None:
    client = world.client
    page = client.get("/en/login")
    response = client.post(
        "/en/login", data={"name": "editor", "password": "wrong-guess-123", "csrf_token": csrf_of(page.text)}
    )
    assert response.status_code == 401
    assert "wrong user name or password" in response.text
    assert "obert_session" not in response.cookies
    with portal.store.read() as conn:
        rows = conn.execute(sa.select(activity).where(activity.c.action == "login-failed")).all()
    assert len(rows) == 1
    assert rows[0].after["name"] == "editor"
    assert "wrong-guess-123" not in str(rows[0].after)


def test_failed_sign_ins_are_throttled_per_account(world: World) -> None:
    client = world.client
    token = csrf_of(client.get("/en/login").text)
    codes = [
        client.post(
            "/en/login", data={"name": "editor", "password": f"guess-{i}", "csrf_token": token}
        ).status_code
        for i in range(7)
    ]
    assert codes[:5] == [401] * 5
    assert codes[5:] == [429, 429]
    # Even the right password waits now: a brute-forcer cannot tell a hit from a miss.
    blocked = client.post("/en/login", data={"name": "editor", "password": PASSWORD, "csrf_token": token})
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) >= 1


def test_failed_sign_ins_are_throttled_per_address_across_accounts(world: World) -> None:
    client = world.client
    token = csrf_of(client.get("/en/login").text)
    names = ["member", "editor", "org-admin", "other-admin", "site-admin", "reader"]
    codes = [
        client.post(
            "/en/login", data={"name": n, "password": "nope-nope-nope", "csrf_token": token}
        ).status_code
        for n in names
    ]
    assert codes[-1] == 429


def test_sign_out_revokes_the_session(world: World) -> None:
    client = login(world.client, "editor")
    secret = client.cookies["obert_session"]
    token = csrf_of(client.get("/en/publish").text)
    response = client.post("/en/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    replay = TestClient(client.app)
    replay.cookies.set("obert_session", secret)
    assert replay.get("/en/publish", follow_redirects=False).status_code == 303


def test_password_change_signs_out_every_session(world: World) -> None:
    laptop = login(world.client, "editor")
    phone = login(TestClient(world.client.app), "editor")
    token = csrf_of(laptop.get("/en/account/password").text)
    bad = laptop.post(
        "/en/account/password",
        data={"current_password": "not-it-at-all", "new_password": "short", "csrf_token": token},
    )
    assert bad.status_code == 422
    assert re.search(r'id="err-current_password"', bad.text) and re.search(r'id="err-new_password"', bad.text)
    ok = laptop.post(
        "/en/account/password",
        data={"current_password": PASSWORD, "new_password": "a much better passphrase", "csrf_token": token},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    assert phone.get("/en/publish", follow_redirects=False).status_code == 303
    fresh = TestClient(world.client.app)
    login(fresh, "editor", "a much better passphrase")


def test_the_json_api_ignores_the_session_cookie(world: World) -> None:
    """No cookie authentication on the API: a cross-site request carrying the cookie gains nothing."""
    client = login(world.client, "editor")
    assert client.get("/api/v1/datasets/ds-draft").status_code == 404
    assert client.post("/api/v1/tokens", json={"name": "x"}).status_code == 401


def test_an_unknown_name_is_refused_like_a_wrong_password(world: World, portal: Portal) -> None:
    client = world.client
    token = csrf_of(client.get("/en/login").text)
    unknown = client.post(
        "/en/login", data={"name": "ningu", "password": "whatever-12345", "csrf_token": token}
    )
    wrong = client.post(
        "/en/login", data={"name": "editor", "password": "whatever-12345", "csrf_token": token}
    )
    assert unknown.status_code == wrong.status_code == 401
    assert "wrong user name or password" in unknown.text and "wrong user name or password" in wrong.text
    with portal.store.read() as conn:
        names = [
            r.after["name"]
            for r in conn.execute(sa.select(activity).where(activity.c.action == "login-failed"))
        ]
    assert sorted(names) == ["editor", "ningu"]
