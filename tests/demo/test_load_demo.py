from __future__ import annotations

import hashlib

from fastapi.testclient import TestClient

from obert.demo import FILES, demo_catalog, load_demo
from obert.portal import Portal


def test_demo_publishes_every_dataset_with_downloadable_files(client: TestClient, portal: Portal) -> None:
    report = load_demo(portal)
    catalog = demo_catalog()
    assert report.startswith(f"{len(catalog['datasets'])} datasets")
    listing = client.get("/api/v1/datasets", params={"limit": 100}).json()
    assert listing["count"] == len(catalog["datasets"]) >= 8
    publishers = {d["organization"]["name"] for d in listing["data"]}
    assert {"guardia-urbana", "agencia-salut-publica", "estadistica"} <= publishers
    for dataset in listing["data"]:
        assert set(dataset["title"]) == {"ca", "es", "en"}
        for resource in dataset["resources"]:
            response = client.get(resource["url"].removeprefix("http://testserver"))
            assert response.status_code == 200
            original = (FILES / resource["upload"]).read_bytes()
            assert hashlib.sha256(response.content).hexdigest() == hashlib.sha256(original).hexdigest()
    # Loading again changes nothing.
    assert load_demo(portal).startswith("already loaded")
    assert client.get("/api/v1/datasets").json()["count"] == listing["count"]


def test_demo_pages_render(client: TestClient, portal: Portal) -> None:
    load_demo(portal)
    for lang in ("ca", "es", "en"):
        home = client.get(f"/{lang}/")
        assert home.status_code == 200
        assert "Guàrdia Urbana" in home.text or "Guardia Urbana" in home.text
    name = demo_catalog()["datasets"][0]["name"]
    assert client.get(f"/ca/dataset/{name}").status_code == 200
