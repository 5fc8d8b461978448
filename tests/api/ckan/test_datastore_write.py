"""datastore_create through the real ckanapi client: records become a new table version at once."""

from __future__ import annotations

import ckanapi
import pytest

from obert.auth import SYSTEM
from obert.tableservice.small_counts import set_protection
from tests.api.ckan.conftest import FIELDS, MARKETS, Server

# Declared "int", stored as 64-bit integers: PostgreSQL's int8, as CKAN names them.
declared = [(f["id"], "int8" if f["type"] == "int" else f["type"]) for f in FIELDS]


@pytest.fixture(scope="module")
def admin(write_server: Server) -> ckanapi.RemoteCKAN:
    client = write_server.client(write_server.admin_token)
    client.action.organization_create(name="imm", title="Institut Municipal de Mercats")
    client.action.package_create(name="mercats", title="Mercats municipals", owner_org="imm")
    return client


def test_create_a_table_with_a_new_resource_then_search_it(admin: ckanapi.RemoteCKAN) -> None:
    made = admin.action.datastore_create(
        resource={"package_id": "mercats", "name": "mercats-llista"}, fields=FIELDS, records=MARKETS
    )
    assert made["version"] == 1 and made["held"] is False
    assert [(f["id"], f["type"]) for f in made["fields"]] == declared
    rid = made["resource_id"]
    assert admin.action.resource_show(id=rid)["name"] == "mercats-llista"
    found = admin.action.datastore_search(resource_id=rid, filters={"districte": "Ciutat Vella"}, sort="codi")
    assert found["records"] == [{"_id": 1, **MARKETS[0]}, {"_id": 3, **MARKETS[2]}] and found["total"] == 2
    # Creating again replaces the table by a new version; the first stays in the history.
    again = admin.action.datastore_create(resource_id=rid, records=MARKETS[:1], fields=FIELDS)
    assert again["version"] == 2
    assert admin.action.datastore_info(id=rid)["meta"]["count"] == 1
    assert admin.action.datastore_info(id=rid)["meta"]["versions"] == 2


def test_create_checks_its_input_and_rights(write_server: Server, admin: ckanapi.RemoteCKAN) -> None:
    with pytest.raises(ckanapi.ValidationError) as unknown:
        admin.action.datastore_create(
            resource={"package_id": "mercats", "name": "mal"}, fields=FIELDS, records=[{"nope": 1}]
        )
    assert "records" in unknown.value.error_dict
    # The refused call left no resource behind.
    assert "mal" not in [r["name"] for r in admin.action.package_show(id="mercats")["resources"]]
    with pytest.raises(ckanapi.ValidationError) as neither:
        admin.action.datastore_create(records=MARKETS)
    assert "resource_id" in neither.value.error_dict
    with pytest.raises(ckanapi.NotFound):
        admin.action.datastore_create(resource_id="no-such-resource", records=MARKETS)
    with pytest.raises(ckanapi.NotAuthorized):
        write_server.client(write_server.reader_token).action.datastore_create(
            resource={"package_id": "mercats", "name": "lector"}, records=MARKETS
        )


def test_delete_rows_makes_a_version_without_them(write_server: Server, admin: ckanapi.RemoteCKAN) -> None:
    made = admin.action.datastore_create(
        resource={"package_id": "mercats", "name": "mercats-esborrar"}, fields=FIELDS, records=MARKETS
    )
    rid = made["resource_id"]
    with pytest.raises(ckanapi.NotAuthorized):
        write_server.client(write_server.reader_token).action.datastore_delete(
            resource_id=rid, filters={"codi": 1}
        )
    with pytest.raises(ckanapi.ValidationError) as not_object:
        admin.action.datastore_delete(resource_id=rid, filters=["codi"])
    assert "filters" in not_object.value.error_dict
    with pytest.raises(ckanapi.ValidationError) as unknown:
        admin.action.datastore_delete(resource_id=rid, filters={"nope": 1})
    assert "filters" in unknown.value.error_dict
    gone = admin.action.datastore_delete(resource_id=rid, filters={"districte": "Ciutat Vella"})
    assert gone["deleted"] == 2 and gone["version"] == made["version"] + 1
    left = admin.action.datastore_search(resource_id=rid)
    assert left["records"] == [{"_id": 1, **MARKETS[1]}] and left["total"] == 1
    assert [(f["id"], f["type"]) for f in left["fields"]] == [("_id", "int"), *declared]
    # A filter that matches nothing deletes nothing and makes no version.
    nothing = admin.action.datastore_delete(resource_id=rid, filters={"codi": 99})
    assert nothing["deleted"] == 0 and nothing["version"] == gone["version"]
    assert admin.action.datastore_search(resource_id=rid)["total"] == 1


