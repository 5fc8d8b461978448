"""license_id as CKAN clients know it: CKAN's own ids (cc-by, odc-odbl, cc-zero...) with CKAN's title and
link, read from the one licence table, in package_show, package_search, its facets and its filters."""

from __future__ import annotations

import ckanapi

from obert.catalog.licences import CKAN_LICENCES


def test_packages_name_licences_by_ckans_ids(ckan_get: ckanapi.RemoteCKAN) -> None:
    found = ckan_get.action.package_search(rows=100, **{"facet.field": '["license_id"]'})
    by_id = {licence.id: licence for licence in CKAN_LICENCES}
    assert found["results"]
    for package in found["results"]:
        licence = by_id.get(package["license_id"])
        if licence is None:  # an EU licence CKAN's list lacks keeps its EU code
            assert package["license_id"] == package["obert_license"]
            continue
        assert licence.code == package["obert_license"]
        assert (package["license_title"], package["license_url"]) == (licence.title, licence.url)
        assert package["isopen"] is licence.open_data
    used = {p["license_id"] for p in found["results"]}
    assert "cc-by" in used
    assert set(found["facets"]["license_id"]) == used
    shown = ckan_get.action.package_show(id=found["results"][0]["name"])
    assert shown["license_id"] == found["results"][0]["license_id"]


def test_fq_on_ckans_licence_id(ckan_get: ckanapi.RemoteCKAN) -> None:
    everything = ckan_get.action.package_search(rows=100)["results"]
    expected = {p["name"] for p in everything if p["license_id"] == "cc-by"}
    by_ckan_id = ckan_get.action.package_search(fq="license_id:cc-by", rows=100)["results"]
    by_eu_code = ckan_get.action.package_search(fq="license_id:CC_BY_4_0", rows=100)["results"]
    assert expected and {p["name"] for p in by_ckan_id} == {p["name"] for p in by_eu_code} == expected
