"""Attacks on what exists now: forged forms, oversized bodies, bad credentials, SSRF, brute force."""

from __future__ import annotations

from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest
from fastapi.testclient import TestClient

from obert.errors import Forbidden
from tests.receiver import serving
from tests.security.world import World, csrf_of, login


# ---------------------------------------------------------------- CSRF
@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/en/logout", {}),
        ("/en/account/tokens", {"name": "stolen", "scope": "write"}),
        ("/en/publish/dataset/ds-draft/transition", {"action": "submit"}),
        ("/en/publish/organization/guardia-urbana/members", {"user": "reader", "role": "admin"}),
        ("/en/account/password", {"current_password": "x", "new_password": "y" * 12}),
    ],
)
def test_forms_without_the_sessions_csrf_token_are_refused(
    world: World, path: str, data: dict[str, str]
) -> None:
    client = login(world.client, "org-admin")
    missing = client.post(path, data=data, follow_redirects=False)
    wrong = client.post(path, data={**data, "csrf_token": "forged" * 8}, follow_redirects=False)
    assert missing.status_code == 403 and wrong.status_code == 403
    # The pre-session token of a signed-out visitor does not work for a signed-in session either.
    stranger = TestClient(client.app)
    foreign = csrf_of(stranger.get("/en/login").text)
    assert client.post(path, data={**data, "csrf_token": foreign}, follow_redirects=False).status_code == 403
    # Nothing happened: the session still works and the draft is still a draft.
    assert client.get("/en/publish").status_code == 200
    assert (
        world.client.get("/api/v1/datasets/ds-draft", headers=world.headers["site_admin"]).json()["state"]
        == "draft"
    )


def test_sign_in_form_needs_its_double_submit_token(world: World) -> None:
    client = world.client
    client.get("/en/login")
    response = client.post("/en/login", data={"name": "editor", "password": "correct horse battery"})
    assert response.status_code == 403
    assert "obert_session" not in client.cookies


# ---------------------------------------------------------------- malformed credentials
@pytest.mark.parametrize(
    "cookie",
    ["", "x", "a" * 5000, "../../etc/passwd", "%00%ff", "🍪" * 10, "obert_session=nested"],
)
def test_malformed_session_cookies_are_just_signed_out(world: World, cookie: str) -> None:
    client = TestClient(world.client.app)
    raw = {"Cookie": b"obert_session=" + cookie.encode("utf-8")}
    assert client.get("/en/", headers=raw).status_code == 200
    assert client.get("/en/publish", headers=raw, follow_redirects=False).status_code == 303
    assert client.get("/api/v1/datasets", headers=raw).status_code == 200


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer ",
        "Bearer obert_" + "A" * 5000,
        "Basic dXNlcjpwYXNz",
        "Bearer \x7f\x01",
        "obert_nope",
    ],
)
def test_malformed_tokens_get_a_401_in_the_error_shape(world: World, header: str) -> None:
    response = world.client.get("/api/v1/datasets", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["ok"] is False and response.headers["www-authenticate"] == "Bearer"


def test_revoked_and_expired_tokens_are_refused(world: World) -> None:
    headers = world.headers["editor"]
    created = world.client.post("/api/v1/tokens", json={"name": "short", "scope": "read"}, headers=headers)
    secret = created.json()["secret"]
    assert (
        world.client.get("/api/v1/tokens", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    )
    world.client.delete(f"/api/v1/tokens/{created.json()['id']}", headers=headers)
    assert (
        world.client.get("/api/v1/tokens", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    )


# ---------------------------------------------------------------- oversized bodies
def test_a_body_over_the_limit_is_refused_before_it_is_read(world: World) -> None:
    limit = world.portal.settings.max_body_bytes
    response = world.client.post(
        "/api/v1/datasets",
        content=b"{" + b" " * limit + b"}",
        headers={**world.headers["editor"], "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["status"] == 413


def test_a_streamed_body_is_cut_off_at_the_limit(world: World) -> None:
    limit = world.portal.settings.max_body_bytes
    sent = 0

    def chunks() -> Iterator[bytes]:
        nonlocal sent
        for _ in range(limit // 65536 + 10):
            sent += 65536
            yield b" " * 65536

    response = world.client.post(
        "/api/v1/datasets",
        content=chunks(),
        headers={**world.headers["editor"], "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["error"].startswith("the request body is larger")


def test_uploads_have_their_own_larger_limit(world: World) -> None:
    big = b"a,b\n" + b"1,2\n" * (world.portal.settings.max_body_bytes // 4 + 10)
    resource = world.datasets["draft"]["resources"][0]["id"]
    response = world.client.post(
        f"/api/v1/resources/{resource}/upload",
        files={"file": ("big.csv", big, "text/csv")},
        headers=world.headers["editor"],
    )
    assert response.status_code == 200, response.text
    assert response.json()["byte_size"] == len(big)


def test_an_upload_over_its_limit_is_refused(world: World) -> None:
    from dataclasses import replace

    from obert.app import create_app

    small = world.portal.settings.model_copy(update={"max_upload_bytes": 10_000})
    client = TestClient(create_app(small, portal=replace(world.portal, settings=small)))
    resource = world.datasets["draft"]["resources"][0]["id"]
    response = client.post(
        f"/api/v1/resources/{resource}/upload",
        files={"file": ("big.csv", b"x" * 20_000, "text/csv")},
        headers=world.headers["editor"],
    )
    assert response.status_code == 413


# ---------------------------------------------------------------- SSRF
class _Recorder(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:
        _Recorder.hits.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"secret internal data")

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def internal_server() -> Iterator[str]:
    _Recorder.hits = []
    with serving(_Recorder) as url:
        yield url


@pytest.mark.parametrize(
    "target", ["{internal}/admin", "http://169.254.169.254/latest/meta-data/", "http://[::1]/"]
)
def test_url_taking_endpoints_never_fetch_internal_addresses(
    world: World, internal_server: str, target: str
) -> None:
    """Resources given by URL (API and the publisher's form) are stored, never fetched by the server, and
    the portal's HTTP client refuses loopback and metadata addresses outright."""
    url = target.format(internal=internal_server)
    headers = world.headers["editor"]
    api = world.client.post(
        "/api/v1/datasets/ds-draft/resources", json={"download_url": url}, headers=headers
    )
    assert api.status_code == 201
    client = login(TestClient(world.client.app), "editor")
    token = csrf_of(client.get("/en/publish/dataset/ds-draft").text)
    form = client.post(
        "/en/publish/dataset/ds-draft/upload", data={"url": url, "csrf_token": token}, follow_redirects=False
    )
    assert form.status_code == 303
    assert _Recorder.hits == []
    with pytest.raises(Forbidden):
        world.portal.http.get(url)
    assert _Recorder.hits == []
