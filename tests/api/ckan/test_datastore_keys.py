"""Primary keys, datastore_upsert's upsert and update, and deleting a whole table, through the real ckanapi
client against obert on SQLite and (when configured) PostgreSQL. Every write is a new version."""

from __future__ import annotations

from typing import Any

import ckanapi
import httpx
import pytest
import sqlalchemy as sa

from obert.storage.tables.catalog import activity
from tests.api.ckan.conftest import FIELDS, MARKETS, Server


@pytest.fixture(scope="module")
def admin(any_db_server: Server) -> ckanapi.RemoteCKAN:
    client = any_db_server.client(any_db_server.admin_token)
    client.action.organization_create(name="imm", title="Institut Municipal de Mercats")
    client.action.package_create(name="mercats", title="Mercats municipals", owner_org="imm")
    return client


def _table(admin: ckanapi.RemoteCKAN, name: str, **extra: Any) -> dict[str, Any]:
    made: dict[str, Any] = admin.action.datastore_create(
        resource={"package_id": "mercats", "name": name}, fields=FIELDS, records=MARKETS, **extra
    )
    return made


def _rows(admin: ckanapi.RemoteCKAN, rid: str) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = admin.action.datastore_search(resource_id=rid, sort="codi")["records"]
    # The row number `_id` is each version's own: these tests compare the values.
    return [{k: v for k, v in r.items() if k != "_id"} for r in records]


