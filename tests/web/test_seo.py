"""What search engines read: schema.org JSON-LD in dataset pages, the sitemap and robots.txt."""

from __future__ import annotations

import json
import re
from xml.etree import ElementTree as ET

import pytest
from fastapi.testclient import TestClient

from obert.auth import SYSTEM
from obert.catalog import datasets
from obert.catalog.common import validated
from obert.catalog.models import DatasetInput
from obert.portal import Portal
from obert.web import seo
from tests.conftest import dataset_payload
from tests.demo_copy import ensure_demo

SCRIPT = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)
NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}


@pytest.mark.demo
def test_dataset_page_embeds_schema_org(client: TestClient, portal: Portal) -> None:
    ensure_demo(portal)
    html = client.get("/es/dataset/accidents-gu-bcn").text
    blocks = SCRIPT.findall(html)
    assert len(blocks) == 1
    data = json.loads(blocks[0])
    assert data["@type"] == "Dataset" and data["@context"] == "https://schema.org/"
    assert data["name"].startswith("Accidentes gestionados") and data["inLanguage"] == "es"
    assert data["license"] == "http://creativecommons.org/licenses/by/4.0/"
    assert data["temporalCoverage"] == "2010-01-01/2018-12-31"
    assert data["publisher"]["name"] == "Guardia Urbana de Barcelona"
    assert len(data["distribution"]) == 3
    assert data["distribution"][0]["encodingFormat"] == "text/csv"
    assert data["distribution"][0]["contentUrl"].endswith("/download/2018_accidents_gu_bcn.csv")
    assert "accidentes" in data["keywords"]


def test_metadata_cannot_break_out_of_the_script(
    client: TestClient, portal: Portal, admin: dict[str, str]
) -> None:
    evil = "</script><script>alert(1)</script> & más"
    payload = dataset_payload(organization=None, title={"ca": evil}, description={"ca": evil})
    datasets.create_dataset(store=portal.store, actor=SYSTEM, data=validated(DatasetInput, payload))
    html = client.get("/ca/dataset/accidents-2018").text
    assert "<script>alert(1)" not in html
    assert json.loads(SCRIPT.findall(html)[0])["name"] == evil


@pytest.mark.demo
def test_sitemap_lists_public_pages_in_every_language(client: TestClient, portal: Portal) -> None:
    ensure_demo(portal)
    hidden = dataset_payload(organization=None, name="amagat", visibility="private")
    datasets.create_dataset(store=portal.store, actor=SYSTEM, data=validated(DatasetInput, hidden))
    response = client.get("/sitemap.xml")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(response.content)
    locs = [u.findtext("s:loc", namespaces=NS) for u in root.findall("s:url", NS)]
    datasets_found = {loc.rsplit("/", 1)[-1] for loc in locs if loc and "/dataset/" in loc}
    assert len(datasets_found) == 10 and "amagat" not in datasets_found
    for lang in ("ca", "es", "en"):
        assert f"http://testserver/{lang}/dataset/bicing-estacions" in locs
        assert f"http://testserver/{lang}/organization/bsm" in locs
    url = next(
        u
        for u in root.findall("s:url", NS)
        if u.findtext("s:loc", namespaces=NS).endswith("/ca/dataset/bicing-estacions")
    )
    alternates = {link.get("hreflang"): link.get("href") for link in url.findall("x:link", NS)}
    assert alternates == {
        "ca": "http://testserver/ca/dataset/bicing-estacions",
        "es": "http://testserver/es/dataset/bicing-estacions",
        "en": "http://testserver/en/dataset/bicing-estacions",
        "x-default": "http://testserver/dataset/bicing-estacions",
    }
    assert url.findtext("s:lastmod", namespaces=NS)


@pytest.mark.demo
def test_a_catalogue_too_large_for_one_sitemap_gets_an_index_of_sitemaps(
    client: TestClient, portal: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    ensure_demo(portal)
    hidden = dataset_payload(organization=None, name="amagat", visibility="private")
    datasets.create_dataset(store=portal.store, actor=SYSTEM, data=validated(DatasetInput, hidden))
    whole = ET.fromstring(client.get("/sitemap.xml").content)
    listed = [u.findtext("s:loc", namespaces=NS) for u in whole.findall("s:url", NS)]
    monkeypatch.setattr(seo, "DATASETS_PER_SITEMAP", 4)  # the demo's 10 public datasets: 3 sitemaps

    index = ET.fromstring(client.get("/sitemap.xml").content)
    assert index.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}sitemapindex"
    parts = [s.findtext("s:loc", namespaces=NS) for s in index.findall("s:sitemap", NS)]
    assert parts == [f"http://testserver/sitemap/{n}.xml" for n in (1, 2, 3)]
    found: list[str | None] = []
    for part in parts:
        answer = client.get(part.removeprefix("http://testserver"))
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/xml")
        found += [
            u.findtext("s:loc", namespaces=NS) for u in ET.fromstring(answer.content).findall("s:url", NS)
        ]
    assert sorted(found) == sorted(listed) and len(found) == len(set(found))  # the same pages, each once
    assert not any("amagat" in (loc or "") for loc in found)
    for missing in ("/sitemap/0.xml", "/sitemap/4.xml"):
        assert client.get(missing).status_code == 404


def test_robots(client: TestClient) -> None:
    text = client.get("/robots.txt").text
    assert "Sitemap: http://testserver/sitemap.xml" in text and "Disallow: /api/" in text
