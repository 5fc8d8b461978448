from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.security.world import World, csrf_of, login


@pytest.fixture
def editor(world: World) -> TestClient:
    return login(TestClient(world.client.app), "editor")


def _form(client: TestClient, path: str) -> str:
    return csrf_of(client.get(path).text)


@pytest.mark.parametrize("lang", ["ca", "es", "en"])
@pytest.mark.parametrize(
    "path",
    [
        "/publish",
        "/publish/new",
        "/publish/package",
        "/publish/dataset/ds-draft",
        "/account/tokens",
        "/account/password",
    ],
)
def test_publisher_pages_render_in_each_language(editor: TestClient, lang: str, path: str) -> None:
    response = editor.get(f"/{lang}{path}")
    assert response.status_code == 200
    assert f'<html lang="{lang}">' in response.text
    assert response.headers["cache-control"] == "no-store"


def test_signed_out_visitors_are_sent_to_sign_in_and_back(world: World) -> None:
    response = world.client.get("/es/publish/dataset/ds-draft", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/es/login?next=/publish/dataset/ds-draft"


def test_sign_in_never_redirects_off_site(world: World) -> None:
    client = world.client
    page = client.get("/en/login?next=//evil.example/x")
    assert 'value="/publish"' in page.text
    response = client.post(
        "/en/login",
        data={
            "name": "editor",
            "password": "correct horse battery",
            "csrf_token": csrf_of(page.text),
            "next": "https://evil.example/",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/en/publish"


def test_creating_a_dataset_shows_errors_next_to_the_fields_and_keeps_the_input(editor: TestClient) -> None:
    token = _form(editor, "/en/publish/new")
    response = editor.post(
        "/en/publish/new",
        data={
            "csrf_token": token,
            "name": "Bad Name!",
            "title_ca": "",
            "description_ca": "Text que es conserva",
            "contact_point_email": "not-an-email",
            "temporal_start": "2020-05-01",
            "temporal_end": "2019-01-01",
            "themes": ["TRAN", "NOPE"],
        },
    )
    assert response.status_code == 422
    html = response.text
    for field in ("name", "title", "contact_point_email", "themes"):
        assert re.search(rf'class="field-errors" id="err-{field}"', html), field
    assert "Text que es conserva" in html
    assert 'aria-invalid="true" aria-describedby="err-name"' in html


def test_creating_editing_and_publishing_through_the_pages(editor: TestClient, world: World) -> None:
    token = _form(editor, "/en/publish/new")
    created = editor.post(
        "/en/publish/new",
        data={
            "csrf_token": token,
            "name": "arbrat",
            "organization": world.orgs["a"]["id"],
            "state": "draft",
            "title_ca": "Arbrat de la ciutat",
            "title_es": "Arbolado",
            "title_en": "City trees",
            "description_ca": "Arbres dels carrers.",
            "keywords_ca": "arbres, verd",
            "themes": ["ENVI", "AGRI"],
            "hvd_categories": ["c_dd313021"],
            "license": "CC_BY_4_0",
            "frequency": "ANNUAL",
            "temporal_start": "2020-01-01",
            "contact_point_email": "verd@bcn.cat",
            "visibility": "public",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    assert created.headers["location"] == "/en/publish/dataset/arbrat"
    api = world.client.get("/api/v1/datasets/arbrat", headers=world.headers["site_admin"]).json()
    assert api["state"] == "draft" and api["keywords"] == {"ca": ["arbres", "verd"]}
    assert api["themes"] == ["ENVI", "AGRI"] and api["contact_point"]["email"] == "verd@bcn.cat"
    assert api["hvd_categories"] == ["c_dd313021"]  # a high-value dataset: earth observation and environment
    # Fields the form does not show survive an edit.
    world.client.patch(
        "/api/v1/datasets/arbrat",
        json={"version": "3.1", "sectors": ["medio-ambiente"]},
        headers=world.headers["editor"],
    )
    form_page = editor.get("/en/publish/dataset/arbrat").text
    assert 'value="ENVI" checked' in form_page and 'value="c_dd313021" checked' in form_page
    edited = editor.post(
        "/en/publish/dataset/arbrat",
        data={
            "csrf_token": csrf_of(form_page),
            "name": "arbrat",
            "title_ca": "Arbrat viari",
            "organization": world.orgs["a"]["id"],
            "themes": ["ENVI"],
            "visibility": "public",
        },
        follow_redirects=False,
    )
    assert edited.status_code == 303
    api = world.client.get("/api/v1/datasets/arbrat", headers=world.headers["site_admin"]).json()
    assert (
        api["title"] == {"ca": "Arbrat viari"}
        and api["version"] == "3.1"
        and api["sectors"] == ["medio-ambiente"]
    )
    # Add a file, then submit; the administrator approves from the same page.
    upload = editor.post(
        "/en/publish/dataset/arbrat/upload",
        data={"csrf_token": csrf_of(form_page), "title": "Arbres 2020"},
        files={"file": ("arbres.csv", b"id,especie\n1,Platanus\n", "text/csv")},
        follow_redirects=False,
    )
    assert upload.status_code == 303
    page = editor.get("/en/publish/dataset/arbrat").text
    assert "Arbres 2020" in page and "CSV" in page
    assert 'value="approve"' not in page  # editors get no approve button
    editor.post(
        "/en/publish/dataset/arbrat/transition",
        data={"csrf_token": csrf_of(page), "action": "submit", "comment": "a punt"},
    )
    admin = login(TestClient(world.client.app), "org-admin")
    admin_page = admin.get("/en/publish/dataset/arbrat").text
    assert 'value="approve"' in admin_page and "a punt" in admin_page
    admin.post(
        "/en/publish/dataset/arbrat/transition", data={"csrf_token": csrf_of(admin_page), "action": "approve"}
    )
    assert world.client.get("/api/v1/datasets/arbrat").json()["state"] == "published"


def test_a_resource_needs_a_file_or_a_url(editor: TestClient) -> None:
    page = editor.get("/en/publish/dataset/ds-draft").text
    response = editor.post(
        "/en/publish/dataset/ds-draft/upload", data={"csrf_token": csrf_of(page), "url": ""}
    )
    assert response.status_code == 422
    assert 'id="err-resource_url"' in response.text


def test_editors_see_why_they_cannot_publish_where_review_is_required(
    editor: TestClient, world: World
) -> None:
    world.client.put(
        "/api/v1/organizations/guardia-urbana/policy",
        json={"review_required": True},
        headers=world.headers["org_admin"],
    )
    token = _form(editor, "/en/publish/new")
    response = editor.post(
        "/en/publish/new",
        data={
            "csrf_token": token,
            "name": "directe",
            "title_ca": "Directe",
            "state": "published",
            "organization": world.orgs["a"]["id"],
        },
    )
    assert response.status_code == 403
    assert 'id="err-state"' in response.text and "submit it for review" in response.text


def test_members_page_changes_roles_and_the_review_rule(world: World) -> None:
    admin = login(TestClient(world.client.app), "org-admin")
    page = admin.get("/en/publish/organization/guardia-urbana/members").text
    assert "editor" in page
    admin.post(
        "/en/publish/organization/guardia-urbana/members",
        data={"csrf_token": csrf_of(page), "user": "reader", "role": "editor"},
    )
    admin.post(
        "/en/publish/organization/guardia-urbana/policy",
        data={"csrf_token": csrf_of(page), "review_required": "yes"},
    )
    members = world.client.get(
        "/api/v1/organizations/guardia-urbana/members", headers=world.headers["org_admin"]
    )
    assert {"name": "reader", "role": "editor"}.items() <= next(
        m for m in members.json() if m["name"] == "reader"
    ).items()
    assert world.client.get("/api/v1/organizations/guardia-urbana/policy").json()["review_required"] is True
    missing = admin.post(
        "/en/publish/organization/guardia-urbana/members",
        data={"csrf_token": csrf_of(page), "user": "ghost", "role": "editor"},
    )
    assert missing.status_code == 404 and 'id="err-user"' in missing.text


def test_token_page_shows_a_new_secret_once(editor: TestClient) -> None:
    page = editor.get("/en/account/tokens").text
    created = editor.post(
        "/en/account/tokens", data={"csrf_token": csrf_of(page), "name": "script", "scope": "read"}
    )
    secret = re.search(r'<code class="secret">(obert_[^<]+)</code>', created.text)
    assert secret
    again = editor.get("/en/account/tokens").text
    assert secret.group(1) not in again and "script" in again
    assert (
        editor.get("/api/v1/tokens", headers={"Authorization": f"Bearer {secret.group(1)}"}).status_code
        == 200
    )


def test_audit_page_for_site_admins(world: World) -> None:
    admin = login(TestClient(world.client.app), "site-admin")
    page = admin.get("/en/admin/audit?action=login")
    assert page.status_code == 200 and ">login<" in page.text
    editor = login(TestClient(world.client.app), "editor")
    assert editor.get("/en/admin/audit").status_code == 403
