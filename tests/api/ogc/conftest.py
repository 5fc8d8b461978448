"""One obert per test session for the OGC API tests: the demo catalogue served by uvicorn on a free
127.0.0.1 port (GDAL and OWSLib talk HTTP to it), with a few more tables a reader must not see or that
exercise what the demo lacks (a date column, hidden small counts)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from obert.app import create_app
from obert.auth.users import create_token, create_user
from obert.demo import FILES, catalog_settings, load_demo
from obert.portal import Portal, build_portal
from obert.settings import Settings
from tests.api.datastore_helpers import make_dataset, run_jobs, upload
from tests.live import free_port, serving

BASE = "/api/ogc"
ACCIDENTS = "accidents-gu-bcn-2018"  # 9,936 rows: UTM x/y (ED50) and the city's own lon/lat
ACCIDENTS_2010 = "accidents-gu-bcn-2010"  # UTM x/y only (ETRS89), -1 where unknown
BARRIS = "barris-geojson"  # neighbourhood polygons
STATIONS = "qualitat-aire-estacions"  # 55 rows, lon/lat


@dataclass(frozen=True)
class Served:
    url: str
    portal: Portal
    admin: dict[str, str]

    @property
    def base(self) -> str:
        return self.url + BASE

    def get(self, path: str, *, headers: dict[str, str] | None = None, **params: Any) -> httpx.Response:
        return httpx.get(self.base + path, params=params, headers=headers, timeout=30)


def _dated_csv(path: Path, rows: int = 200) -> None:
    """The first accidents of 2018 with their moment as one date-time column (the file splits it in parts)."""
    with (FILES / "2018_accidents_gu_bcn.csv").open(encoding="utf-8") as f, path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["Moment", "Nom_districte", "Longitud", "Latitud"])
        for i, row in enumerate(csv.DictReader(f)):
            if i == rows:
                break
            day = f"{row['Any']}-{int(row['Mes_any']):02d}-{int(row['Dia_mes']):02d}"
            moment = f"{day}T{int(row['Hora_dia']):02d}:00:00"
            writer.writerow([moment, row["Nom_districte"], row["Longitud"], row["Latitud"]])


def _people_csv(path: Path) -> None:
    """Identity numbers with positions: the personal-data gate holds such a table back."""
    letters = "TRWAGMYFPDXBNJZSQVHLCKE"
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["dni", "Longitud", "Latitud"])
        for i, n in enumerate(range(12345678, 12345678 + 60 * 7919, 7919)):
            out.writerow([f"{n:08d}{letters[n % 23]}", 2.15 + i / 1000, 41.39])


def _extra_tables(client: TestClient, admin: dict[str, str], portal: Portal, tmp: Path) -> None:
    stations = FILES / "qualitat_aire_estacions.csv"
    make_dataset(client, admin, "estacions-privades", visibility="private")
    upload(client, admin, "estacions-privades-taula", stations)
    make_dataset(client, admin, "estacions-esborrany", state="draft")
    upload(client, admin, "estacions-esborrany-taula", stations)
    make_dataset(client, admin, "estacions-protegides")
    upload(client, admin, "estacions-protegides-taula", stations)
    _dated_csv(tmp / "accidents_moment.csv")
    make_dataset(client, admin, "accidents-moment")
    upload(client, admin, "accidents-moment-taula", tmp / "accidents_moment.csv")
    _people_csv(tmp / "persones.csv")
    make_dataset(client, admin, "persones-posicio")
    upload(client, admin, "persones-posicio-taula", tmp / "persones.csv")
    run_jobs(portal)
    protect = {"statistics_about_people": True, "min_count": 5, "count_columns": ["Codi_districte"]}
    response = client.patch("/api/v1/datastore/estacions-protegides-taula", json=protect, headers=admin)
    assert response.status_code == 200, response.text


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("ogc")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = Settings(mode="test", data_dir=tmp / "data", base_url=url, job_threads=0, **catalog_settings())
    portal = build_portal(settings)
    load_demo(portal)
    create_user(store=portal.store, name="admin", password="correct horse battery", sysadmin=True)
    admin = {"Authorization": f"Bearer {create_token(store=portal.store, user_ref='admin', name='t').secret}"}
    app = create_app(settings, portal=portal)
    _extra_tables(TestClient(app), admin, portal, tmp)
    try:
        with serving(app, port):
            yield Served(url, portal, admin)
    finally:
        portal.close()
