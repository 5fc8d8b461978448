from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import dataset_payload

A = "{http://www.w3.org/2005/Atom}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def feed(client: TestClient, url: str) -> ET.Element:
    response = client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{A}feed"
    # RFC 4287: a feed has an id, a title, an updated date, an author, and links to itself and its page.
    for required in ("id", "title", "updated"):
        assert (root.findtext(f"{A}{required}") or "").strip(), required
    assert root.findtext(f"{A}author/{A}name")
    rels = {link.get("rel"): link.get("href") for link in root.findall(f"{A}link")}
    assert rels["self"] and rels["alternate"]
    for entry in root.findall(f"{A}entry"):
        for required in ("id", "title", "updated", "summary"):
            assert (entry.findtext(f"{A}{required}") or "").strip(), required
        assert entry.find(f"{A}link[@rel='alternate']") is not None
    return root


def titles(root: ET.Element) -> list[str]:
    return [e.findtext(f"{A}title") or "" for e in root.findall(f"{A}entry")]


def test_an_update_appears_in_the_feeds_in_the_reader_s_language(
    client: TestClient, admin: dict[str, str], org: dict[str, Any]
) -> None:
    client.post("/api/v1/datasets", json=dataset_payload(), headers=admin)
    patch = {
        "title": {"ca": "Accidents 2018", "es": "Accidentes 2018", "en": "Accidents in 2018"},
        "license": "CC0",
    }
    client.patch("/api/v1/datasets/accidents-2018", json=patch, headers=admin)

    en = feed(client, "/feeds/datasets.atom?lang=en")
    assert en.get(XML_LANG) == "en"
    assert titles(en) == ["Accidents in 2018: changed title, licence", "New dataset: Traffic accidents 2018"]
    newest = en.findall(f"{A}entry")[0]
    assert newest.findtext(f"{A}summary") == "Accidents in 2018: changed title, licence"
    assert newest.find(f"{A}link").get("href") == "http://testserver/en/dataset/accidents-2018"
    assert newest.findtext(f"{A}author/{A}name") == "City Police"
    assert en.findtext(f"{A}updated") == newest.findtext(f"{A}updated")

    ca = feed(client, "/ca/feeds/datasets.atom")  # the language from the address prefix
    assert ca.get(XML_LANG) == "ca"
    assert titles(ca)[0] == "Accidents 2018: canvis a títol, llicència"
    es = feed(client, "/feeds/datasets.atom?lang=es")
    assert titles(es)[0] == "Accidentes 2018: cambios en título, licencia"

    for url in (
        "/feeds/dataset/accidents-2018.atom?lang=en",
        "/feeds/organization/guardia-urbana.atom?lang=en",
        "/feeds/theme/TRAN.atom?lang=en",
        "/feeds/search.atom?q=accidents&theme=TRAN&lang=en",
        "/feeds/search.atom?q=ACCIDENTS+transit&organization=guardia-urbana&lang=en",
    ):
        assert len(titles(feed(client, url))) == 2, url
    for url in ("/feeds/theme/AGRI.atom", "/feeds/search.atom?q=bicing"):
        assert titles(feed(client, url)) == [], url
    ids = {e.findtext(f"{A}id") for e in en.findall(f"{A}entry")}
    assert ids == {e.findtext(f"{A}id") for e in feed(client, "/feeds/theme/TRAN.atom").findall(f"{A}entry")}


