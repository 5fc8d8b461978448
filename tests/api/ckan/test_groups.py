"""Groups written through ckanapi as CKAN 2.11 scripts write them: group_create/update/patch/delete,
datasets filed in groups by member_create/member_delete and by `groups` in package_create/update/patch,
member_list of groups and organisations, and who may do which."""

from __future__ import annotations

import ckanapi
import pytest
import sqlalchemy as sa

from obert.auth.users import create_token, create_user
from obert.storage.tables.catalog import activity
from tests.api.ckan.conftest import Server


@pytest.fixture(scope="module")
def admin(any_db_server: Server) -> ckanapi.RemoteCKAN:
    client = any_db_server.client(any_db_server.admin_token)
    client.action.organization_create(name="medi-ambient", title="Medi Ambient")
    client.action.organization_create(name="policia", title="Guàrdia Urbana")
    for name, org in (("arbrat", "medi-ambient"), ("soroll", "medi-ambient"), ("accidents", "policia")):
        client.action.package_create(name=name, title=name.title(), owner_org=org)
    client.action.package_create(name="privat", title="Privat", owner_org="policia", private=True)
    return client


@pytest.fixture(scope="module")
def editor(any_db_server: Server, admin: ckanapi.RemoteCKAN) -> ckanapi.RemoteCKAN:
    store = any_db_server.portal.store
    create_user(store=store, name="editora", password="correct horse battery")
    admin.action.member_create(id="medi-ambient", object="editora", object_type="user", capacity="editor")
    return any_db_server.client(create_token(store=store, user_ref="editora", name="tests").secret)


def _in_group(client: ckanapi.RemoteCKAN, group: str) -> set[str]:
    shown = client.action.group_show(id=group, include_datasets=True)
    return {p["name"] for p in shown["packages"]}


def test_group_create_update_patch_delete(admin: ckanapi.RemoteCKAN) -> None:
    created = admin.action.group_create(
        name="verd",
        title="Ciutat verda",
        description="Arbres i parcs",
        packages=[{"name": "arbrat"}],
    )
    assert created["name"] == "verd" and created["title"] == "Ciutat verda"
    assert created["is_organization"] is False and created["type"] == "group"
    assert created["package_count"] == 1 and "verd" in admin.action.group_list()
    assert _in_group(admin, "verd") == {"arbrat"}
    # Without `packages`, group_update leaves the datasets alone (CKAN 2.11); with it, they become it.
    updated = admin.action.group_update(id="verd", title="Barcelona verda")
    assert updated["title"] == "Barcelona verda" and updated["description"] == ""
    assert _in_group(admin, "verd") == {"arbrat"}
    admin.action.group_update(id="verd", title="Barcelona verda", packages=[{"name": "soroll"}, "arbrat"])
    assert _in_group(admin, "verd") == {"arbrat", "soroll"}
    patched = admin.action.group_patch(id="verd", description="Arbres, parcs i soroll")
    assert patched["title"] == "Barcelona verda" and patched["description"] == "Arbres, parcs i soroll"
    assert _in_group(admin, "verd") == {"arbrat", "soroll"}
    untitled = admin.action.group_create(name="sense-titol")
    assert untitled["display_name"] == "sense-titol"
    admin.action.group_delete(id="verd")
    assert "verd" not in admin.action.group_list()
    with pytest.raises(ckanapi.NotFound):
        admin.action.group_show(id="verd")
    assert admin.action.package_show(id="arbrat")["groups"] == []
    with pytest.raises(ckanapi.ValidationError):  # a deleted group's name stays taken, as CKAN keeps it
        admin.action.group_create(name="verd", title="Una altra")


def test_only_site_administrators_change_groups(
    admin: ckanapi.RemoteCKAN, editor: ckanapi.RemoteCKAN
) -> None:
    with pytest.raises(ckanapi.NotAuthorized):
        editor.action.group_create(name="propi", title="Propi")
    admin.action.group_create(name="tematic", title="Temàtic")
    with pytest.raises(ckanapi.NotAuthorized):
        editor.action.group_patch(id="tematic", title="Canviat")
    with pytest.raises(ckanapi.NotAuthorized):
        editor.action.group_delete(id="tematic")
    with pytest.raises(ckanapi.ValidationError) as bad:
        admin.action.group_create(name="No Vàlid", title="x")
    assert "name" in bad.value.error_dict


