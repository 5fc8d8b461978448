"""CKAN 2.11 actions scripts and harvesters call beyond the basics, through ckanapi: organisation
updates, members, accounts, resource_patch, package_revise, license_list, tag_show, autocompletes and
datastore_records_delete."""

from __future__ import annotations

import ckanapi
import pytest

from tests.api.ckan.conftest import FIELDS, MARKETS, Server


@pytest.fixture(scope="module")
def admin(write_server: Server) -> ckanapi.RemoteCKAN:
    client = write_server.client(write_server.admin_token)
    client.action.organization_create(name="parcs", title="Parcs")
    return client


def test_organisation_updates_and_members(write_server: Server, admin: ckanapi.RemoteCKAN) -> None:
    patched = admin.action.organization_patch(id="parcs", title="Parcs i Jardins")
    assert patched["title"] == "Parcs i Jardins" and patched["name"] == "parcs"
    updated = admin.action.organization_update(id="parcs", title="Parcs i Jardins de Barcelona")
    assert updated["title"] == "Parcs i Jardins de Barcelona"
    reader = write_server.client(write_server.reader_token)
    assert reader.action.organization_list_for_user(permission="create_dataset") == []
    admin.action.member_create(id="parcs", object="reader", object_type="user", capacity="editor")
    members = admin.action.member_list(id="parcs", object_type="user")
    me = reader.action.user_show()
    assert [me["id"], "user", "editor"] in members
    mine = reader.action.organization_list_for_user(permission="create_dataset")
    assert [(o["name"], o["capacity"]) for o in mine] == [("parcs", "editor")]
    assert reader.action.organization_list_for_user() == []  # manage_group: admins only
    with pytest.raises(ckanapi.NotAuthorized):
        reader.action.member_list(id="parcs")
    admin.action.member_delete(id="parcs", object="reader", object_type="user")
    assert reader.action.organization_list_for_user(permission="read") == []
    with pytest.raises(ckanapi.ValidationError):
        admin.action.member_create(id="parcs", object="reader", capacity="owner")


def test_accounts_are_shown_to_themselves_and_administrators(write_server: Server) -> None:
    reader = write_server.client(write_server.reader_token)
    me = reader.action.user_show()
    assert me["name"] == "reader" and me["sysadmin"] is False
    assert write_server.client(write_server.admin_token).action.user_show(id="reader")["id"] == me["id"]
    with pytest.raises(ckanapi.NotAuthorized):
        reader.action.user_show(id="admin")
    with pytest.raises(ckanapi.NotAuthorized):
        write_server.client().action.user_show(id="reader")


def test_resource_patch_and_package_revise(admin: ckanapi.RemoteCKAN) -> None:
    package = admin.action.package_create(
        name="arbres",
        title="Arbres",
        owner_org="parcs",
        license_id="uk-ogl",
        resources=[{"name": "arbres-csv", "url": "https://example.org/arbres.csv", "format": "CSV"}],
    )
    assert package["license_id"] == "uk-ogl"  # CKAN's id, read through the one licence table
    assert (
        package["obert_license"] == "OGL_3_0"
        and package["license_title"] == "UK Open Government Licence (OGL)"
    )
    rid = package["resources"][0]["id"]
    patched = admin.action.resource_patch(id=rid, description="Un arbre per fila")
    assert (
        patched["description"] == "Un arbre per fila" and patched["url"] == "https://example.org/arbres.csv"
    )
    revised = admin.action.package_revise(
        match={"id": package["id"], "title": "Arbres"},
        update={"notes": "Inventari", "resources": [{"id": rid, "format": "JSON"}]},
        update__resources__extend=[
            {"name": "arbres-mapa", "url": "https://example.org/arbres.geojson", "format": "GeoJSON"}
        ],
    )["package"]
    assert revised["notes"] == "Inventari"
    assert [(r["name"], r["format"]) for r in revised["resources"]] == [
        ("arbres-csv", "JSON"),
        ("arbres-mapa", "GEOJSON"),
    ]
    with pytest.raises(ckanapi.ValidationError) as stale:
        admin.action.package_revise(match={"id": package["id"], "title": "Old"}, update={"notes": "x"})
    assert "match" in stale.value.error_dict
    assert admin.action.package_show(id="arbres")["notes"] == "Inventari"


def test_datastore_records_delete_keeps_the_table(admin: ckanapi.RemoteCKAN) -> None:
    admin.action.package_create(name="mercats", title="Mercats", owner_org="parcs")
    made = admin.action.datastore_create(
        resource={"package_id": "mercats", "name": "mercats-taula"}, fields=FIELDS, records=MARKETS
    )
    rid = made["resource_id"]
    gone = admin.action.datastore_records_delete(resource_id=rid, filters={"codi": 1})
    assert gone["deleted"] == 1
    assert admin.action.datastore_records_delete(resource_id=rid, filters={})["deleted"] == 2
    assert admin.action.datastore_search(resource_id=rid)["total"] == 0  # the table is still there
    with pytest.raises(ckanapi.ValidationError) as missing:
        admin.action.datastore_records_delete(resource_id=rid)
    assert "filters" in missing.value.error_dict


def test_lookups_on_the_demo(ckan_get: ckanapi.RemoteCKAN) -> None:
    licences = {entry["id"]: entry for entry in ckan_get.action.license_list()}
    assert (
        licences["cc-by"]["obert_license"] == "CC_BY_4_0"
        and licences["cc-by"]["od_conformance"] == "approved"
    )
    assert (
        licences["uk-ogl"]["ckan_ids"] == ["uk-ogl"] and licences["EUPL_1_2"]["obert_license"] == "EUPL_1_2"
    )
    used = {p["license_id"] for p in ckan_get.action.package_search(rows=100)["results"]}
    assert used <= set(licences)
    tag = ckan_get.action.tag_show(id="traffic", include_datasets=True)
    assert tag["name"] == "traffic" and {p["name"] for p in tag["packages"]} >= {"accidents-gu-bcn"}
    with pytest.raises(ckanapi.NotFound):
        ckan_get.action.tag_show(id="no-such-tag")
    found = ckan_get.action.package_autocomplete(q="bicing")
    assert found[0]["name"] == "bicing-estacions" and found[0]["match_field"] == "name"
    assert [f["name"] for f in ckan_get.action.package_autocomplete(q="qualitat-aire", limit=1)] == [
        "qualitat-aire-detall-bcn"
    ]
    assert ckan_get.action.format_autocomplete(q="json") == ["geojson", "json"]