def test_resource_changes_say_which_resource_and_what(
    client: TestClient, admin: dict[str, str], org: dict[str, Any]
) -> None:
    client.post("/api/v1/datasets", json=dataset_payload(), headers=admin)
    created = client.post(
        "/api/v1/datasets/accidents-2018/resources",
        json={"name": "accidents-csv", "title": {"en": "Accidents CSV"}, "format": "CSV"},
        headers=admin,
    ).json()
    client.patch(
        f"/api/v1/resources/{created['id']}",
        json={"download_url": "https://example.org/a.csv"},
        headers=admin,
    )
    client.post(
        f"/api/v1/resources/{created['id']}/upload",
        files={"file": ("a.csv", b"a,b\n1,2\n", "text/csv")},
        headers=admin,
    )
    client.delete(f"/api/v1/resources/{created['id']}", headers=admin)
    assert titles(feed(client, "/feeds/dataset/accidents-2018.atom?lang=en")) == [
        "Traffic accidents 2018: resource Accidents CSV removed",
        "Traffic accidents 2018: new file uploaded for Accidents CSV",
        "Traffic accidents 2018: resource Accidents CSV changed (download URL)",
        "Traffic accidents 2018: new resource Accidents CSV",
        "New dataset: Traffic accidents 2018",
    ]
    events = client.get("/api/v1/events", params={"dataset": "accidents-2018"}).json()["data"]
    assert [e["type"] for e in events] == [
        "resource.removed",
        "resource.uploaded",
        "resource.changed",
        "resource.added",
        "dataset.created",
    ]


def test_private_and_draft_datasets_never_appear(
    client: TestClient, admin: dict[str, str], org: dict[str, Any]
) -> None:
    client.post("/api/v1/datasets", json=dataset_payload(), headers=admin)
    client.post(
        "/api/v1/datasets", json=dataset_payload(name="secret-list", visibility="private"), headers=admin
    )
    client.post("/api/v1/datasets", json=dataset_payload(name="draft-list", state="draft"), headers=admin)
    client.patch("/api/v1/datasets/secret-list", json={"version": "2"}, headers=admin)
    client.post("/api/v1/datasets/draft-list/resources", json={"title": {"en": "draft file"}}, headers=admin)
    # A public dataset made private later takes its whole history out of the feeds.
    client.post("/api/v1/datasets", json=dataset_payload(name="was-public"), headers=admin)
    client.patch("/api/v1/datasets/was-public", json={"version": "9"}, headers=admin)
    client.patch("/api/v1/datasets/was-public", json={"visibility": "private"}, headers=admin)

    urls = [
        "/feeds/datasets.atom",
        "/feeds/organization/guardia-urbana.atom",
        "/feeds/theme/TRAN.atom",
        "/feeds/search.atom?q=accidents",
    ]
    for url in urls:
        body = client.get(url + "?lang=en" if "?" not in url else url + "&lang=en").text
        assert "secret-list" not in body and "draft-list" not in body and "draft file" not in body, url
        root = ET.fromstring(body)
        links = [e.find(f"{A}link").get("href") for e in root.findall(f"{A}entry")]
        assert [link.rsplit("/", 1)[1] for link in links] == ["was-public", "accidents-2018"], url
        assert titles(root)[0] == "Traffic accidents 2018 has been withdrawn"
    for name in ("secret-list", "draft-list", "was-public"):
        assert client.get(f"/feeds/dataset/{name}.atom").status_code == 404
        assert client.get("/api/v1/events", params={"dataset": name}).status_code == 404
    # Not even to their own publisher's administrators: feeds are for anonymous readers.
    assert "secret-list" not in client.get("/feeds/datasets.atom", headers=admin).text


def test_pages_announce_their_feeds(client: TestClient, admin: dict[str, str], org: dict[str, Any]) -> None:
    client.post("/api/v1/datasets", json=dataset_payload(), headers=admin)
    page = client.get("/en/dataset/accidents-2018").text
    assert 'type="application/atom+xml"' in page
    assert 'href="/feeds/dataset/accidents-2018.atom?lang=en"' in page
    assert (
        'href="/feeds/organization/guardia-urbana.atom?lang=en"'
        in client.get("/en/organization/guardia-urbana").text
    )
    assert 'href="/feeds/datasets.atom?lang=ca"' in client.get("/ca/").text


def test_bad_feed_parameters_are_named(client: TestClient) -> None:
    assert client.get("/feeds/datasets.atom?lang=fr").status_code == 422
    assert client.get("/feeds/search.atom?theme=NOPE").status_code == 422
    assert client.get("/feeds/theme/NOPE.atom").status_code == 404
    assert client.get("/feeds/organization/nobody.atom").status_code == 404
    bad = client.get("/api/v1/events", params={"theme": "NOPE"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "theme"