def _native(server: Server, path: str, **params: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {server.admin_token}"}
    return httpx.get(f"{server.url}/api/v1/datastore/{path}", params=params, headers=headers)


def test_upsert_updates_matching_keys_and_adds_the_others(
    any_db_server: Server, admin: ckanapi.RemoteCKAN
) -> None:
    made = _table(admin, "mercats-upsert", primary_key="codi")
    assert made["primary_key"] == ["codi"]
    assert admin.action.datastore_info(id=made["resource_id"])["meta"]["primary_key"] == ["codi"]
    rid = made["resource_id"]
    done = admin.action.datastore_upsert(
        resource_id=rid,
        method="upsert",
        records=[{"codi": 2, "parades": 240}, {"codi": 4, "mercat": "Galvany", "districte": "Sarrià"}],
    )
    assert done["version"] == made["version"] + 1 and done["held"] is False
    rows = _rows(admin, rid)
    # The updated row keeps the columns the record left out; the new key is a new row.
    assert rows[1] == {**MARKETS[1], "parades": 240}
    assert rows[3] == {"codi": 4, "mercat": "Galvany", "districte": "Sarrià", "parades": None}
    assert [r["codi"] for r in rows] == [1, 2, 3, 4]
    # upsert is CKAN's default method.
    admin.action.datastore_upsert(resource_id=rid, records=[{"codi": 1, "parades": 200}])
    assert _rows(admin, rid)[0]["parades"] == 200
    # The history shows each write as a version, and a diff on the key shows what changed.
    versions = _native(any_db_server, f"{rid}/versions").json()
    assert [v["number"] for v in versions["data"]] == [3, 2, 1]
    changes = _native(any_db_server, f"{rid}/diff", **{"from": 1, "to": 2, "key": "codi"}).json()
    assert changes["rows_added"] == 1 and changes["rows_removed"] == 0 and changes["rows_changed"] == 1


def test_update_changes_existing_rows_only(admin: ckanapi.RemoteCKAN) -> None:
    made = _table(admin, "mercats-update", primary_key=["codi"])
    rid = made["resource_id"]
    done = admin.action.datastore_upsert(
        resource_id=rid, method="update", records=[{"codi": 3, "mercat": "Mercat de la Barceloneta"}]
    )
    assert done["version"] == made["version"] + 1
    assert _rows(admin, rid)[2] == {**MARKETS[2], "mercat": "Mercat de la Barceloneta"}
    with pytest.raises(ckanapi.ValidationError) as unknown:
        admin.action.datastore_upsert(resource_id=rid, method="update", records=[{"codi": 9, "parades": 1}])
    assert "codi=9" in unknown.value.error_dict["key"][0]
    with pytest.raises(ckanapi.ValidationError) as keyless:
        admin.action.datastore_upsert(resource_id=rid, method="update", records=[{"parades": 1}])
    assert "codi" in keyless.value.error_dict["key"][0]
    # With a key, insert refuses a key already taken instead of adding a second row with it.
    with pytest.raises(ckanapi.ValidationError) as taken:
        admin.action.datastore_upsert(resource_id=rid, method="insert", records=[MARKETS[0]])
    assert "codi=1" in taken.value.error_dict["key"][0]
    # Nothing refused made a version.
    assert admin.action.datastore_info(id=rid)["meta"]["versions"] == 2


def test_a_composite_key_and_the_checks_on_create(admin: ckanapi.RemoteCKAN) -> None:
    rid = _table(admin, "mercats-compost", primary_key="districte, mercat")["resource_id"]
    admin.action.datastore_upsert(
        resource_id=rid,
        records=[
            {"districte": "Ciutat Vella", "mercat": "La Boqueria", "parades": 210},
            {"districte": "Eixample", "mercat": "La Boqueria", "codi": 9},
        ],
    )
    rows = _rows(admin, rid)
    assert rows[0]["parades"] == 210 and [r["codi"] for r in rows] == [1, 2, 3, 9]
    with pytest.raises(ckanapi.ValidationError) as unknown:
        _table(admin, "mercats-mal", primary_key=["nope"])
    assert "nope" in unknown.value.error_dict["primary_key"][0]
    with pytest.raises(ckanapi.ValidationError) as repeated:
        _table(admin, "mercats-mal", primary_key="districte")
    assert "Ciutat Vella" in repeated.value.error_dict["records"][0]
    # A refused create leaves no resource behind.
    names = [r["name"] for r in admin.action.package_show(id="mercats")["resources"]]
    assert "mercats-mal" not in names
    # Creating the table again without primary_key keeps its key, and checks the new records against it.
    with pytest.raises(ckanapi.ValidationError):
        admin.action.datastore_create(resource_id=rid, records=[MARKETS[0], MARKETS[0]])
    again = admin.action.datastore_create(resource_id=rid, records=MARKETS[:2])
    assert again["primary_key"] == ["districte", "mercat"]
    # An empty list removes it.
    cleared = admin.action.datastore_create(resource_id=rid, records=MARKETS[:2], primary_key=[])
    assert cleared["primary_key"] == []
    with pytest.raises(ckanapi.ValidationError) as no_key:
        admin.action.datastore_upsert(resource_id=rid, records=[MARKETS[0]])
    assert "primary key" in no_key.value.error_dict["table"][0]


def test_only_editors_upsert(any_db_server: Server, admin: ckanapi.RemoteCKAN) -> None:
    rid = _table(admin, "mercats-drets", primary_key="codi")["resource_id"]
    reader = any_db_server.client(any_db_server.reader_token)
    with pytest.raises(ckanapi.NotAuthorized):
        reader.action.datastore_upsert(resource_id=rid, records=[{"codi": 1, "parades": 0}])
    with pytest.raises(ckanapi.NotAuthorized):
        reader.action.datastore_delete(resource_id=rid)
    assert _rows(admin, rid) == MARKETS


def test_upserted_personal_data_is_held_back(admin: ckanapi.RemoteCKAN) -> None:
    """An upsert goes through the personal-data gate like an upload: the new version waits for review."""
    people = [{"codi": i, "contacte": "-"} for i in range(60)]
    made = admin.action.datastore_create(
        resource={"package_id": "mercats", "name": "mercats-contactes"}, records=people, primary_key="codi"
    )
    rid = made["resource_id"]
    emails = [{"codi": i, "contacte": f"paradista{i}@exemple.cat"} for i in range(60)]
    done = admin.action.datastore_upsert(resource_id=rid, records=emails)
    assert done["held"] is True and done["version"] == made["version"] + 1
    # The version served is still the one without the addresses.
    assert {r["contacte"] for r in admin.action.datastore_search(resource_id=rid, limit=100)["records"]} == {
        "-"
    }


def test_delete_without_filters_deletes_the_table_but_keeps_its_history(
    any_db_server: Server, admin: ckanapi.RemoteCKAN
) -> None:
    kept = _table(admin, "mercats-queda")["resource_id"]
    made = _table(admin, "mercats-fora", primary_key="codi")
    rid = made["resource_id"]
    admin.action.datastore_upsert(resource_id=rid, records=[{"codi": 4, "mercat": "Galvany"}])
    assert admin.action.resource_show(id=rid)["datastore_active"] is True
    gone = admin.action.datastore_delete(resource_id=rid)
    assert gone == {"resource_id": rid, "version": 2}
    with pytest.raises(ckanapi.NotFound) as search:
        admin.action.datastore_search(resource_id=rid)
    assert "datastore table" in str(search.value)
    with pytest.raises(ckanapi.NotFound):
        admin.action.datastore_info(id=rid)
    with pytest.raises(ckanapi.NotFound):
        admin.action.datastore_delete(resource_id=rid)
    with pytest.raises(ckanapi.CKANAPIError):
        admin.action.datastore_search_sql(sql="SELECT * FROM mercats_fora")
    # The resource stays, and so do the versions: readable by number, none of them served.
    assert admin.action.resource_show(id=rid)["name"] == "mercats-fora"
    # CKAN clients ask datastore_active before searching: it follows the table.
    assert admin.action.resource_show(id=rid)["datastore_active"] is False
    listed = admin.action.package_show(id="mercats")["resources"]
    assert {r["name"]: r["datastore_active"] for r in listed}["mercats-fora"] is False
    assert {r["id"]: r["datastore_active"] for r in listed}[kept] is True
    versions = _native(any_db_server, f"{rid}/versions").json()["data"]
    assert [(v["number"], v["state"]) for v in versions] == [(2, "superseded"), (1, "superseded")]
    assert _native(any_db_server, f"{rid}/rows", version=2).json()["count"] == 4
    # The activity log says who deleted which version.
    with any_db_server.portal.store.read() as conn:
        logged = conn.execute(
            sa.select(activity.c.actor_id, activity.c.before).where(
                activity.c.action == "datastore-delete", activity.c.object_id == rid
            )
        ).all()
    assert len(logged) == 1 and logged[0].actor_id is not None
    assert logged[0].before == {"version": 2, "primary_key": ["codi"]}
    # A new table numbers on after them, without the old key.
    again = admin.action.datastore_create(resource_id=rid, records=MARKETS)
    assert again["version"] == 3 and again["primary_key"] == []
    assert _rows(admin, rid) == MARKETS


def test_delete_with_empty_filters_empties_the_table(admin: ckanapi.RemoteCKAN) -> None:
    made = _table(admin, "mercats-buidar")
    rid = made["resource_id"]
    emptied = admin.action.datastore_delete(resource_id=rid, filters={})
    assert emptied["deleted"] == 3 and emptied["version"] == made["version"] + 1
    left = admin.action.datastore_search(resource_id=rid)
    assert left["records"] == [] and left["total"] == 0
    assert [f["id"] for f in left["fields"]] == ["_id"] + [f["id"] for f in FIELDS]
