"""Write actions and errors through the real ckanapi client, as CKAN scripts call them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ckanapi
import httpx
import pytest

from tests.api.ckan.conftest import Server

FILES = Path(__file__).parents[3] / "obert" / "demo" / "files"


@pytest.fixture(scope="module")
def admin(write_server: Server) -> ckanapi.RemoteCKAN:
    client = write_server.client(write_server.admin_token)
    client.action.organization_create(
        name="bsm", title="Barcelona de Serveis Municipals", description="Mobilitat i aparcaments."
    )
    return client


def _package(name: str, **overrides: Any) -> dict[str, Any]:
    return {
        "name": name,
        "title": "Estacions de Bicing",
        "title_translated": {"ca": "Estacions de Bicing", "es": "Estaciones de Bicing"},
        "notes": "Ubicació de les estacions.",
        "owner_org": "bsm",
        "license_id": "cc-by",
        "tags": [{"name": "bicing"}, {"name": "mobilitat"}],
        "extras": [
            {"key": "theme", "value": '["http://publications.europa.eu/resource/authority/data-theme/TRAN"]'},
            {"key": "frequency", "value": "http://publications.europa.eu/resource/authority/frequency/DAILY"},
            {"key": "codi_intern", "value": "BSM-17"},
        ],
        "resources": [
            {"name": "Estacions (enllaç)", "url": "https://example.org/estacions.csv", "format": "CSV"}
        ],
        **overrides,
    }


def test_organization_create(admin: ckanapi.RemoteCKAN) -> None:
    org = admin.action.organization_show(id="bsm")
    assert org["title"] == "Barcelona de Serveis Municipals" and org["is_organization"] is True


def test_package_create_and_show(admin: ckanapi.RemoteCKAN) -> None:
    created = admin.action.package_create(**_package("bicing-create"))
    shown = admin.action.package_show(id=created["id"])
    assert shown == created
    assert shown["title_translated"] == {"ca": "Estacions de Bicing", "es": "Estaciones de Bicing"}
    assert shown["license_id"] == "cc-by" and shown["organization"]["name"] == "bsm"
    assert [t["name"] for t in shown["tags"]] == ["bicing", "mobilitat"]
    extras = {e["key"]: e["value"] for e in shown["extras"]}
    assert extras["codi_intern"] == "BSM-17"
    assert extras["frequency"].endswith("/frequency/DAILY") and "TRAN" in extras["theme"]
    assert shown["resources"][0]["url"] == "https://example.org/estacions.csv"
    assert shown["resources"][0]["mimetype"] == "text/csv"


def test_show_edit_update_keeps_what_was_not_changed(admin: ckanapi.RemoteCKAN) -> None:
    package = admin.action.package_create(**_package("bicing-update"))
    package["title"] = "Estacions del Bicing"
    package["tags"].append({"name": "bicicleta"})
    updated = admin.action.package_update(**package)
    assert updated["title_translated"] == {"ca": "Estacions del Bicing", "es": "Estaciones de Bicing"}
    assert [t["name"] for t in updated["tags"]] == ["bicing", "mobilitat", "bicicleta"]
    assert [r["id"] for r in updated["resources"]] == [r["id"] for r in package["resources"]]
    assert {e["key"]: e["value"] for e in updated["extras"]} == {
        e["key"]: e["value"] for e in package["extras"]
    }


def test_update_replaces_resources_when_given(admin: ckanapi.RemoteCKAN) -> None:
    package = admin.action.package_create(**_package("bicing-resources"))
    package["resources"] = [{"name": "GeoJSON", "url": "https://example.org/e.geojson", "format": "GeoJSON"}]
    updated = admin.action.package_update(**package)
    assert [(r["name"], r["format"]) for r in updated["resources"]] == [("GeoJSON", "GEOJSON")]


def test_package_patch_changes_only_what_it_names(admin: ckanapi.RemoteCKAN) -> None:
    before = admin.action.package_create(**_package("bicing-patch"))
    after = admin.action.package_patch(id="bicing-patch", notes="Noves estacions.", private=True)
    assert after["notes"] == "Noves estacions." and after["private"] is True
    assert after["notes_translated"]["ca"] == "Noves estacions."
    for key in ("title_translated", "tags", "license_id", "extras"):
        assert after[key] == before[key], key
    assert [r["id"] for r in after["resources"]] == [r["id"] for r in before["resources"]]


def test_resource_create_with_upload_update_and_delete(
    write_server: Server, admin: ckanapi.RemoteCKAN
) -> None:
    package = admin.action.package_create(**_package("bicing-upload", resources=[]))
    path = FILES / "qualitat_aire_contaminants.csv"
    with path.open("rb") as stream:
        resource = admin.action.resource_create(
            package_id=package["id"], name="Contaminants", description="Llista", upload=stream
        )
    assert resource["url_type"] == "upload" and resource["size"] == path.stat().st_size
    assert resource["format"] == "CSV" and resource["hash"].startswith("sha256:")
    # The publisher has the file at once; others only once it has been checked for personal data.
    download = httpx.get(resource["url"], headers={"Authorization": admin.apikey})
    assert download.status_code == 200 and download.content == path.read_bytes()

    resource["description"] = "Llista de contaminants"
    updated = admin.action.resource_update(**resource)
    assert updated["description"] == "Llista de contaminants" and updated["url"] == resource["url"]
    assert updated["size"] == resource["size"]

    admin.action.resource_delete(id=resource["id"])
    with pytest.raises(ckanapi.NotFound):
        admin.action.resource_show(id=resource["id"])
    assert admin.action.package_show(id=package["id"])["num_resources"] == 0


def test_package_delete(admin: ckanapi.RemoteCKAN, write_server: Server) -> None:
    admin.action.package_create(**_package("bicing-delete"))
    admin.action.package_delete(id="bicing-delete")
    with pytest.raises(ckanapi.NotFound):
        write_server.client().action.package_show(id="bicing-delete")
    assert "bicing-delete" not in admin.action.package_list()


def test_validation_errors_name_the_field(admin: ckanapi.RemoteCKAN) -> None:
    with pytest.raises(ckanapi.ValidationError) as missing_title:
        admin.action.package_create(name="sense-titol", owner_org="bsm")
    assert "title" in missing_title.value.error_dict
    admin.action.package_create(**_package("bicing-twice"))
    with pytest.raises(ckanapi.ValidationError) as taken:
        admin.action.package_create(**_package("bicing-twice"))
    assert taken.value.error_dict["name"] == ["already taken"]
    with pytest.raises(ckanapi.ValidationError) as bad_licence:
        admin.action.package_create(**_package("bicing-licence", license_id="no-such-licence"))
    assert "license_id" in bad_licence.value.error_dict
    with pytest.raises(ckanapi.ValidationError) as no_id:
        admin.action.package_show()
    assert no_id.value.error_dict["id"] == ["Missing value"]


def test_writes_need_an_editor(write_server: Server, admin: ckanapi.RemoteCKAN) -> None:
    with pytest.raises(ckanapi.NotAuthorized):
        write_server.client().action.package_create(**_package("anonymous-try"))
    with pytest.raises(ckanapi.NotAuthorized):
        write_server.client(write_server.reader_token).action.package_create(**_package("reader-try"))
    with pytest.raises(ckanapi.NotAuthorized):
        write_server.client(write_server.reader_token).action.organization_create(name="x-org", title="X")


def test_bad_requests_get_400(write_server: Server) -> None:
    with pytest.raises(ckanapi.CKANAPIError) as unknown:
        write_server.client().call_action("no_such_action")
    assert "400" in str(unknown.value)
    response = httpx.post(
        f"{write_server.url}/api/3/action/package_search",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    body = response.json()
    assert response.status_code == 400 and body["success"] is False
    assert body["error"]["__type"] == "Bad Request" and "JSON" in body["error"]["message"]
    bad_rows = httpx.get(f"{write_server.url}/api/3/action/package_search?rows=many")
    assert bad_rows.status_code == 409 and bad_rows.json()["error"]["rows"] == ["Invalid integer"]
    bad_fq = httpx.get(f"{write_server.url}/api/3/action/package_search?fq=nonsense:value")
    assert bad_fq.status_code == 409 and "fq" in bad_fq.json()["error"]
    get_write = httpx.get(f"{write_server.url}/api/3/action/package_create")
    assert get_write.status_code == 400 and get_write.json()["success"] is False


def test_form_posts_work_like_ckan(write_server: Server, admin: ckanapi.RemoteCKAN) -> None:
    response = httpx.post(
        f"{write_server.url}/api/3/action/package_create",
        data={"name": "formulari", "title": "Des d'un formulari", "owner_org": "bsm", "tags": "a,b"},
        headers={"Authorization": write_server.admin_token},
    )
    assert response.status_code == 200, response.text
    result = response.json()["result"]
    assert result["title_translated"] == {"ca": "Des d'un formulari"}
    assert [t["name"] for t in result["tags"]] == ["a", "b"]


def test_drafts_and_private_only_when_asked(write_server: Server, admin: ckanapi.RemoteCKAN) -> None:
    admin.action.package_create(**_package("esborrany", state="draft"))
    admin.action.package_create(**_package("privat", private=True))
    anonymous = write_server.client()
    public = {p["name"] for p in anonymous.action.package_search(rows=1000)["results"]}
    assert not {"esborrany", "privat"} & public
    mine = admin.action.package_search(rows=1000, include_private=True, include_drafts=True)["results"]
    assert {"esborrany", "privat"} <= {p["name"] for p in mine}
    assert next(p for p in mine if p["name"] == "esborrany")["state"] == "draft"