def test_member_create_and_delete_file_datasets(
    any_db_server: Server, admin: ckanapi.RemoteCKAN, editor: ckanapi.RemoteCKAN
) -> None:
    admin.action.group_create(name="soroll-i-aire", title="Soroll i aire")
    before = admin.action.package_show(id="soroll")["metadata_modified"]
    member = editor.action.member_create(
        id="soroll-i-aire", object="soroll", object_type="package", capacity="public"
    )
    assert member["table_name"] == "package" and member["capacity"] == "public"
    shown = admin.action.package_show(id="soroll")
    assert [g["name"] for g in shown["groups"]] == ["soroll-i-aire"]
    assert shown["metadata_modified"] > before  # harvesters' incremental runs see the change
    found = admin.action.package_search(fq="groups:soroll-i-aire")["results"]
    assert [p["name"] for p in found] == ["soroll"]
    # Another publisher's dataset is not the editor's to file.
    with pytest.raises(ckanapi.NotAuthorized):
        editor.action.member_create(
            id="soroll-i-aire", object="accidents", object_type="package", capacity="public"
        )
    with pytest.raises(ckanapi.ValidationError):
        admin.action.member_create(id="soroll-i-aire", object="soroll", object_type="user", capacity="public")
    editor.action.member_delete(id="soroll-i-aire", object="soroll", object_type="package")
    assert admin.action.package_show(id="soroll")["groups"] == []
    with any_db_server.portal.store.read() as conn:
        logged = conn.execute(
            sa.select(activity.c.action).where(activity.c.object_type == "group").order_by(activity.c.id)
        ).scalars()
        assert [a for a in logged if a.endswith("-dataset")][-2:] == ["add-dataset", "remove-dataset"]


def test_groups_in_package_create_update_and_patch(
    admin: ckanapi.RemoteCKAN, editor: ckanapi.RemoteCKAN
) -> None:
    admin.action.group_create(name="natura", title="Natura")
    admin.action.group_create(name="salut", title="Salut")
    created = editor.action.package_create(
        name="fonts", title="Fonts", owner_org="medi-ambient", groups=[{"name": "natura"}]
    )
    assert [g["name"] for g in created["groups"]] == ["natura"]
    patched = editor.action.package_patch(id="fonts", notes="Fonts naturals")
    assert [g["name"] for g in patched["groups"]] == ["natura"]  # unchanged when not sent
    package = editor.action.package_show(id="fonts")
    package["groups"].append({"name": "salut"})
    updated = editor.action.package_update(**package)
    assert [g["name"] for g in updated["groups"]] == ["natura", "salut"]
    emptied = editor.action.package_patch(id="fonts", groups=[])
    assert emptied["groups"] == []
    with pytest.raises(ckanapi.ValidationError) as unknown:
        editor.action.package_create(
            name="fonts-2", title="Fonts", owner_org="medi-ambient", groups=[{"name": "cap"}]
        )
    assert "groups" in unknown.value.error_dict
    with pytest.raises(ckanapi.NotFound):
        editor.action.package_show(id="fonts-2")  # nothing half made


def test_member_list_of_groups_and_organisations(
    any_db_server: Server, admin: ckanapi.RemoteCKAN, editor: ckanapi.RemoteCKAN
) -> None:
    admin.action.group_create(
        name="seguretat", title="Seguretat", packages=[{"name": "accidents"}, {"name": "privat"}]
    )
    ids = {p["name"]: p["id"] for p in admin.action.package_search(include_private=True, rows=100)["results"]}
    anonymous = any_db_server.client()
    # The private dataset is listed to those who may see it only.
    assert anonymous.action.member_list(id="seguretat") == [[ids["accidents"], "package", "public"]]
    assert sorted(map(tuple, admin.action.member_list(id="seguretat", object_type="package"))) == sorted(
        [(ids["accidents"], "package", "public"), (ids["privat"], "package", "public")]
    )
    assert anonymous.action.member_list(id="seguretat", object_type="user") == []
    in_org = anonymous.action.member_list(id="medi-ambient", object_type="package")
    assert {m[0] for m in in_org} >= {ids["arbrat"], ids["soroll"]} and {m[2] for m in in_org} == {
        "organization"
    }
    everyone = admin.action.member_list(id="medi-ambient")
    assert {m[1] for m in everyone} == {"package", "user"}
    assert [m[1:] for m in admin.action.member_list(id="medi-ambient", capacity="editor")] == [
        ["user", "editor"]
    ]
    with pytest.raises(ckanapi.NotAuthorized):
        anonymous.action.member_list(id="medi-ambient")  # accounts are their managers' to see
