"""Feature ids from a primary key of several columns, and positions read from the table as it is today
(not as they were stored when an older obert ingested it), through plain HTTP."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx
import sqlalchemy as sa

from obert.storage.tables.catalog import resources
from obert.storage.tables.datastore import datastore_tables, resource_versions
from tests.api.datastore_helpers import make_dataset
from tests.api.ogc.conftest import Served

# Markets counted by district and year: neither column alone tells the rows apart.
FIELDS = [
    {"id": "districte", "type": "text"},
    {"id": "any", "type": "int"},
    {"id": "parades", "type": "int"},
    {"id": "Longitud", "type": "float"},
    {"id": "Latitud", "type": "float"},
]
RECORDS = [
    {"districte": "01", "any": 2018, "parades": 206, "Longitud": 2.1719, "Latitud": 41.3817},
    {"districte": "01", "any": 2019, "parades": 210, "Longitud": 2.1719, "Latitud": 41.3817},
    {"districte": "02", "any": 2018, "parades": 233, "Longitud": 2.1614, "Latitud": 41.3786},
    # The separator and a slash inside a value are written so that the id stays one path segment.
    {"districte": "0~3/b", "any": 2018, "parades": 32, "Longitud": 2.1893, "Latitud": 41.3800},
]


def _ckan(served: Served, action: str, **payload: Any) -> dict[str, Any]:
    response = httpx.post(
        f"{served.url}/api/3/action/{action}", json=payload, headers=served.admin, timeout=60
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["result"]
    return result


def _name(served: Served, resource_id: str) -> str:
    """The resource's name: its collection's id."""
    info = httpx.get(f"{served.url}/api/v1/datastore/{resource_id}", headers=served.admin, timeout=30)
    assert info.status_code == 200, info.text
    name: str = info.json()["resource"]["name"]
    return name


def test_a_key_of_several_columns_gives_each_feature_a_stable_id(served: Served) -> None:
    with httpx.Client(base_url=served.url, timeout=60) as client:
        make_dataset(client, served.admin, "mercats-parades")  # type: ignore[arg-type]
    made = _ckan(
        served,
        "datastore_create",
        resource={"package_id": "mercats-parades", "name": "mercats-parades-any"},
        fields=FIELDS,
        records=RECORDS,
        primary_key=["districte", "any"],
    )
    name = _name(served, made["resource_id"])
    found = served.get(f"/collections/{name}/items")
    assert found.status_code == 200, found.text
    items = found.json()
    assert [f["id"] for f in items["features"]] == ["01~2018", "01~2019", "02~2018", "0%7E3%2Fb~2018"]
    one = served.get(f"/collections/{name}/items/01~2019")
    assert one.status_code == 200, one.text
    assert one.json()["properties"]["parades"] == 210
    odd = served.get(f"/collections/{name}/items/" + quote("0%7E3%2Fb~2018", safe=""))
    assert odd.status_code == 200 and odd.json()["properties"]["districte"] == "0~3/b"
    assert served.get(f"/collections/{name}/items/01~2020").status_code == 404
    assert served.get(f"/collections/{name}/items/01").status_code == 404
    # The next version puts the rows in another order: each keeps its id.
    _ckan(served, "datastore_create", resource_id=made["resource_id"], records=list(reversed(RECORDS)))
    again = served.get(f"/collections/{name}/items/01~2019").json()
    assert again["properties"]["parades"] == 210 and again["id"] == "01~2019"


def test_the_collection_list_reads_positions_as_the_items_do(served: Served) -> None:
    """A table ingested before obert recognised its position columns keeps stale stored positions (none
    here): the list, like the items, judges the table as it is, so the collection is listed, in its UTM
    system."""
    with httpx.Client(base_url=served.url, timeout=60) as client:
        make_dataset(client, served.admin, "mercats-utm")  # type: ignore[arg-type]
    fields = [
        {"id": "mercat", "type": "text"},
        {"id": "Coordenada_UTM_X", "type": "float"},
        {"id": "Coordenada_UTM_Y", "type": "float"},
    ]
    records = [
        {"mercat": "La Boqueria", "Coordenada_UTM_X": 430245.1, "Coordenada_UTM_Y": 4581577.6},
        {"mercat": "Sant Antoni", "Coordenada_UTM_X": 429383.2, "Coordenada_UTM_Y": 4581249.8},
    ]
    made = _ckan(
        served,
        "datastore_create",
        resource={"package_id": "mercats-utm", "name": "mercats-utm-taula"},
        fields=fields,
        records=records,
    )
    name = _name(served, made["resource_id"])
    current = (
        sa.select(resource_versions.c.id)
        .join(datastore_tables, datastore_tables.c.current_version_id == resource_versions.c.id)
        .join(resources, resources.c.id == datastore_tables.c.resource_id)
        .where(resources.c.id == made["resource_id"])
    )
    with served.portal.store.begin() as conn:
        version = conn.execute(current).scalar_one()
        conn.execute(sa.update(resource_versions).where(resource_versions.c.id == version).values(geo={}))
    listed = {c["id"]: c for c in served.get("/collections").json()["collections"]}
    assert name in listed
    assert listed[name]["storageCrs"] == "http://www.opengis.net/def/crs/EPSG/0/25831"
    one = served.get(f"/collections/{name}").json()
    assert one["storageCrs"] == listed[name]["storageCrs"]
    lon, lat = served.get(f"/collections/{name}/items").json()["features"][0]["geometry"]["coordinates"]
    assert 2.16 < lon < 2.18 and 41.37 < lat < 41.39  # la Boqueria, on la Rambla
