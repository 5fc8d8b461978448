"""A publisher chooses which columns place a table's rows, beside the file on the publisher page: the map,
the features API and the OGC API then place the rows by them; a wrong choice is explained next to its field
and changes nothing; "found by names and values" forgets the choice."""

from __future__ import annotations

import io

import pyarrow.parquet as pq
import pytest
import shapely
from fastapi.testclient import TestClient

from tests.security.world import World, csrf_of, login

# Two Barcelona places whose coordinate columns say nothing of what they hold (EPSG:25831 metres).
PLACES = (
    b"nom,est,nord,altres\n"
    b"Mercat de la Boqueria,430245.1,4581577.6,1\n"
    b"Mercat de Sant Antoni,429383.2,4581249.8,2\n"
)


@pytest.fixture
def editor(world: World) -> TestClient:
    return login(TestClient(world.client.app), "editor")


def _upload(world: World) -> tuple[str, str, str]:
    """A new resource of the public dataset holding PLACES, read and published: (id, name, publisher page)."""
    admin = world.headers["site_admin"]
    made = world.client.post(
        "/api/v1/datasets/ds-public/resources", json={"name": "mercats-llocs", "format": "CSV"}, headers=admin
    )
    assert made.status_code == 201, made.text
    resource = made.json()["id"]
    sent = world.client.post(
        f"/api/v1/resources/{resource}/upload",
        files={"file": ("places.csv", io.BytesIO(PLACES), "text/csv")},
        headers=admin,
    )
    assert sent.status_code == 200, sent.text
    runner = world.portal.job_runner(1)
    while runner.run_once():
        pass
    return resource, "mercats-llocs", f"/en/publish/dataset/ds-public/resource/{resource}"


def test_a_publisher_chooses_the_position_columns_and_every_map_follows(
    world: World, editor: TestClient
) -> None:
    resource, name, path = _upload(world)
    features = f"/api/v1/datastore/{resource}/features"
    assert world.client.get(features).status_code == 422  # no column says it is a position
    geojson = f"/api/v1/datastore/{resource}/export.geojson"
    assert world.client.get(geojson).status_code == 422  # nor is there a geo export
    page = editor.get(path)
    assert "Positions on the map" in page.text and "No column places the rows" in page.text
    token = csrf_of(page.text)

    wrong = editor.post(
        f"{path}/positions",
        data={
            "position_kind": "utm",
            "position_first": "nom",
            "position_second": "nord",
            "position_epsg": "25831",
            "csrf_token": token,
        },
    )
    assert wrong.status_code == 422
    assert "nom does not hold numbers" in wrong.text
    assert world.client.get(features).status_code == 422, "a refused choice changes nothing"

    saved = editor.post(
        f"{path}/positions",
        data={
            "position_kind": "utm",
            "position_first": "est",
            "position_second": "nord",
            "position_epsg": "25831",
            "csrf_token": token,
        },
        follow_redirects=True,
    )
    assert "The map now places the rows as chosen." in saved.text
    assert "<code>est</code> (UTM x)" in saved.text
    mapped = world.client.get(features).json()
    assert mapped["numberMatched"] == 2
    lon, lat = mapped["features"][0]["geometry"]["coordinates"]
    assert 2.16 < lon < 2.18 and 41.37 < lat < 41.39  # la Boqueria, on la Rambla
    items = world.client.get(f"/api/ogc/collections/{name}/items")
    assert items.status_code == 200 and items.json()["numberMatched"] == 2
    reader = world.client.get(f"/en/dataset/ds-public/resource/{resource}")
    assert 'id="map"' in reader.text and "2 rows have a position." in reader.text
    # The geo exports place the rows as chosen too: the whole table and a query of it.
    for path_ in (geojson, f"{geojson}?limit=1"):
        exported = world.client.get(path_)
        assert exported.status_code == 200, exported.text
        lon, lat = exported.json()["features"][0]["geometry"]["coordinates"]
        assert 2.16 < lon < 2.18 and 41.37 < lat < 41.39
    table = pq.read_table(
        io.BytesIO(world.client.get(f"/api/v1/datastore/{resource}/export.geoparquet").content)
    )
    boqueria = shapely.from_wkb(table.column("geometry")[0].as_py())
    assert 2.16 < boqueria.x < 2.18 and 41.37 < boqueria.y < 41.39

    forgotten = editor.post(
        f"{path}/positions", data={"position_kind": "auto", "csrf_token": token}, follow_redirects=False
    )
    assert forgotten.status_code == 303
    assert world.client.get(features).status_code == 422
    assert "This table has no map" in world.client.get(f"/en/dataset/ds-public/resource/{resource}").text
