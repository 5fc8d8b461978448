"""A publisher keeps a dataset's files current from the site alone: edit a resource in three languages,
upload a new version in place and follow it being read, see what needs a decision first, delete after
confirming."""

from __future__ import annotations

import html
import io

import pytest
from fastapi.testclient import TestClient

from obert.catalog.tabular import INGEST_JOB
from obert.jobs.queue import claim, heartbeat
from tests.security.world import World, csrf_of, login
from tests.web.test_no_english import _english_on


@pytest.fixture
def editor(world: World) -> TestClient:
    return login(TestClient(world.client.app), "editor")


def _run_jobs(world: World) -> None:
    runner = world.portal.job_runner(1)
    while runner.run_once():
        pass


def _resource_page(world: World) -> str:
    resource = world.datasets["public"]["resources"][0]["id"]
    return f"/en/publish/dataset/ds-public/resource/{resource}"


def test_a_resource_is_edited_in_three_languages(world: World, editor: TestClient) -> None:
    path = _resource_page(world)
    form = editor.get(path)
    assert form.status_code == 200
    titles = {"title_ca": "Inspeccions", "title_es": "Inspecciones", "title_en": "Inspections"}
    saved = editor.post(
        path,
        data={**titles, "description_ca": "Totes", "format": "CSV", "csrf_token": csrf_of(form.text)},
        follow_redirects=True,
    )
    assert "The resource is saved." in saved.text
    resource = world.client.get(f"/api/v1/resources/{world.datasets['public']['resources'][0]['id']}").json()
    assert resource["title"] == {"ca": "Inspeccions", "es": "Inspecciones", "en": "Inspections"}
    assert resource["description"] == {"ca": "Totes"}

    emptied = editor.post(
        path, data={**titles, "title_es": "", "csrf_token": csrf_of(form.text)}, follow_redirects=False
    )
    assert emptied.status_code == 303
    resource = world.client.get(f"/api/v1/resources/{world.datasets['public']['resources'][0]['id']}").json()
    assert "es" not in resource["title"], "a text emptied in the form is removed"


def test_a_new_version_is_uploaded_in_place_and_its_progress_shown(world: World, editor: TestClient) -> None:
    path = _resource_page(world)
    before = world.client.get("/api/v1/datasets/ds-public").json()["resources"]
    page = editor.get(path)
    uploaded = editor.post(
        f"{path}/upload",
        data={"csrf_token": csrf_of(page.text)},
        files={"file": ("inspeccions.csv", io.BytesIO(b"a,b\n1,2\n3,4\n5,6\n"), "text/csv")},
        follow_redirects=True,
    )
    assert "saved as a new version of this resource" in uploaded.text
    assert "Waiting to be read." in uploaded.text
    assert '<noscript><meta http-equiv="refresh"' in uploaded.text, "it refreshes itself without JavaScript"
    assert "/static/js/publish-progress.js" in uploaded.text
    after = world.client.get("/api/v1/datasets/ds-public").json()["resources"]
    assert [r["id"] for r in after] == [r["id"] for r in before], "the same resource, no duplicate"

    _run_jobs(world)
    done = editor.get(path).text
    assert "Version 2 is published (3 rows)." in done
    assert "http-equiv" not in done, "nothing to wait for: no more refreshing"


def test_the_rows_read_so_far_are_shown_while_the_file_is_read(world: World, editor: TestClient) -> None:
    path = _resource_page(world)
    page = editor.get(path)
    editor.post(
        f"{path}/upload",
        data={"csrf_token": csrf_of(page.text)},
        files={"file": ("inspeccions.csv", io.BytesIO(b"a,b\n1,2\n"), "text/csv")},
    )
    # A worker has the job and reports how far the reading got, as an ingest does about every second.
    job = claim(world.portal.store, worker_id="w", kinds=[INGEST_JOB], lease_seconds=60)
    assert job is not None
    progress = {"done": 123456, "total": None, "message": "reading"}
    heartbeat(world.portal.store, job_id=job.id, worker_id="w", lease_seconds=60, progress=progress)
    running = editor.get(path).text
    assert "Reading the file…" in running
    assert "About 123,456 rows read so far." in running
    assert '<progress aria-label="Rows read">' in running, "an indeterminate bar: the total is not known yet"
    assert 'data-refresh="' in running, "the page keeps following the job"
    catalan = editor.get(path.replace("/en/", "/ca/")).text
    assert "123.456" in catalan and "files llegides" in catalan


def test_what_needs_a_decision_comes_before_the_metadata_form(world: World, editor: TestClient) -> None:
    path = _resource_page(world)
    page = editor.get(path)
    people = b"nom,dni,telefon\nAnna Puig,12345678Z,612345678\nJoan Vila,87654321X,698765432\n"
    editor.post(
        f"{path}/upload",
        data={"csrf_token": csrf_of(page.text)},
        files={"file": ("people.csv", io.BytesIO(people), "text/csv")},
    )
    _run_jobs(world)
    status = editor.get(path).text
    assert "is held back and not published" in status
    dataset_page = editor.get("/en/publish/dataset/ds-public").text
    decisions = dataset_page.index('id="decisions"')
    assert decisions < dataset_page.index('id="f-name"'), "held versions sit above the metadata form"
    assert dataset_page.index('id="privacy"') < dataset_page.index('id="f-name"')
    assert "held back" in dataset_page[decisions : dataset_page.index('id="f-name"')]


