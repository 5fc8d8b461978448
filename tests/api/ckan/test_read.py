"""Read actions through the real ckanapi client, compared with real CKAN payloads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import ckanapi
import httpx
import pytest
import sqlalchemy as sa

from obert.catalog.indexing import refresh_index
from obert.storage.tables.catalog import dataset_groups, datasets, groups
from tests.api.ckan.conftest import Server

DATA = Path(__file__).parents[2] / "data" / "ckan"
DEMO_DATASETS = 10


def _real(name: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads((DATA / name).read_text(encoding="utf-8"))["result"]
    return result


def _json_type(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def test_package_show_has_the_shape_ckan_clients_read(ckan: ckanapi.RemoteCKAN) -> None:
    real = _real("demo.ckan.org_package_show.json")
    ours = ckan.action.package_show(id="accidents-gu-bcn")
    read_by_clients = [
        "id", "name", "title", "notes", "url", "version", "author", "maintainer", "license_id",
        "license_title", "license_url", "owner_org", "organization", "private", "state", "type",
        "metadata_created", "metadata_modified", "num_resources", "num_tags", "resources", "tags",
        "groups", "extras",
    ]  # fmt: skip
    for key in read_by_clients:
        assert key in ours, key
        if real[key] not in (None, ""):
            assert _json_type(ours[key]) == _json_type(real[key]), key
    for key in ("id", "name", "title", "type", "state"):
        assert _json_type(ours["organization"][key]) == _json_type(real["organization"][key])
    real_resource, resource = real["resources"][0], ours["resources"][0]
    for key in (
        "id",
        "name",
        "description",
        "format",
        "url",
        "package_id",
        "position",
        "created",
        "url_type",
    ):
        assert _json_type(resource[key]) == _json_type(real_resource[key]), key
    assert set(ours["tags"][0]) >= {"name", "display_name"}
    assert ours["type"] == "dataset" and ours["state"] == "active" and ours["private"] is False
    assert ours["num_resources"] == 3 and resource["url_type"] == "upload"
    assert resource["url"].endswith("/download/2018_accidents_gu_bcn.csv")
    assert resource["size"] > 2_000_000 and resource["mimetype"] == "text/csv"


def test_package_show_is_multilingual_like_ckanext_fluent(ckan: ckanapi.RemoteCKAN) -> None:
    ours = ckan.action.package_show(id="accidents-gu-bcn")
    assert ours["title_translated"]["es"].startswith("Accidentes gestionados")
    assert ours["title"] == ours["title_translated"]["ca"]  # the site's default language
    assert ours["notes"] == ours["notes_translated"]["ca"]


def test_dcat_fields_travel_in_extras_like_ckanext_dcat(ckan: ckanapi.RemoteCKAN) -> None:
    extras = {e["key"]: e["value"] for e in ckan.action.package_show(id="accidents-gu-bcn")["extras"]}
    assert json.loads(extras["theme"]) == [
        "http://publications.europa.eu/resource/authority/data-theme/TRAN",
        "http://publications.europa.eu/resource/authority/data-theme/JUST",
    ]
    assert extras["frequency"] == "http://publications.europa.eu/resource/authority/frequency/ANNUAL"
    assert extras["temporal_start"] == "2010-01-01" and extras["temporal_end"] == "2018-12-31"
    assert extras["spatial_uri"].endswith("/territorio/Provincia/Barcelona")
    assert json.loads(extras["spatial"])["type"] == "Polygon"
    assert extras["access_rights"].endswith("/access-right/PUBLIC")
    assert extras["contact_name"] == "Open Data BCN"


def test_package_show_accepts_id_or_name(ckan: ckanapi.RemoteCKAN) -> None:
    by_name = ckan.action.package_show(id="mercats-municipals")
    assert ckan.action.package_show(id=by_name["id"])["name"] == "mercats-municipals"


def test_package_list_and_current_list(ckan: ckanapi.RemoteCKAN) -> None:
    names = ckan.action.package_list()
    assert len(names) >= DEMO_DATASETS and names == sorted(names)
    assert "accidents-gu-bcn" in names
    assert ckan.action.package_list(limit=3, offset=2) == names[2:5]
    current = ckan.action.current_package_list_with_resources(limit=2)
    assert len(current) == 2 and all("resources" in p for p in current)
    assert current[0]["metadata_modified"] >= current[1]["metadata_modified"]


def test_package_search_pages_through_everything(ckan: ckanapi.RemoteCKAN) -> None:
    seen: list[str] = []
    start = 0
    while True:
        page = ckan.action.package_search(rows=3, start=start, sort="name asc")
        seen.extend(p["name"] for p in page["results"])
        start += 3
        if start >= page["count"]:
            break
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == page["count"] >= DEMO_DATASETS


def test_package_search_facets_match_the_real_shape(ckan: ckanapi.RemoteCKAN) -> None:
    real = _real("demo.ckan.org_package_search_rows3.json")
    ours = ckan.action.package_search(
        rows=0, **{"facet.field": json.dumps(["organization", "res_format", "groups"])}
    )
    assert set(real) <= set(ours) | {"search_facets"}
    assert set(ours["facets"]) == set(real["facets"]) == {"organization", "res_format", "groups"}
    assert ours["facets"]["res_format"] == {"CSV": 7, "GEOJSON": 2, "JSON": 1}
    assert ours["facets"]["organization"]["estadistica"] == 3
    assert ours["results"] == []
    items = ours["search_facets"]["organization"]["items"]
    assert {"name": "estadistica", "display_name": "estadistica", "count": 3} in items


def test_facets_count_what_the_results_hold(ckan_get: ckanapi.RemoteCKAN) -> None:
    """Every facet value counts the datasets of the search whose package has it: a tag written alike in
    several languages counts its dataset once, as the package's `tags` list it once."""
    fields = ["organization", "tags", "res_format", "license_id", "theme"]
    for q in ("", "accidents", "qualitat aire"):
        found = ckan_get.action.package_search(
            q=q, rows=1000, **{"facet.field": json.dumps(fields), "facet.limit": -1}
        )
        packages = found["results"]
        assert len(packages) == found["count"] > 0
        held = {
            "organization": [[p["organization"]["name"]] for p in packages],
            "tags": [[t["name"] for t in p["tags"]] for p in packages],
            "res_format": [sorted({r["format"] for r in p["resources"] if r["format"]}) for p in packages],
        }
        for name, values in held.items():
            expected: dict[str, int] = {}
            for listed in values:
                for value in set(listed):
                    expected[value] = expected.get(value, 0) + 1
            assert found["facets"][name] == expected, (q, name)
        assert sum(found["facets"]["license_id"].values()) == sum(1 for p in packages if p["license_id"])


