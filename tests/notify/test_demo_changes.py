"""Feeds and freshness over the bundled Barcelona demo catalogue."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from fastapi.testclient import TestClient

from obert.portal import Portal
from tests.demo_copy import ensure_demo

A = "{http://www.w3.org/2005/Atom}"


def dataset_names(client: TestClient, url: str) -> set[str]:
    root = ET.fromstring(client.get(url).content)
    return {e.find(f"{A}link").get("href").rsplit("/", 1)[1] for e in root.findall(f"{A}entry")}


@pytest.mark.demo
def test_the_demo_catalogue_s_feeds_and_freshness(client: TestClient, portal: Portal) -> None:
    ensure_demo(portal)
    assert len(dataset_names(client, "/feeds/datasets.atom")) == 10
    assert dataset_names(client, "/feeds/theme/ENVI.atom") == {
        "qualitat-aire-detall-bcn",
        "qualitat-aire-estacions-bcn",
    }
    assert dataset_names(client, "/feeds/search.atom?q=qualitat+aire") == {
        "qualitat-aire-detall-bcn",
        "qualitat-aire-estacions-bcn",
    }
    assert dataset_names(client, "/feeds/organization/estadistica.atom") == {
        "renda-disponible-llars-bcn",
        "pad-mdbas-niv-educa-esta-sexe",
        "pad-dimensions",
    }
    statuses = {f["dataset_name"]: f["status"] for f in client.get("/api/v1/freshness").json()["data"]}
    # Files were just uploaded, so nothing with a rhythm is late; the rest promise no rhythm at all.
    assert statuses["qualitat-aire-detall-bcn"] == "fresh"
    assert statuses["bicing-estacions"] == "not_applicable"  # UPDATE_CONT
    assert statuses["mercats-municipals"] == "not_applicable"  # IRREG, last modified in 2021
    assert client.get("/api/v1/freshness", params={"late": "true"}).json()["count"] == 0
