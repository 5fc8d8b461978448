"""Data Package out: Frictionless itself validates every demo dataset's package against the live server,
and pandas and Frictionless read the air-quality codes as obert typed them."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import frictionless
import httpx
import pandas as pd
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import FOAF

from tests.interchange.conftest import Live

DEMO = json.loads((Path(__file__).parents[2] / "obert" / "demo" / "catalog.json").read_text())
DEMO_DATASETS = [d["name"] for d in DEMO["datasets"]]


def test_every_demo_package_passes_frictionless_validate(live: Live) -> None:
    for name in DEMO_DATASETS:
        report = frictionless.validate(f"{live.url}/dataset/{name}/datapackage.json")
        assert report.valid, (name, report.flatten(["type", "rowNumber", "fieldName", "note"])[:5])


def test_codes_stay_strings_for_frictionless_and_pandas(live: Live) -> None:
    descriptor = live.get("/dataset/qualitat-aire-detall-bcn/datapackage.json").json()
    resource = next(r for r in descriptor["resources"] if r["name"] == "qualitat-aire-detall-mostra")
    fields = {f["name"]: f["type"] for f in resource["schema"]["fields"]}
    assert fields["CODI_PROVINCIA"] == fields["CODI_MUNICIPI"] == fields["ESTACIO"] == "string"
    assert fields["ANY"] == "integer"

    package = frictionless.Package(f"{live.url}/dataset/qualitat-aire-detall-bcn/datapackage.json")
    row = package.get_resource("qualitat-aire-detall-mostra").read_rows(size=1)[0]
    assert (row["CODI_PROVINCIA"], row["CODI_MUNICIPI"], row["ESTACIO"]) == ("08", "019", "043")

    dtypes = {f["name"]: (str if f["type"] == "string" else None) for f in resource["schema"]["fields"]}
    frame = pd.read_csv(resource["path"], dtype={k: v for k, v in dtypes.items() if v})
    assert frame["CODI_PROVINCIA"].iloc[0] == "08" and frame["ESTACIO"].iloc[0] == "043"


def test_a_columns_unknown_markers_are_its_own_missing_values(live: Live) -> None:
    """The 2010 accidents keep Barcelona's -1 for an unknown position and "Desconegut" for an unknown cause:
    their fields name them as missing values (Data Package v2), so Frictionless reads them as missing."""
    url = f"{live.url}/dataset/accidents-gu-bcn/datapackage.json"
    resource = next(r for r in httpx.get(url).json()["resources"] if r["name"] == "accidents-gu-bcn-2010")
    marked = {f["name"]: f["missingValues"] for f in resource["schema"]["fields"] if "missingValues" in f}
    cause = next(name for name, values in marked.items() if "Desconegut" in values)
    utm = [name for name in marked if name.startswith("Coordenada UTM")]
    assert all(marked[name] == ["", "-1.00"] for name in utm)  # as the CSV writes them: kept exact
    assert utm and all(values[0] == "" for values in marked.values())
    rows = frictionless.Package(url).get_resource("accidents-gu-bcn-2010").read_rows(size=3000)
    assert any(r[cause] is None for r in rows) and all(r[cause] != "Desconegut" for r in rows)
    assert all(r[name] is None or r[name] > 0 for r in rows for name in utm)


def test_package_names_licence_sources_contributors_and_languages(live: Live) -> None:
    en = live.get("/api/v1/datasets/qualitat-aire-estacions-bcn/datapackage.json?lang=en").json()
    ca = live.get(
        "/dataset/qualitat-aire-estacions-bcn/datapackage.json", headers={"Accept-Language": "ca"}
    ).json()
    assert en["title"] == "Air quality monitoring stations in Barcelona"
    assert ca["title"].startswith("Estacions de mesura")
    assert set(en["obert:i18n"]) == {"ca", "es", "en"}
    assert en["licenses"][0]["name"] == "CC-BY-4.0"
    assert en["sources"][0]["path"].startswith("https://opendata-ajuntament.barcelona.cat/")
    assert {c["role"] for c in en["contributors"]} >= {"publisher"}
    resource = en["resources"][0]
    assert resource["schema"]["missingValues"] == [""]
    assert resource["path"].endswith("/export.csv?version=1")


def test_masked_table_package_shows_no_small_counts(live: Live) -> None:
    descriptor = live.get("/dataset/pad-mdbas-niv-educa-esta-sexe/datapackage.json").json()
    resource = descriptor["resources"][0]
    rows = frictionless.Resource(
        resource["path"], schema=frictionless.Schema.from_descriptor(resource["schema"])
    )
    values = [r["Valor"] for r in rows.read_rows()]
    assert None in values and all(v is None or v == 0 or v >= 5 for v in values)


def test_unknown_dataset_answers_json_404(live: Live) -> None:
    response = live.get("/dataset/no-such-dataset/datapackage.json")
    assert response.status_code == 404
    assert response.json()["ok"] is False


@pytest.mark.parametrize(
    "path", ["/dataset/qualitat-aire-estacions-bcn", "/en/dataset/qualitat-aire-estacions-bcn"]
)
def test_dataset_page_links_both_descriptions(live: Live, path: str) -> None:
    html = live.get(path).text
    assert "/dataset/qualitat-aire-estacions-bcn/datapackage.json" in html
    assert 'rel="alternate" type="application/ld+json"' in html and "croissant.json" in html
    assert ">Frictionless Data Package</a>" in html  # in the page's "Use it from code" part too


def test_dcat_links_both_descriptions(live: Live) -> None:
    graph = Graph().parse(data=live.get("/dataset/qualitat-aire-estacions-bcn.ttl").text, format="turtle")
    pages = {str(o) for o in graph.objects(None, FOAF.page)}
    base = f"{live.url}/dataset/qualitat-aire-estacions-bcn"
    assert {f"{base}/datapackage.json", f"{base}/croissant.json"} <= pages
    assert (URIRef(f"{base}/datapackage.json"), FOAF.page, None) not in graph


def test_a_dataset_without_tables_has_no_package(live: Live) -> None:
    created = httpx.post(
        f"{live.url}/api/v1/datasets",
        json={"name": "sense-taules", "title": {"ca": "Sense taules"}},
        headers=live.admin,
    )
    assert created.status_code == 201, created.text
    response = live.get("/dataset/sense-taules/datapackage.json")
    assert response.status_code == 404 and "no published table" in response.json()["error"]


def test_a_dataset_without_tables_links_no_descriptions(live: Live) -> None:
    httpx.post(
        f"{live.url}/api/v1/datasets",
        json={"name": "sense-taules-2", "title": {"ca": "Sense taules"}},
        headers=live.admin,
    )
    html = live.get("/dataset/sense-taules-2").text
    assert "datapackage.json" not in html and "croissant.json" not in html


def test_resources_carry_the_size_and_digest_of_their_file(live: Live) -> None:
    descriptor = live.get("/dataset/qualitat-aire-detall-bcn/datapackage.json").json()
    for resource in descriptor["resources"]:
        body = httpx.get(resource["path"], timeout=60).content
        assert resource["bytes"] == len(body)
        assert resource["hash"] == "sha256:" + hashlib.sha256(body).hexdigest()
    # The same file the next time: its bytes never change, and neither does the description.
    again = live.get("/dataset/qualitat-aire-detall-bcn/datapackage.json").json()
    assert [(r["bytes"], r["hash"]) for r in again["resources"]] == [
        (r["bytes"], r["hash"]) for r in descriptor["resources"]
    ]


def test_frictionless_checks_the_size_and_digest(live: Live) -> None:
    descriptor = live.get("/dataset/qualitat-aire-detall-bcn/datapackage.json").json()
    resource = descriptor["resources"][0]
    assert frictionless.validate(resource).valid
    broken = {**resource, "hash": "sha256:" + "0" * 64, "bytes": resource["bytes"] + 1}
    report = frictionless.validate(broken)
    assert not report.valid
    assert {"hash-count", "byte-count"} <= {row[0] for row in report.flatten(["type"])}