def test_a_file_that_cannot_be_read_is_a_decision_too(world: World, editor: TestClient) -> None:
    path = _resource_page(world)
    page = editor.get(path)
    editor.post(
        f"{path}/upload",
        data={"csrf_token": csrf_of(page.text)},
        files={"file": ("broken.csv", io.BytesIO(b"\x00\x01\x02" * 50), "text/csv")},
    )
    _run_jobs(world)
    dataset_page = editor.get("/en/publish/dataset/ds-public").text
    decisions = dataset_page[dataset_page.index('id="decisions"') : dataset_page.index('id="f-name"')]
    assert "could not be read" in decisions and "Upload a corrected file" in decisions


def test_a_resource_is_deleted_only_after_confirming(world: World, editor: TestClient) -> None:
    path = _resource_page(world)
    confirm = editor.get(f"{path}/delete")
    assert confirm.status_code == 200
    refused = editor.post(f"{path}/delete", data={"csrf_token": csrf_of(confirm.text)})
    assert refused.status_code == 422 and "tick the box" in refused.text
    assert world.client.get("/api/v1/datasets/ds-public").json()["resources"]
    deleted = editor.post(
        f"{path}/delete",
        data={"csrf_token": csrf_of(confirm.text), "confirm": "yes"},
        follow_redirects=False,
    )
    assert deleted.status_code == 303
    assert world.client.get("/api/v1/datasets/ds-public").json()["resources"] == []


def test_only_editors_of_the_dataset_manage_its_resources(world: World) -> None:
    outsider = login(TestClient(world.client.app), "other-admin")
    assert outsider.get(_resource_page(world)).status_code in (403, 404)


@pytest.mark.parametrize("lang", ["ca", "es"])
def test_what_became_of_an_upload_is_told_in_the_pages_language(
    world: World, editor: TestClient, lang: str
) -> None:
    path = _resource_page(world).replace("/en/", f"/{lang}/")

    def upload(name: str, body: bytes) -> str:
        page = editor.get(path)
        token = {"csrf_token": csrf_of(page.text)}
        editor.post(f"{path}/upload", data=token, files={"file": (name, io.BytesIO(body))})
        _run_jobs(world)
        return editor.get(path).text

    failed = upload("inspeccions.json", b'{"a": [1, ')
    assert "not valid JSON" not in failed and _english_on(failed, lang) == []
    assert {"ca": "no és JSON vàlid", "es": "no es JSON válido"}[lang] in failed

    held = upload("inspeccions.csv", b"x,y\n1,2\n")
    assert "held back" not in held and "renamed" not in held and _english_on(held, lang) == []
    assert {"ca": "columnes", "es": "columnas"}[lang] in held


def _page_after_upload(world: World, editor: TestClient, lang: str, last_lines: bytes) -> str:
    """The resource's publisher page in `lang` once a 300-row CSV ending in `last_lines` was read."""
    path = _resource_page(world).replace("/en/", f"/{lang}/")
    page = editor.get(path)
    rows = b"a,b\n" + b"".join(b"%d,%d\n" % (i, i) for i in range(300)) + last_lines
    editor.post(
        f"{path}/upload",
        data={"csrf_token": csrf_of(page.text)},
        files={"file": ("inspeccions.csv", io.BytesIO(rows))},
    )
    _run_jobs(world)
    return html.unescape(editor.get(path).text)


@pytest.mark.parametrize("lang", ["ca", "en"])
def test_rows_padded_or_left_out_are_told_to_the_publisher(
    world: World, editor: TestClient, lang: str
) -> None:
    done = _page_after_upload(world, editor, lang, b"7\n8,9,10\n")
    told = {
        "en": ("1 row had fewer than 2 fields and was padded with empty values (line 302)",
               "1 row with more than 2 fields was left out (line 303)"),
        "ca": ("1 fila tenia menys de 2 camps i s'ha completat amb valors buits (línia 302)",
               "1 fila amb més de 2 camps no s'ha desat (línia 303)"),
    }[lang]  # fmt: skip
    assert all(t in done for t in told), done[done.find("ingest-status") :][:1500]
    assert _english_on(done, lang) == [] if lang != "en" else True


@pytest.mark.parametrize("lang", ["ca", "es"])
def test_a_file_kept_for_personal_data_outside_its_table_is_told_to_the_publisher(
    world: World, editor: TestClient, lang: str
) -> None:
    done = _page_after_upload(world, editor, lang, b"Maria Puig,40123456W,x\n")
    told = {
        "ca": ("Només els editors del conjunt de dades poden descarregar el fitxer original.",
               "línia 302: número de DNI (columna b, 1 de 1 valors)"),
        "es": ("Solo los editores del conjunto de datos pueden descargar el fichero original.",
               "línea 302: número de DNI (columna b, 1 de 1 valores)"),
    }[lang]  # fmt: skip
    assert all(t in done for t in told), done[done.find("ingest-status") :][:2000]
    assert "40123456W" not in done
    assert _english_on(done, lang) == []
