"""CKAN, Socrata and OpenDataSoft portals served on 127.0.0.1 from recorded and hand-written payloads."""

from __future__ import annotations

import json
from typing import Any

from obert.auth import SYSTEM
from obert.catalog.datasets import get_dataset, list_datasets
from obert.harvest.runner import HarvestContext, run_harvest
from obert.harvest.sources import get_source
from obert.portal import Portal
from tests.harvest.conftest import DATA, Recorder, add_source
from tests.harvest.servers import json_body, serve


def _search(packages: list[dict[str, Any]]):  # type: ignore[no-untyped-def]
    def route(path: str, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        start, rows = int(query.get("start", 0)), int(query.get("rows", 10))
        page = packages[start : start + rows]
        return json_body({"success": True, "result": {"count": len(packages), "results": page}})

    return route


def _harvest(portal: Portal, hctx: HarvestContext, **fields: object) -> dict[str, int]:
    add_source(portal, **fields)
    report = run_harvest(ctx=hctx, source=get_source(store=portal.store, actor=SYSTEM, ref="src"))
    assert report.state == "done", report.error
    return report.counts


def test_demo_ckan_org_package_search(portal: Portal, hctx: HarvestContext) -> None:
    recorded = json.loads((DATA / "ckan" / "package_search_rows3.json").read_text())
    with serve(_search(recorded["result"]["results"])) as server:
        counts = _harvest(portal, hctx, type="ckan", url=server.url)
    assert counts == {"created": 3}
    ds = get_dataset(store=portal.store, actor=SYSTEM, ref="100-validated-species-of-plants")
    assert ds.keywords == {"en": ["flower", "image recognition", "machine learning"]}
    assert ds.contact_point and ds.contact_point.email == "misoh049@gmail.com"
    assert ds.resources[0].format == "CSV" and ds.resources[0].download_url
    assert ds.issued == "2017-08-05T03:16:52.857800"


def test_hdx_package_with_many_resources(portal: Portal, hctx: HarvestContext) -> None:
    package = json.loads((DATA / "ckan" / "hdx_unesco_dataset.json").read_text())
    with serve(_search([package])) as server:
        _harvest(portal, hctx, type="ckan", url=server.url)
    ds = list_datasets(store=portal.store, actor=SYSTEM).items[0]
    assert len(ds.resources) == len(package["resources"])
    assert ds.organization and ds.organization.name == "unesco"
    assert ds.extras["methodology"]  # HDX's own top-level fields are kept


def test_open_data_bcn_translated_and_custom_fields(
    portal: Portal, hctx: HarvestContext, ingest: Recorder
) -> None:
    body = json.loads((DATA / "ckan" / "own_opendatabcn_fluent.json").read_text())
    with serve(_search(body["result"]["results"])) as server:
        _harvest(
            portal, hctx, type="ckan", url=server.url + "/data", config={"language": "ca"}, auto_ingest=True
        )
    ds = get_dataset(store=portal.store, actor=SYSTEM, ref="accidents-gu-bcn")
    assert set(ds.title) == {"ca", "es", "en"} and ds.description["en"].startswith("List of accidents")
    assert ds.extras["code"] == "ACCIDENTS_GU_BCN" and ds.extras["fuente"] == "Guàrdia Urbana"
    assert ds.frequency == "ANNUAL" and ds.themes == ["TRAN"]
    assert ds.resources[0].byte_size == 2419316
    assert ds.organization and ds.organization.title == {"ca": "Guàrdia Urbana"}
    assert ingest.asked == [(ds.id, ds.resources[0].id)]  # the source asked for tabular ingestion


def test_socrata_discovery_api(portal: Portal, hctx: HarvestContext) -> None:
    body = json.loads((DATA / "own_socrata_catalog_v1.json").read_text())
    seen: list[dict[str, str]] = []

    def route(path: str, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        seen.append(query)
        return json_body(
            body if path == "/api/catalog/v1" else {"error": "no"}, 200 if path == "/api/catalog/v1" else 404
        )

    with serve(route) as server:
        counts = _harvest(portal, hctx, type="socrata", url=server.url, config={"domain": "data.example.gov"})
    assert counts == {"created": 2} and seen[0]["domains"] == "data.example.gov"
    ds = get_dataset(store=portal.store, actor=SYSTEM, ref="street-trees-abcd-1234")
    assert ds.themes == ["ENVI"] and ds.license == "CC_BY_4_0"
    assert ds.landing_page == "https://data.example.gov/d/abcd-1234"
    assert ds.extras["columns"] == "tree_id, species, planted"
    assert [r.format for r in ds.resources] == ["CSV", "JSON"]


def test_opendatasoft_explore_v21(portal: Portal, hctx: HarvestContext) -> None:
    body = json.loads((DATA / "own_ods_catalog_datasets.json").read_text())

    def route(path: str, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        start, limit = int(query.get("offset", 0)), int(query.get("limit", 10))
        return json_body(body | {"results": body["results"][start : start + limit]})

    with serve(route) as server:
        counts = _harvest(portal, hctx, type="ods", url=server.url, config={"limit": 1})
        assert len(server.hits) == 2  # paged with limit and offset
    assert counts == {"created": 2}
    ds = get_dataset(store=portal.store, actor=SYSTEM, ref="qualitat-aire")
    assert ds.title == {"ca": "Qualitat de l'aire"} and ds.languages == ["CAT"]
    assert ds.themes == ["ENVI"] and ds.license == "CC_BY_4_0"
    assert "GEOJSON" in [r.format for r in ds.resources]
    assert ds.resources[0].download_url and ds.resources[0].download_url.endswith("/exports/csv")
    other = get_dataset(store=portal.store, actor=SYSTEM, ref="pressupost")
    assert other.license == "ODC_BL"
