"""DCAT-AP harvesting from documents served on 127.0.0.1: the official DCAT-AP-ES examples, Euskadi's
NTI-RISP exports, a fixture with datos.gob.es quirks, and a Hydra-paged JSON-LD catalogue."""

from __future__ import annotations

from pathlib import Path

import pytest

from obert.auth import SYSTEM
from obert.catalog.datasets import get_dataset, list_datasets
from obert.catalog.organizations import get_organization
from obert.harvest.runner import HarvestContext, run_harvest
from obert.harvest.sources import get_source
from obert.portal import Portal
from tests.harvest.conftest import DATA, add_source
from tests.harvest.servers import serve

TYPES = {".ttl": "text/turtle", ".rdf": "application/rdf+xml", ".jsonld": "application/ld+json"}


def _files(path: str, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    file = DATA / "dcat" / Path(path).name
    if not file.is_file():
        return 404, {}, b"not here"
    return 200, {"Content-Type": TYPES.get(file.suffix, "application/octet-stream")}, file.read_bytes()


def _run(portal: Portal, hctx: HarvestContext, url: str, **fields: object) -> dict[str, int]:
    add_source(portal, type="dcat", url=url, **fields)
    report = run_harvest(ctx=hctx, source=get_source(store=portal.store, actor=SYSTEM, ref="src"))
    assert report.state == "done", report.error
    return report.counts


@pytest.mark.parametrize("name", ["E_DCAT-AP-ES_full.ttl", "E_DCAT-AP-ES_Catalog.rdf"])
def test_the_official_dcat_ap_es_examples(portal: Portal, hctx: HarvestContext, name: str) -> None:
    with serve(_files) as server:
        counts = _run(portal, hctx, f"{server.url}/{name}")
    assert counts.get("created", 0) >= 1 and "failed" not in counts
    page = list_datasets(store=portal.store, actor=SYSTEM, limit=100)
    ds = page.items[0]
    assert ds.title.get("es") and ds.description.get("es")
    assert ds.resources and ds.extras["harvest_remote_id"]


def test_full_example_fields_are_mapped(portal: Portal, hctx: HarvestContext) -> None:
    with serve(_files) as server:
        _run(portal, hctx, f"{server.url}/E_DCAT-AP-ES_full.ttl")
    ds = get_dataset(store=portal.store, actor=SYSTEM, ref="calidad-aire-madrid")
    assert ds.title["en"] == "Air Quality in Madrid - Hourly Data"
    assert ds.sectors == ["medio-ambiente"] and "ENVI" in ds.themes  # sector, and its EU theme
    assert ds.frequency == "HOURLY" and ds.access_rights == "PUBLIC" and ds.license == "CC_BY_4_0"
    assert ds.temporal and ds.temporal.start == "2020-01-01"
    assert ds.contact_point and ds.contact_point.email == "medioambiente@ejemplo.gob.es"
    assert [r.format for r in ds.resources] == ["CSV", "JSON"]
    assert ds.resources[0].byte_size == 2456789
    assert ds.extras["other_identifier"] == "CAM-AIR-2024-001"


def test_spanish_catalogue_quirks(portal: Portal, hctx: HarvestContext) -> None:
    with serve(_files) as server:
        counts = _run(portal, hctx, f"{server.url}/own_madrid_quirks.ttl")
    assert counts == {"created": 1}
    ds = get_dataset(store=portal.store, actor=SYSTEM, ref="parcs-i-jardins")
    assert ds.languages == ["SPA"]  # from the literal "es"
    assert ds.issued == "2024-04-15"  # from "15/04/2024"
    assert ds.frequency == "MONTHLY"  # from a time:DurationDescription
    assert ds.sectors == ["medio-ambiente"] and ds.themes == ["ENVI"]
    assert ds.license is None and ds.extras["license_url"] == "https://example.org/aviso-legal"
    assert [r.format for r in ds.resources] == ["CSV", "XLS", "GEOJSON"]
    assert ds.resources[0].access_url == "https://example.org/files/parcs.csv"
    assert ds.resources[0].byte_size == 43008
    assert ds.organization and ds.organization.name == "l01080193"
    org = get_organization(store=portal.store, ref="l01080193")
    assert org.title == {"es": "Ajuntament de Barcelona"}
    assert org.identifier == "http://datos.gob.es/recurso/sector-publico/org/Organismo/L01080193"


def test_euskadi_nti_risp_exports(portal: Portal, hctx: HarvestContext) -> None:
    with serve(_files) as server:
        counts = _run(portal, hctx, f"{server.url}/euskadi_registro-contratos_r01DCATDataset.rdf")
    assert counts == {"created": 1}
    ds = list_datasets(store=portal.store, actor=SYSTEM).items[0]
    assert ds.frequency == "DAILY" and ds.license == "CC_BY_4_0"
    assert {"CSV", "JSON"} <= {r.format for r in ds.resources}  # several distributions, IMT formats


def test_a_hydra_paged_json_ld_catalogue(portal: Portal, hctx: HarvestContext) -> None:
    remote = "https://example.org/remote-context.jsonld"

    def route(path: str, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        if path == "/remote-context.jsonld":
            return (
                200,
                {"Content-Type": "application/ld+json"},
                b'{"@context": {"dcat": "http://www.w3.org/ns/dcat#"}}',
            )
        name = "own_paged_2.jsonld" if path.endswith("catalog-2.jsonld") else "own_paged_1.jsonld"
        body = (
            (DATA / "dcat" / name)
            .read_bytes()
            .replace(remote.encode(), f"{server.url}/remote-context.jsonld".encode())
        )
        return 200, {"Content-Type": "application/ld+json"}, body

    with serve(route) as server:
        counts = _run(portal, hctx, f"{server.url}/catalog.jsonld")
        hits = list(server.hits)
    assert counts == {"created": 4}
    # The remote @context is fetched once, through the guarded client, and kept for the next page.
    assert hits == ["/catalog.jsonld", "/remote-context.jsonld", "/catalog-2.jsonld"]
    assert {d.themes[0] for d in list_datasets(store=portal.store, actor=SYSTEM).items} == {"TRAN"}


def test_garbage_is_not_a_dcat_document(portal: Portal, hctx: HarvestContext) -> None:
    def route(path: str, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        return 200, {"Content-Type": "text/turtle"}, b"this is <not turtle> at all {"

    with serve(route) as server:
        add_source(portal, type="dcat", url=f"{server.url}/x.ttl")
        report = run_harvest(ctx=hctx, source=get_source(store=portal.store, actor=SYSTEM, ref="src"))
    assert report.state == "failed" and "is not a DCAT document" in (report.error or "")