def test_upsert_inserts_records_as_a_new_version(write_server: Server, admin: ckanapi.RemoteCKAN) -> None:
    made = admin.action.datastore_create(
        resource={"package_id": "mercats", "name": "mercats-afegir"}, fields=FIELDS, records=MARKETS[:2]
    )
    rid = made["resource_id"]
    more = admin.action.datastore_upsert(resource_id=rid, method="insert", records=[MARKETS[2]])
    assert more["version"] == made["version"] + 1
    found = admin.action.datastore_search(resource_id=rid)
    assert found["records"] == [{"_id": n, **m} for n, m in enumerate(MARKETS, 1)] and found["total"] == 3
    with pytest.raises(ckanapi.ValidationError) as method:
        admin.action.datastore_upsert(resource_id=rid, method="merge", records=[MARKETS[0]])
    assert "method" in method.value.error_dict
    # upsert (the default) matches records on a primary key, which this table was not given.
    with pytest.raises(ckanapi.ValidationError) as no_key:
        admin.action.datastore_upsert(resource_id=rid, records=[MARKETS[0]])
    assert "primary key" in no_key.value.error_dict["table"][0]
    with pytest.raises(ckanapi.ValidationError) as bad:
        admin.action.datastore_upsert(resource_id=rid, method="insert", records=[{"codi": "quatre"}])
    assert "records" in bad.value.error_dict
    with pytest.raises(ckanapi.NotAuthorized):
        write_server.client(write_server.reader_token).action.datastore_upsert(
            resource_id=rid, method="insert", records=[MARKETS[0]]
        )
    assert admin.action.datastore_info(id=rid)["meta"]["count"] == 3


def test_search_hides_small_counts_of_statistics_about_people(
    write_server: Server, admin: ckanapi.RemoteCKAN
) -> None:
    """datastore_search shows a protected table's small counts as null, as obert's own rows API does."""
    made = admin.action.datastore_create(
        resource={"package_id": "mercats", "name": "parades-per-persona"}, fields=FIELDS, records=MARKETS
    )
    rid = made["resource_id"]
    set_protection(
        store=write_server.portal.store,
        actor=SYSTEM,
        ref=rid,
        statistics_about_people=True,
        min_count=100,
        count_columns=["parades"],
    )
    found = admin.action.datastore_search(resource_id=rid, sort="codi")
    assert [r["parades"] for r in found["records"]] == [206, 233, None]
    with pytest.raises(ckanapi.ValidationError):
        admin.action.datastore_search(resource_id=rid, filters={"parades": 32})


def test_csv_records_write_booleans_and_empty_values_as_exports_do(admin: ckanapi.RemoteCKAN) -> None:
    made = admin.action.datastore_create(
        resource={"package_id": "mercats", "name": "mercats-obert"},
        records=[{"codi": 1, "obert": True, "nota": "a, b"}, {"codi": 2, "obert": False, "nota": None}],
    )
    text = admin.action.datastore_search(resource_id=made["resource_id"], records_format="csv", sort="codi")
    assert text["records"] == '1,1,true,"a, b"\n2,2,false,\n'


def test_create_again_without_a_column_is_held_until_accepted(admin: ckanapi.RemoteCKAN) -> None:
    made = admin.action.datastore_create(
        resource={"package_id": "mercats", "name": "mercats-parades"}, fields=FIELDS, records=MARKETS
    )
    rid = made["resource_id"]
    fewer = [{k: v for k, v in m.items() if k != "parades"} for m in MARKETS]
    again = admin.action.datastore_create(resource_id=rid, records=fewer, fields=FIELDS[:3])
    assert again["version"] == 2 and again["held"] is True
    served = admin.action.datastore_search(resource_id=rid)
    assert "parades" in {f["id"] for f in served["fields"]}  # version 1, until an editor accepts
