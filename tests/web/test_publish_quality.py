"""A dataset made only through the publisher's forms can reach the MQA rating "Excellent": every field the
quality advice names is on the forms (access rights, rights statement, area covered from the city's own
places, period, contact point, standards followed), the short name comes from the title, and the
licences and frequencies a city needs come first."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient

from tests.security.world import World, csrf_of, login


def test_a_dataset_made_through_the_forms_is_excellent(world: World) -> None:
    editor = login(TestClient(world.client.app), "editor")
    form = editor.get("/ca/publish/new")
    html = form.text
    assert html.index("Creative Commons") < html.index("GNU General Public License"), "data licences first"
    assert html.index('value="MONTHLY"') < html.index('value="TRIDECENNIAL"'), "common frequencies first"
    assert ">Gràcia</option>" in html and ">el Raval</option>" in html, "the city's places to pick from"
    fields = {
        "name": "",  # proposed from the title
        "organization": "guardia-urbana",
        "state": "published",
        "visibility": "public",
        "title_ca": "Inspeccions de mercats 2026",
        "title_es": "Inspecciones de mercados 2026",
        "title_en": "Market inspections 2026",
        "description_ca": "Inspeccions sanitàries dels mercats municipals.",
        "description_es": "Inspecciones sanitarias de los mercados municipales.",
        "description_en": "Health inspections of the municipal markets.",
        "keywords_ca": "mercats, inspeccions",
        "keywords_en": "markets, inspections",
        "themes": "HEAL",
        "license": "CC_BY_4_0",
        "access_rights": "PUBLIC",
        "rights": "Reutilització lliure citant l'Ajuntament de Barcelona com a font.",
        "frequency": "MONTHLY",
        "issued": "2026-01-15",
        "temporal_start": "2026-01-01",
        "temporal_end": "2026-12-31",
        "spatial_place": "district-06",
        "conforms_to": "https://www.w3.org/TR/tabular-data-primer/",
        "contact_point_name": "Institut Municipal de Mercats",
        "contact_point_email": "mercats@bcn.example",
        "csrf_token": csrf_of(html),
    }
    created = editor.post("/ca/publish/new", data=fields, follow_redirects=False)
    assert created.status_code == 303, created.text
    assert created.headers["location"] == "/ca/publish/dataset/inspeccions-de-mercats-2026"
    page = editor.get("/ca/publish/dataset/inspeccions-de-mercats-2026")
    editor.post(
        "/ca/publish/dataset/inspeccions-de-mercats-2026/upload",
        data={"title": "Inspeccions", "csrf_token": csrf_of(page.text)},
        files={"file": ("inspeccions.csv", io.BytesIO(b"mercat,resultat\nAbaceria,favorable\n"), "text/csv")},
    )
    runner = world.portal.job_runner(1)
    while runner.run_once():
        pass

    dataset = world.client.get("/api/v1/datasets/inspeccions-de-mercats-2026").json()
    assert dataset["spatial"]["label"] == {"ca": "Gràcia"} and len(dataset["spatial"]["bbox"]) == 4
    assert dataset["extras"]["rights"].startswith("Reutilització")
    quality = world.client.get("/api/v1/datasets/inspeccions-de-mercats-2026/quality").json()
    missing = [m for m in quality.get("metrics", []) if not m.get("met", m.get("passed", True))]
    assert quality["points"] >= 351, (quality["points"], missing)
    assert quality["rating"] == "excellent"

    again = editor.get("/ca/publish/dataset/inspeccions-de-mercats-2026").text
    assert 'value="district-06" selected' in again, "the place picked is shown again"
