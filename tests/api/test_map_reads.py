"""What a page with a map reads: the city's extent (the box around its boundary tables), kept under the
boundaries' versions (a new version of a boundary is read at once, a boundary that is gone no longer
counts), and the publisher's choice and the resource's declared system, each read once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from obert.tableservice import map_positions, table_map
from obert.tableservice.map_positions import MapSetup, city_extent
from tests.api.datastore_helpers import make_dataset, portal_of, run_jobs, upload
from tests.conftest import dataset_payload


def _points(path: Path, points: list[tuple[float, float]]) -> Path:
    path.write_text("nom,longitud,latitud\n" + "".join(f"p{i},{x},{y}\n" for i, (x, y) in enumerate(points)))
    return path


def test_a_new_version_of_a_boundary_moves_the_extent_at_once(
    client: TestClient, admin: dict[str, str], org: dict[str, Any], tmp_path: Path
) -> None:
    portal = portal_of(client)
    setup = MapSetup(("districtes-taula", "no-such-table"), None)
    assert city_extent(store=portal.store, tables=portal.tables, setup=setup) is None
    make_dataset(client, admin, name="districtes")
    upload(client, admin, "districtes-taula", _points(tmp_path / "a.csv", [(2.10, 41.35), (2.20, 41.45)]))
    assert run_jobs(portal) == 1
    first = city_extent(store=portal.store, tables=portal.tables, setup=setup)
    assert first == (2.10, 41.35, 2.20, 41.45)
    assert city_extent(store=portal.store, tables=portal.tables, setup=setup) == first

    upload(client, admin, "districtes-taula", _points(tmp_path / "b.csv", [(2.05, 41.30), (2.25, 41.50)]))
    assert run_jobs(portal) == 1
    assert city_extent(store=portal.store, tables=portal.tables, setup=setup) == (2.05, 41.30, 2.25, 41.50)

    deleted = client.delete("/api/v1/datasets/districtes", headers=admin)
    assert deleted.status_code in (200, 204), deleted.text
    assert city_extent(store=portal.store, tables=portal.tables, setup=setup) is None


def test_a_map_page_reads_the_publishers_choice_once_and_its_resource_not_again(
    client: TestClient, admin: dict[str, str], org: dict[str, Any], tmp_path: Path, monkeypatch: Any
) -> None:
    """UTM x/y columns need their system: the page takes it from the choice it read to place the rows
    and from the resource it loaded, where it read the choice twice and loaded the resource again."""
    resource = {"name": "accidents-taula", "conforms_to": ["http://www.opengis.net/def/crs/EPSG/0/23031"]}
    payload = dataset_payload(name="accidents", resources=[resource])
    assert client.post("/api/v1/datasets", json=payload, headers=admin).status_code == 201
    rows = "".join(f"e{i},{430000 + 100 * i},{4582000 + 50 * i}\n" for i in range(30))
    (tmp_path / "accidents.csv").write_text("Numero_expedient,Coordenada_UTM_X,Coordenada_UTM_Y\n" + rows)
    upload(client, admin, "accidents-taula", tmp_path / "accidents.csv")
    assert run_jobs(portal_of(client)) == 1
    choices: list[str] = []
    loads: list[str] = []
    read_choice, load = map_positions.position_choice, table_map.get_resource

    def counted_choice(**kwargs: Any) -> Any:
        choices.append(kwargs["resource_id"])
        return read_choice(**kwargs)

    def counted_load(**kwargs: Any) -> Any:
        loads.append(kwargs["ref"])
        return load(**kwargs)

    monkeypatch.setattr(map_positions, "position_choice", counted_choice)
    monkeypatch.setattr(table_map, "position_choice", counted_choice)
    monkeypatch.setattr(table_map, "get_resource", counted_load)
    page = client.get("/en/dataset/accidents")
    assert page.status_code == 200
    assert "30 rows have a position" in page.text  # placed with the declared system (ED50 / UTM 31N)
    assert len(choices) == 1 and loads == []
    # The features API, which holds no resource, still reads the resource's declared system.
    features = client.get("/api/v1/datastore/accidents-taula/features", params={"limit": "1"})
    assert features.status_code == 200 and features.json()["features"][0]["geometry"] is not None