def test_facets_agree_with_the_search_page(ckan_get: ckanapi.RemoteCKAN, server: Server) -> None:
    """One facet system: CKAN's organization and res_format facets are the search API's publisher and
    format facets of the same words."""
    ours = ckan_get.action.package_search(
        q="accidents", rows=0, **{"facet.field": '["organization", "res_format"]'}
    )
    native = httpx.get(
        f"{server.url}/api/v1/search", params={"q": "accidents", "facets": "publisher,format"}
    ).json()
    assert ours["count"] == native["count"]
    for ckan_name, name in (("organization", "publisher"), ("res_format", "format")):
        assert ours["facets"][ckan_name] == {v["value"]: v["count"] for v in native["facets"][name]}


def test_package_search_filters_and_text(ckan: ckanapi.RemoteCKAN) -> None:
    found = ckan.action.package_search(fq="organization:guardia-urbana")
    assert {p["name"] for p in found["results"]} == {"accidents-gu-bcn", "accidents-tipus-gu-bcn"}
    both = ckan.action.package_search(fq_list=["res_format:GEOJSON", "organization:bsm"])
    assert [p["name"] for p in both["results"]] == ["bicing-estacions"]
    assert ckan.action.package_search(q="bicing")["count"] == 1
    assert ckan.action.package_search(q="accidentes tráfico")["count"] >= 1
    # Words go through the search index: accents and case do not matter, stems match.
    assert ckan.action.package_search(q="ACCIDENTES TRAFICO")["count"] >= 1
    assert ckan.action.package_search(q="estacio")["count"] >= 1
    limited = ckan.action.package_search(rows=0, **{"facet.field": '["organization"]', "facet.limit": 2})
    assert len(limited["facets"]["organization"]) == 2


