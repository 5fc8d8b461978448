"""CKAN's datastore read actions through the real ckanapi client, over the demo's tables."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager

import ckanapi
import httpx
import pytest
import sqlalchemy as sa

from obert.storage.tables.catalog import datasets
from tests.api.ckan.conftest import Server

POLLUTANTS = "qualitat-aire-contaminants"  # 21 rows: Codi_Contaminant, Desc_Contaminant, Unitats
STATIONS = "qualitat-aire-estacions"  # 55 rows


def _resource_id(ckan: ckanapi.RemoteCKAN, name: str) -> str:
    resource_id: str = ckan.action.resource_show(id=name)["id"]
    return resource_id


@contextmanager
def _private(server: Server, dataset: str) -> Iterator[None]:
    """The dataset made private for the duration, then public again (the demo server is shared)."""
    with server.portal.store.begin() as conn:
        conn.execute(sa.update(datasets).where(datasets.c.name == dataset).values(visibility="private"))
    try:
        yield
    finally:
        with server.portal.store.begin() as conn:
            conn.execute(sa.update(datasets).where(datasets.c.name == dataset).values(visibility="public"))


def test_search_has_ckans_shape(ckan: ckanapi.RemoteCKAN) -> None:
    rid = _resource_id(ckan, POLLUTANTS)
    found = ckan.action.datastore_search(resource_id=rid, limit=5)
    assert found["resource_id"] == rid
    assert found["fields"] == [
        {"id": "_id", "type": "int", "obert_type": "integer"},
        {"id": "Codi_Contaminant", "type": "int8", "obert_type": "integer"},
        {"id": "Desc_Contaminant", "type": "text", "obert_type": "text"},
        {"id": "Unitats", "type": "text", "obert_type": "text"},
    ]
    assert found["total"] == 21 and found["limit"] == 5 and len(found["records"]) == 5
    first = {"_id": 1, "Codi_Contaminant": 1, "Desc_Contaminant": "SO2", "Unitats": "µg/m³"}
    assert found["records"][0] == first
    assert found["_links"]["start"].startswith("/api/action/datastore_search?")
    # Following _links.next pages through the table, as CKAN clients do.
    url = found["_links"]["next"]
    seen = list(found["records"])
    while True:
        page = httpx.get(f"{ckan.address}{url}").json()["result"]
        if not page["records"]:
            break
        seen.extend(page["records"])
        url = page["_links"]["next"]
    assert len(seen) == 21 and len({r["Codi_Contaminant"] for r in seen}) == 21


def test_search_by_name_filters_q_fields_sort(ckan: ckanapi.RemoteCKAN) -> None:
    everything = ckan.action.datastore_search(resource_id=STATIONS, limit=1000)["records"]
    district = everything[0]["Nom_districte"]
    expected = [r for r in everything if r["Nom_districte"] == district]
    found = ckan.action.datastore_search(
        resource_id=STATIONS,
        filters={"Nom_districte": district},
        fields=["Estacio", "nom_cabina"],
        sort="Estacio desc",
    )
    assert found["total"] == len(expected) > 0
    assert [r["Estacio"] for r in found["records"]] == sorted((r["Estacio"] for r in expected), reverse=True)
    assert set(found["records"][0]) == {"Estacio", "nom_cabina"}
    # A list of values matches any of them.
    two = sorted({r["Nom_districte"] for r in everything})[:2]
    either = ckan.action.datastore_search(resource_id=STATIONS, filters={"Nom_districte": two})
    assert either["total"] == sum(r["Nom_districte"] in two for r in everything)
    # q as text searches every text column; as a dict, only the named one (accents and case ignored).
    poblenou = ckan.action.datastore_search(resource_id=STATIONS, q="POBLENOU")
    assert poblenou["total"] >= 1
    assert all("poblenou" in " ".join(str(v) for v in r.values()).lower() for r in poblenou["records"])
    by_field = ckan.action.datastore_search(resource_id=STATIONS, q={"nom_cabina": "poblenou"})
    assert by_field["total"] == sum("poblenou" in r["nom_cabina"].lower() for r in everything)


def test_search_records_formats_and_no_total(ckan: ckanapi.RemoteCKAN) -> None:
    lists = ckan.action.datastore_search(
        resource_id=POLLUTANTS, records_format="lists", limit=2, offset=1, include_total=False
    )
    assert "total" not in lists and lists["offset"] == 1 and len(lists["records"]) == 2
    objects = ckan.action.datastore_search(resource_id=POLLUTANTS, limit=2, offset=1)["records"]
    assert lists["records"] == [list(r.values()) for r in objects]
    text = ckan.action.datastore_search(resource_id=POLLUTANTS, records_format="csv", limit=2, offset=1)
    parsed = list(csv.reader(io.StringIO(text["records"])))
    assert parsed == [[str(v) for v in r.values()] for r in objects]


def test_search_errors_in_ckans_shape(ckan: ckanapi.RemoteCKAN) -> None:
    with pytest.raises(ckanapi.NotFound):
        ckan.action.datastore_search(resource_id="no-such-resource")
    with pytest.raises(ckanapi.ValidationError) as unknown:
        ckan.action.datastore_search(resource_id=POLLUTANTS, filters={"Nope": 1})
    assert "filters" in unknown.value.error_dict
    with pytest.raises(ckanapi.ValidationError) as bad_value:
        ckan.action.datastore_search(resource_id=POLLUTANTS, filters={"Codi_Contaminant": "abc"})
    assert "filters" in bad_value.value.error_dict
    with pytest.raises(ckanapi.ValidationError) as missing:
        ckan.action.datastore_search()
    assert "resource_id" in missing.value.error_dict
    with pytest.raises(ckanapi.ValidationError) as fmt:
        ckan.action.datastore_search(resource_id=POLLUTANTS, records_format="xml")
    assert "records_format" in fmt.value.error_dict


def test_search_sql_with_obert_names_and_quoted_resource_ids(ckan: ckanapi.RemoteCKAN) -> None:
    rid = _resource_id(ckan, POLLUTANTS)
    by_id = ckan.action.datastore_search_sql(
        sql=f'SELECT "Desc_Contaminant" FROM "{rid}" WHERE "Codi_Contaminant" = 1'
    )
    assert by_id["records"] == [{"Desc_Contaminant": "SO2"}]
    assert by_id["fields"] == [{"id": "Desc_Contaminant", "type": "text", "obert_type": "text"}]
    assert by_id["sql"].endswith("= 1")
    by_name = ckan.action.datastore_search_sql(sql="SELECT count(*) AS n FROM qualitat_aire_contaminants")
    assert by_name["records"] == [{"n": 21}]
    assert by_name["fields"] == [{"id": "n", "type": "int8", "obert_type": "integer"}]
    joined = ckan.action.datastore_search_sql(
        sql=f'SELECT count(*) AS n FROM "{rid}" c JOIN "{STATIONS}" s '
        'ON s."Codi_Contaminant" = c."Codi_Contaminant"'
    )
    assert joined["records"][0]["n"] > 0
    with pytest.raises(ckanapi.ValidationError) as write:
        ckan.action.datastore_search_sql(sql=f'DELETE FROM "{rid}"')
    assert "sql" in write.value.error_dict


def test_info_counts_types_and_profile(ckan: ckanapi.RemoteCKAN) -> None:
    rid = _resource_id(ckan, POLLUTANTS)
    info = ckan.action.datastore_info(id=rid)
    assert info["meta"]["count"] == 21 and info["meta"]["id"] == rid
    assert info["meta"]["aliases"] == ["qualitat_aire_contaminants"]
    assert [(f["id"], f["type"]) for f in info["fields"]] == [
        ("Codi_Contaminant", "int8"),
        ("Desc_Contaminant", "text"),
        ("Unitats", "text"),
    ]
    assert info["schema"]["Codi_Contaminant"] == "int8" and info["fields"][0]["obert_type"] == "integer"
    assert info["meta"]["primary_key"] == []
    assert ckan.action.resource_show(id=rid)["datastore_active"] is True
    assert info["fields"][0]["schema"], "obert's column profile travels with each field"
    with pytest.raises(ckanapi.NotFound):
        ckan.action.datastore_info(id="no-such-resource")
    assert "records_format" in ckan.action.help_show(name="datastore_search")


def test_private_tables_are_invisible(server: Server, ckan: ckanapi.RemoteCKAN) -> None:
    rid = _resource_id(ckan, POLLUTANTS)
    reader = server.client(server.reader_token)
    admin = server.client(server.admin_token)
    with _private(server, "qualitat-aire-detall-bcn"):
        for client in (ckan, reader):
            with pytest.raises(ckanapi.NotFound):
                client.action.datastore_search(resource_id=rid)
            with pytest.raises(ckanapi.NotFound):
                client.action.datastore_info(id=rid)
            with pytest.raises(ckanapi.CKANAPIError):
                client.action.datastore_search_sql(sql=f'SELECT * FROM "{rid}"')
            # A private table's name is refused exactly as a name that belongs to nothing.
            with pytest.raises(ckanapi.ValidationError) as hidden:
                client.action.datastore_search_sql(sql="SELECT * FROM qualitat_aire_contaminants")
            with pytest.raises(ckanapi.ValidationError) as missing:
                client.action.datastore_search_sql(sql="SELECT * FROM qualitat_aire_absent")
            assert hidden.value.error_dict == missing.value.error_dict
        assert admin.action.datastore_search(resource_id=rid)["total"] == 21
        assert admin.action.datastore_search_sql(sql=f'SELECT * FROM "{rid}"')["records"]


def test_search_tsv_and_include_total_as_text(server: Server, ckan: ckanapi.RemoteCKAN) -> None:
    objects = ckan.action.datastore_search(resource_id=STATIONS, limit=3, sort="Estacio")["records"]
    tsv = ckan.action.datastore_search(resource_id=STATIONS, records_format="tsv", limit=3, sort="Estacio")
    assert tsv["records_format"] == "tsv" and tsv["total"] == 55
    parsed = list(csv.reader(io.StringIO(tsv["records"]), delimiter="\t"))
    assert parsed == [["" if v is None else str(v) for v in r.values()] for r in objects]
    # A GET query string carries include_total as text, as CKAN's own links do.
    url = f"{server.url}/api/3/action/datastore_search"
    quiet = httpx.get(url, params={"resource_id": STATIONS, "include_total": "false", "limit": "1"}).json()
    assert quiet["success"] and "total" not in quiet["result"] and len(quiet["result"]["records"]) == 1
    counted = httpx.get(url, params={"resource_id": STATIONS, "include_total": "true", "limit": "0"}).json()
    assert counted["result"]["total"] == 55 and counted["result"]["records"] == []
    wrong = httpx.get(url, params={"resource_id": STATIONS, "include_total": "maybe"})
    assert wrong.status_code == 409 and "include_total" in wrong.json()["error"]


def test_search_distinct_rows_of_the_fields(ckan: ckanapi.RemoteCKAN) -> None:
    everything = ckan.action.datastore_search(resource_id=STATIONS, limit=1000)["records"]
    pairs = list(dict.fromkeys((r["Codi_districte"], r["Nom_districte"]) for r in everything))
    assert len(pairs) < len(everything), "the stations table repeats districts"
    fields = ["Codi_districte", "Nom_districte"]
    found = ckan.action.datastore_search(resource_id=STATIONS, fields=fields, distinct=True, limit=1000)
    assert [tuple(r.values()) for r in found["records"]] == pairs and found["total"] == len(pairs)
    # Paging, sorting and every records format work on the distinct rows.
    page = ckan.action.datastore_search(
        resource_id=STATIONS,
        fields=fields,
        distinct=True,
        sort="Nom_districte desc",
        limit=2,
        offset=1,
        records_format="lists",
    )
    assert page["records"] == [list(p) for p in sorted(pairs, key=lambda p: p[1], reverse=True)[1:3]]
    assert page["total"] == len(pairs)
    text = ckan.action.datastore_search(
        resource_id=STATIONS, fields=fields, distinct=True, records_format="csv", limit=1000
    )
    assert list(csv.reader(io.StringIO(text["records"]))) == [[str(c), n] for c, n in pairs]
    with pytest.raises(ckanapi.ValidationError) as sort:
        ckan.action.datastore_search(resource_id=STATIONS, fields=fields, distinct=True, sort="Estacio")
    assert "sort" in sort.value.error_dict
