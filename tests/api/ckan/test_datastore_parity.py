"""The datastore as CKAN clients expect it: a stable `_id` per row, CKAN's type names, and
datastore_search_sql in PostgreSQL's SQL with PostgreSQL's column names; through ckanapi."""

from __future__ import annotations

import json

import ckanapi
import pytest

from tests.api.ckan.test_datastore import POLLUTANTS, STATIONS


def test_every_row_has_a_stable_id_to_sort_and_filter_on(ckan_get: ckanapi.RemoteCKAN) -> None:
    everything = ckan_get.action.datastore_search(resource_id=STATIONS, limit=1000)["records"]
    assert [r["_id"] for r in everything] == list(range(1, len(everything) + 1))
    # The same row keeps its _id however it is asked for.
    again = ckan_get.action.datastore_search(resource_id=STATIONS, sort="Estacio desc, _id asc", limit=1000)
    by_id = {r["_id"]: r for r in everything}
    assert all(by_id[r["_id"]] == r for r in again["records"])
    picked = ckan_get.action.datastore_search(resource_id=STATIONS, filters=json.dumps({"_id": [3, 7]}))
    assert [r["_id"] for r in picked["records"]] == [3, 7] and picked["total"] == 2
    last = ckan_get.action.datastore_search(resource_id=STATIONS, sort="_id desc", limit=1)["records"][0]
    assert last == everything[-1]
    # Pages following _id never miss or repeat a row (how ckanapi's datastore dumps page).
    seen: list[int] = []
    while True:
        page = ckan_get.action.datastore_search(resource_id=STATIONS, sort="_id", limit=20, offset=len(seen))
        if not page["records"]:
            break
        seen += [r["_id"] for r in page["records"]]
    assert seen == list(range(1, len(everything) + 1))
    chosen = ckan_get.action.datastore_search(resource_id=STATIONS, fields="_id,Estacio", limit=1)
    assert set(chosen["records"][0]) == {"_id", "Estacio"}


def test_search_sql_speaks_postgresql(ckan_get: ckanapi.RemoteCKAN) -> None:
    rid = ckan_get.action.resource_show(id=POLLUTANTS)["id"]
    counted = ckan_get.action.datastore_search_sql(sql=f'SELECT COUNT(*) FROM "{rid}"')
    assert counted["records"] == [{"count": 21}]
    assert counted["fields"] == [{"id": "count", "type": "int8", "obert_type": "integer"}]
    # PostgreSQL's casts, ILIKE, string_agg and names of computed columns, as CKAN clients write them.
    written = ckan_get.action.datastore_search_sql(
        sql=f'SELECT "Codi_Contaminant"::text, upper("Unitats"), max(_id) '
        f'FROM "{rid}" WHERE "Desc_Contaminant" ILIKE \'so2\' GROUP BY 1, 2'
    )
    assert written["records"] == [{"Codi_Contaminant": "1", "upper": "ΜG/M³", "max": 1}]
    joined = ckan_get.action.datastore_search_sql(
        sql=f'SELECT string_agg("Desc_Contaminant", \',\' ORDER BY _id) FROM "{rid}" WHERE _id <= 3'
    )
    assert list(joined["records"][0]) == ["string_agg"]
    assert joined["records"][0]["string_agg"].startswith("SO2,")
    rows = ckan_get.action.datastore_search_sql(sql=f'SELECT * FROM "{rid}" ORDER BY "_id" DESC LIMIT 1')
    assert rows["records"][0]["_id"] == 21 and rows["fields"][0]["id"] == "_id"


def test_postgresql_the_sandbox_refuses_is_still_refused(ckan_get: ckanapi.RemoteCKAN) -> None:
    rid = ckan_get.action.resource_show(id=POLLUTANTS)["id"]
    for sql in (f"SELECT pg_read_file('/etc/passwd') FROM \"{rid}\"", f'DROP TABLE "{rid}"'):
        with pytest.raises(ckanapi.ValidationError) as refused:
            ckan_get.action.datastore_search_sql(sql=sql)
        assert "sql" in refused.value.error_dict
