"""Dataset and resource reads (native and CKAN) carry Last-Modified and an ETag made from the rows their
answer shows, and a conditional request is answered 304 without building the answer: driven by httpx
against a live obert. The validator moves with everything the answer shows (the dataset, its resources,
its publisher, its groups, who asks) and nothing private is answered to a caller who may not see it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from obert.app import create_app
from obert.auth.users import create_token, create_user
from obert.catalog import datasets as dataset_service
from obert.catalog import resources as resource_service
from obert.portal import build_portal
from obert.settings import Settings
from tests.conftest import dataset_payload, organization_payload
from tests.live import free_port, serving


@dataclass(frozen=True)
class Live:
    url: str
    admin: dict[str, str]
    resource: str


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = Settings(
        mode="test", data_dir=tmp_path_factory.mktemp("revalidate"), base_url=url, job_threads=0
    )
    portal = build_portal(settings)
    create_user(store=portal.store, name="admin", password="correct horse battery", sysadmin=True)
    admin = {"Authorization": "Bearer " + create_token(store=portal.store, user_ref="admin", name="t").secret}
    try:
        with (
            serving(create_app(settings, portal=portal), port),
            httpx.Client(base_url=url, headers=admin) as http,
        ):
            assert http.post("/api/v1/organizations", json=organization_payload()).status_code == 201
            link = {"name": "accidents-csv", "access_url": "https://example.org/a.csv", "format": "CSV"}
            made = http.post("/api/v1/datasets", json=dataset_payload(name="accidents", resources=[link]))
            assert made.status_code == 201, made.text
            hidden = dataset_payload(name="amagat", visibility="private")
            assert http.post("/api/v1/datasets", json=hidden).status_code == 201
            yield Live(url, admin, made.json()["resources"][0]["id"])
    finally:
        portal.close()


def _reads(live: Live) -> list[str]:
    return [
        f"{live.url}/api/v1/datasets/accidents",
        f"{live.url}/api/v1/resources/{live.resource}",
        f"{live.url}/api/3/action/package_show?id=accidents",
        f"{live.url}/api/3/action/resource_show?id={live.resource}",
    ]


def test_conditional_reads_answer_304_without_building_the_answer(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    firsts = {url: httpx.get(url) for url in _reads(live)}
    for url, first in firsts.items():
        assert first.status_code == 200, url
        assert first.headers["etag"].startswith('W/"') and first.headers["last-modified"].endswith("GMT")

    def unread(**_: object) -> None:
        raise AssertionError("the answer was built")

    monkeypatch.setattr(dataset_service, "get_dataset", unread)
    monkeypatch.setattr(resource_service, "get_resource", unread)
    for url, first in firsts.items():
        same = httpx.get(url, headers={"If-None-Match": first.headers["etag"]})
        assert same.status_code == 304 and same.content == b"", url
        assert same.headers["etag"] == first.headers["etag"]
        assert same.headers["cache-control"].startswith("public")
        since = httpx.get(url, headers={"If-Modified-Since": first.headers["last-modified"]})
        assert since.status_code == 304, url
    monkeypatch.undo()
    for url, first in firsts.items():
        other = httpx.get(url, headers={"If-None-Match": 'W/"another"'})
        assert other.status_code == 200 and other.content == first.content, url


def test_the_validator_moves_with_what_the_answer_shows(live: Live) -> None:
    url = f"{live.url}/api/3/action/package_show?id=accidents"
    seen = [httpx.get(url).headers["etag"]]

    def changed(response: httpx.Response) -> None:
        assert response.status_code < 300, response.text
        answer = httpx.get(url, headers={"If-None-Match": seen[-1]})
        assert answer.status_code == 200 and answer.headers["etag"] not in seen
        seen.append(answer.headers["etag"])

    with httpx.Client(base_url=live.url, headers=live.admin) as http:
        changed(http.patch("/api/v1/datasets/accidents", json={"version": "2"}))
        changed(http.patch(f"/api/v1/resources/{live.resource}", json={"format": "XLSX"}))
        changed(http.patch("/api/v1/organizations/guardia-urbana", json={"title": {"ca": "GUB"}}))
        assert http.post(
            "/api/v1/groups", json={"name": "seguretat", "title": {"ca": "Seguretat"}}
        ).is_success
        changed(http.put("/api/v1/groups/seguretat/datasets/accidents"))
        changed(http.patch("/api/v1/groups/seguretat", json={"title": {"ca": "Seguretat viària"}}))
    # An unrelated dataset's change leaves this one's copies current.
    with httpx.Client(base_url=live.url, headers=live.admin) as http:
        assert http.patch("/api/v1/datasets/amagat", json={"version": "9"}).is_success
    assert httpx.get(url, headers={"If-None-Match": seen[-1]}).status_code == 304


def test_private_answers_stay_private(live: Live) -> None:
    url = f"{live.url}/api/v1/datasets/amagat"
    named = httpx.get(url, headers=live.admin)
    assert named.status_code == 200 and named.headers["cache-control"].startswith("private")
    # Nobody else gets a 304 (that would say it exists) nor the answer: a validator is per caller.
    assert httpx.get(url, headers={"If-None-Match": "*"}).status_code == 404
    assert httpx.get(url, headers={"If-None-Match": named.headers["etag"]}).status_code == 404
    again = httpx.get(url, headers={**live.admin, "If-None-Match": named.headers["etag"]})
    assert again.status_code == 304 and again.headers["cache-control"].startswith("private")
    public = f"{live.url}/api/v1/datasets/accidents"
    assert httpx.get(public, headers=live.admin).headers["etag"] != httpx.get(public).headers["etag"]
