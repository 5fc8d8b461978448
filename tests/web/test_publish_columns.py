"""A table version held back because its columns changed, on the publisher's pages: the dashboard counts it,
the dataset page lists each change in words, an editor accepts it from the page (with a note that goes to
the activity log) and it is published; members see it and cannot act; outsiders see nothing of it."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from obert.demo import FILES
from obert.storage.tables.catalog import activity
from tests.api.datastore_helpers import run_jobs, upload
from tests.conftest import dataset_payload
from tests.security.world import World, csrf_of, login

STATIONS = FILES / "qualitat_aire_estacions.csv"
PAGE = "/en/publish/dataset/estacions"
ACCEPT = "/en/publish/dataset/estacions/versions/estacions-taula/2/accept-columns"
ROWS = "/api/v1/datastore/estacions-taula/rows"
NOTE = "The city renamed the neighbourhood column and stopped publishing the second class."


@pytest.fixture
def changed(world: World, tmp_path: Path) -> World:
    """Organisation A's dataset `estacions`: version 1 published, version 2 (a column renamed, one
    removed) held back for its columns."""
    admin = world.headers["site_admin"]
    payload = dataset_payload(
        name="estacions",
        organization="guardia-urbana",
        resources=[{"name": "estacions-taula", "format": "CSV"}],
    )
    assert world.client.post("/api/v1/datasets", json=payload, headers=admin).status_code == 201
    upload(world.client, admin, "estacions-taula", STATIONS)
    run_jobs(world.portal)
    assert world.client.get(ROWS).json()["version"] == 1
    with STATIONS.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    gone = rows[0].index("Clas_2")
    header = ["Barri" if c == "Nom_barri" else c for c in rows[0]]
    variant = tmp_path / "estacions.csv"
    with variant.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([r[:gone] + r[gone + 1 :] for r in [header, *rows[1:]]])
    upload(world.client, admin, "estacions-taula", variant)
    assert run_jobs(world.portal) == 1
    assert world.client.get(ROWS).json()["version"] == 1
    return world


def _as(world: World, name: str) -> TestClient:
    return login(TestClient(world.client.app), name)


def _accepted(world: World) -> list[dict[str, object]]:
    with world.portal.store.read() as conn:
        return list(
            conn.execute(sa.select(activity.c.after).where(activity.c.action == "schema.accept")).scalars()
        )


def test_the_changes_are_listed_and_an_editor_accepts_them_from_the_page(changed: World) -> None:
    editor = _as(changed, "editor")
    assert "1 version held back for changed columns" in editor.get("/en/publish").text
    page = editor.get(PAGE).text
    section = page[page.index('id="columns"') :]
    assert "Nom_barri renamed to Barri" in section and "Clas_2 removed" in section
    assert f'action="{ACCEPT}"' in section
    assert 'id="privacy"' not in page, "nothing is held for personal data: no section about it"
    assert "Columnes canviades" in editor.get("/ca/publish/dataset/estacions").text

    too_long = editor.post(ACCEPT, data={"csrf_token": csrf_of(page), "comment": "x" * 2500})
    assert too_long.status_code == 422 and "at most 2000 characters" in too_long.text
    assert 'aria-invalid="true"' in too_long.text and changed.client.get(ROWS).json()["version"] == 1

    done = editor.post(ACCEPT, data={"csrf_token": csrf_of(page), "comment": NOTE}, follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"] == "/en/publish/dataset/estacions?done=columns&version=2#columns"
    assert "are accepted and it is published" in editor.get(done.headers["location"]).text
    served = changed.client.get(ROWS).json()
    assert served["version"] == 2 and "Barri" in [f["name"] for f in served["fields"]]
    assert _accepted(changed) == [{"comment": NOTE, "published": True}]
    assert f'action="{ACCEPT}"' not in editor.get(PAGE).text
    again = editor.post(ACCEPT, data={"csrf_token": csrf_of(page), "comment": NOTE})
    assert again.status_code == 404


def test_members_see_the_changes_and_outsiders_see_nothing(changed: World) -> None:
    member = _as(changed, "member")
    page = member.get(PAGE).text
    assert "Clas_2 removed" in page and "Only editors and administrators" in page
    assert f'action="{ACCEPT}"' not in page
    assert member.post(ACCEPT, data={"csrf_token": csrf_of(page)}).status_code == 403

    outsider = _as(changed, "other-admin")
    page = outsider.get(PAGE).text
    assert 'id="columns"' not in page and "Clas_2 removed" not in page
    assert outsider.post(ACCEPT, data={"csrf_token": csrf_of(page)}).status_code == 403
    assert changed.client.get(ROWS).json()["version"] == 1 and _accepted(changed) == []
