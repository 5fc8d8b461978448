"""The publisher's harvest pages: listing, adding, running now, dry runs and run reports, in three
languages, behind sign-in, membership and the CSRF check."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from obert.portal import Portal
from tests.harvest.servers import FakeCkan, Server, serve
from tests.security.world import World, csrf_of, login

# The fake CKAN listens on 127.0.0.1, which outbound HTTP may only reach when allow-listed.
pytestmark = pytest.mark.settings(http_allowlist="127.0.0.1", harvest_requests_per_second=1000)


@pytest.fixture
def ckan() -> Iterator[Server]:
    with serve(FakeCkan(3).route) as server:
        yield server


@pytest.fixture
def editor(world: World) -> TestClient:
    return login(TestClient(world.client.app), "editor")


def _add(client: TestClient, url: str, **fields: str) -> Response:
    token = csrf_of(client.get("/en/publish/harvest").text)
    data = {
        "csrf_token": token,
        "name": "city-ckan",
        "type": "ckan",
        "url": url,
        "organization": "guardia-urbana",
        "every": "1d",
    } | fields
    return client.post("/en/publish/harvest", data=data, follow_redirects=False)


@pytest.mark.parametrize("lang", ["ca", "es", "en"])
def test_the_pages_render_in_each_language(editor: TestClient, ckan: Server, lang: str) -> None:
    _add(editor, ckan.url)
    listing = editor.get(f"/{lang}/publish/harvest")
    assert listing.status_code == 200
    assert f'<html lang="{lang}">' in listing.text and "city-ckan" in listing.text
    assert listing.headers["cache-control"] == "no-store"
    detail = editor.get(f"/{lang}/publish/harvest/city-ckan")
    assert detail.status_code == 200 and ckan.url in detail.text
    dashboard = editor.get(f"/{lang}/publish").text
    assert f'href="/{lang}/publish/harvest"' in dashboard


def test_the_pages_are_translated(editor: TestClient) -> None:
    assert "Fonts de recol·lecció" in editor.get("/ca/publish/harvest").text
    assert "Fuentes de recolección" in editor.get("/es/publish/harvest").text


def test_signed_out_visitors_are_sent_to_sign_in(world: World) -> None:
    response = world.client.get("/en/publish/harvest", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/en/login?next=/publish/harvest"


def test_only_editors_of_the_organisation_see_a_source(
    world: World, editor: TestClient, ckan: Server
) -> None:
    _add(editor, ckan.url)
    member = login(TestClient(world.client.app), "member")
    assert member.get("/en/publish/harvest").status_code == 403
    outsider = login(TestClient(world.client.app), "other-admin")
    assert outsider.get("/en/publish/harvest/city-ckan").status_code in (403, 404)
    assert "city-ckan" not in outsider.get("/en/publish/harvest").text


def test_adding_a_source_through_the_form(editor: TestClient, ckan: Server, world: World) -> None:
    response = _add(editor, ckan.url)
    assert response.status_code == 303
    assert response.headers["location"] == "/en/publish/harvest/city-ckan"
    api = world.client.get("/api/v1/harvest/sources/city-ckan", headers=world.headers["editor"]).json()
    assert api["type"] == "ckan" and api["every"] == "1d" and api["organization"] == "guardia-urbana"
    assert api["auto_ingest"] is False


def test_a_bad_url_is_shown_next_to_the_field_and_the_input_kept(editor: TestClient) -> None:
    response = _add(editor, "ftp://nowhere", name="kept-name")
    assert response.status_code == 422
    html = response.text
    assert 'class="field-errors" id="err-url"' in html and "must be an absolute http(s) URL" in html
    assert 'value="kept-name"' in html
    bad_interval = _add(editor, "https://example.org", every="often")
    assert 'id="err-every"' in bad_interval.text


def test_a_form_without_its_csrf_token_is_refused(editor: TestClient, ckan: Server, world: World) -> None:
    response = editor.post(
        "/en/publish/harvest", data={"name": "x", "type": "ckan", "url": ckan.url}, follow_redirects=False
    )
    assert response.status_code == 403
    assert world.client.get("/api/v1/harvest/sources", headers=world.headers["site_admin"]).json() == []


def test_run_now_queues_one_job(editor: TestClient, ckan: Server, portal: Portal) -> None:
    _add(editor, ckan.url)
    token = csrf_of(editor.get("/en/publish/harvest/city-ckan").text)
    queued = editor.post(
        "/en/publish/harvest/city-ckan/run", data={"csrf_token": token}, follow_redirects=False
    )
    assert queued.status_code == 303 and queued.headers["location"].endswith("?queued=1")
    assert "The run is queued" in editor.get(queued.headers["location"]).text
    runner = portal.job_runner(1)
    while runner.run_once():  # the world's uploads queued ingest jobs too
        pass
    page = editor.get("/en/publish/harvest/city-ckan").text
    assert "done" in page and "/runs/" in page
    run_link = page.split('href="/en/publish/harvest/city-ckan/runs/')[1].split('"')[0]
    report = editor.get(f"/en/publish/harvest/city-ckan/runs/{run_link}")
    assert report.status_code == 200 and report.text.count('class="item-created"') == 3


def test_a_dry_run_shows_what_would_change_and_writes_nothing(
    editor: TestClient, ckan: Server, world: World
) -> None:
    _add(editor, ckan.url)
    token = csrf_of(editor.get("/en/publish/harvest/city-ckan").text)
    dry = editor.post("/en/publish/harvest/city-ckan/dry-run", data={"csrf_token": token})
    assert dry.status_code == 200
    assert dry.text.count('class="item-created"') == 3 and "created: 3" in dry.text
    assert "Generated dataset 1" in dry.text
    before = world.client.get("/api/v1/datasets", headers=world.headers["site_admin"]).json()["count"]
    assert before == len(world.datasets)  # the world's own datasets only


def test_disable_and_delete(editor: TestClient, ckan: Server, world: World) -> None:
    _add(editor, ckan.url)
    token = csrf_of(editor.get("/en/publish/harvest/city-ckan").text)
    editor.post("/en/publish/harvest/city-ckan/enabled", data={"csrf_token": token, "enabled": "no"})
    headers = world.headers["editor"]
    assert world.client.get("/api/v1/harvest/sources/city-ckan", headers=headers).json()["enabled"] is False
    gone = editor.post(
        "/en/publish/harvest/city-ckan/delete", data={"csrf_token": token}, follow_redirects=False
    )
    assert gone.headers["location"] == "/en/publish/harvest"
    assert world.client.get("/api/v1/harvest/sources/city-ckan", headers=headers).status_code == 404