def test_solr_style_queries_ckan_tools_send(ckan: ckanapi.RemoteCKAN) -> None:
    assert ckan.action.package_search(q="organization:bsm")["count"] == 1
    assert ckan.action.package_search(q='tags:"road safety" accidents')["count"] == 1
    assert ckan.action.package_search(q="*:*")["count"] == DEMO_DATASETS
    # CKAN's harvester asks for what changed since its last run like this:
    harvester_fq = "+dataset_type:dataset metadata_modified:[2000-01-01T00:00:00Z TO *]"
    since = ckan.action.package_search(fq=harvester_fq)
    assert since["count"] == DEMO_DATASETS
    later = ckan.action.package_search(fq="metadata_modified:[2999-01-01T00:00:00Z TO *]")
    assert later["count"] == 0
    with pytest.raises(ckanapi.ValidationError) as bad:
        ckan.action.package_search(fq="author:someone")
    assert "fq" in bad.value.error_dict


def test_organizations_groups_and_tags(ckan: ckanapi.RemoteCKAN) -> None:
    names = ckan.action.organization_list()
    assert "guardia-urbana" in names
    full = ckan.action.organization_list(all_fields=True)
    assert {o["name"] for o in full} == set(names) and full[0]["is_organization"] is True
    org = ckan.action.organization_show(id="guardia-urbana", include_datasets=True)
    assert org["package_count"] == 2 and len(org["packages"]) == 2
    tags = ckan.action.tag_list()
    assert "trànsit" in tags and "traffic" in tags
    assert ckan.action.tag_list(query="accid") == sorted(t for t in tags if "accid" in t.casefold())


def test_groups_from_the_groups_table(server: Server, ckan: ckanapi.RemoteCKAN) -> None:
    with server.portal.store.begin() as conn:
        conn.execute(
            sa.insert(groups).values(
                id="g-mobility",
                name="mobilitat",
                title={"ca": "Mobilitat", "en": "Mobility"},
                description={},
                created_at=sa.func.now(),
                updated_at=sa.func.now(),
            )
        )
        bicing = conn.execute(
            sa.select(datasets.c.id).where(datasets.c.name == "bicing-estacions")
        ).scalar_one()
        conn.execute(sa.insert(dataset_groups).values(dataset_id=bicing, group_id="g-mobility"))
        refresh_index(conn, [bicing])  # what a service changing a dataset's groups does
    assert "mobilitat" in ckan.action.group_list()
    shown = ckan.action.group_show(id="mobilitat", include_datasets=True)
    assert shown["title"] == "Mobilitat" and [p["name"] for p in shown["packages"]] == ["bicing-estacions"]
    assert ckan.action.package_show(id="bicing-estacions")["groups"][0]["name"] == "mobilitat"
    facet = ckan.action.package_search(rows=0, **{"facet.field": '["groups"]'})["facets"]["groups"]
    assert facet == {"mobilitat": 1}


def test_resource_show_status_and_help(ckan: ckanapi.RemoteCKAN) -> None:
    package = ckan.action.package_show(id="bicing-estacions")
    resource = ckan.action.resource_show(id=package["resources"][0]["id"])
    assert resource == package["resources"][0]
    status = ckan.action.status_show()
    assert status["ckan_version"].startswith("2.") and status["locale_default"] == "ca"
    assert "rows" in ckan.action.help_show(name="package_search")


def test_get_requests_work_like_ckan(server: Server) -> None:
    client = ckanapi.RemoteCKAN(server.url, get_only=True)
    assert client.action.package_show(id="bicing-estacions")["name"] == "bicing-estacions"
    page = client.action.package_search(rows=2, start=1, sort="name asc")
    assert len(page["results"]) == 2


@pytest.mark.parametrize("prefix", ["/api/3/action", "/api/action"])
def test_envelope(server: Server, prefix: str) -> None:
    assert httpx.get(f"{server.url}/api/3").json() == {"version": 3}
    body = httpx.get(f"{server.url}{prefix}/package_list").json()
    assert body["success"] is True
    assert body["help"] == f"{server.url}/api/3/action/help_show?name=package_list"
