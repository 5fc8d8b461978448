"""The personal-data gate and the quality score on the publisher's pages: a table of DNIs, IBANs and e-mails
is held back, its findings are shown masked on the dashboard and the dataset page, and editors release it
from the page (transform columns, or a justified override); members see it and cannot act; people of other
organisations are refused; every release is in the activity log."""

from __future__ import annotations

import csv
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from obert.storage.tables.catalog import activity
from obert.watch.links import record_check
from tests.api.datastore_helpers import run_jobs
from tests.conftest import dataset_payload
from tests.security.world import World, csrf_of, login

PEOPLE = Path(__file__).parents[1] / "data" / "privacy" / "own_padro_persones.csv"
PAGE = "/en/publish/dataset/padro"
TRANSFORM = "/en/publish/dataset/padro/versions/padro-taula/1/transform"
OVERRIDE = "/en/publish/dataset/padro/versions/padro-taula/1/override"
BROKEN = "https://example.org/padro/informe.pdf"
WHY = "Invented residents made for a training course: none of these identifiers belongs to a person."


def _raw(column: str) -> list[str]:
    with PEOPLE.open(encoding="utf-8") as f:
        return [row[column] for row in csv.DictReader(f)]


@pytest.fixture
def held(world: World) -> World:
    """Organisation A's public dataset `padro`, whose first table version the gate held back."""
    admin = world.headers["site_admin"]
    payload = dataset_payload(
        name="padro",
        organization="guardia-urbana",
        keywords={},
        resources=[
            {"name": "padro-taula", "format": "CSV"},
            {"name": "padro-pdf", "format": "PDF", "download_url": BROKEN},
        ],
    )
    assert world.client.post("/api/v1/datasets", json=payload, headers=admin).status_code == 201
    with PEOPLE.open("rb") as f:
        response = world.client.post(
            "/api/v1/resources/padro-taula/upload", files={"file": (PEOPLE.name, f)}, headers=admin
        )
    assert response.status_code == 200, response.text
    run_jobs(world.portal)
    assert world.client.get("/api/v1/datastore/padro-taula/rows").status_code == 404
    return world


def _as(world: World, name: str) -> TestClient:
    return login(TestClient(world.client.app), name)


def _choices(page: str, chosen: dict[str, str]) -> dict[str, Any]:
    """The transform form's fields: every column of the table, kept unless `chosen` says otherwise."""
    form = page[page.index('/versions/padro-taula/1/transform"') :]
    form = form[: form.index("</form>")]
    columns = re.findall(r'name="column" value="([^"]+)"', form)
    return {
        "csrf_token": csrf_of(page),
        "column": columns,
        "op": [chosen.get(column, "keep") for column in columns],
    }


def _audit(world: World, action: str) -> list[Any]:
    with world.portal.store.read() as conn:
        return conn.execute(
            sa.select(activity.c.actor_id, activity.c.after).where(activity.c.action == action)
        ).all()


def test_the_dashboard_and_the_dataset_page_show_masked_findings_and_quality(held: World) -> None:
    with held.portal.store.begin() as conn:
        failed = {"ok": False, "status": 404, "final_url": BROKEN, "content_type": None}
        failed |= {"content_length": None, "latency_ms": 12, "error": "HTTP 404"}
        record_check(conn, BROKEN, failed, at=datetime.now(UTC))
    editor = _as(held, "editor")
    dashboard = editor.get("/en/publish").text
    assert "Held back for personal data" in dashboard
    assert "1 version held back for personal data" in dashboard
    for label in ("DNI number", "bank account (IBAN)", "e-mail address"):
        assert label in dashboard
    assert "20 of 20" in dashboard
    dnis, emails = _raw("dni"), _raw("correu")
    assert not any(value in dashboard for value in dnis + emails), "only masked examples are shown"
    assert re.search(r'<code class="masked">\d{4}\*+[A-Z]</code>', dashboard)
    assert "of 405 points" in dashboard and "Add keywords</a>: fix this to gain 30 points" in dashboard
    assert "1 link fails" in dashboard

    page = editor.get(PAGE).text
    assert 'id="privacy"' in page and "version 1" in page and "20 rows" in page
    assert 'action="/en/publish/dataset/padro/versions/padro-taula/1/transform"' in page
    assert not any(value in page for value in dnis + emails)
    # The suggested change is preselected for each column with personal data.
    assert re.search(r'name="column" value="dni">.*?<option value="hash" selected>', page, re.S)
    quality = page[page.index('id="quality"') :]
    assert "What to fix first" in quality and "Add keywords — <strong>fix this to gain 30 points" in quality
    assert f"<code>{BROKEN}</code>: answered HTTP 404" in quality

    catalan = editor.get("/ca/publish/dataset/padro").text
    assert "Dades personals" in catalan and "número de DNI" in catalan


def test_an_editor_masks_columns_from_the_page_and_the_new_version_is_published(held: World) -> None:
    editor = _as(held, "editor")
    page = editor.get(PAGE).text
    # A first try that leaves the e-mails in: the copy is a new version, held back again.
    partial = editor.post(
        TRANSFORM, data=_choices(page, {"dni": "hash", "iban": "drop"}), follow_redirects=False
    )
    assert partial.status_code == 303
    assert partial.headers["location"] == "/en/publish/dataset/padro?done=held&version=2#privacy"
    again = editor.get(partial.headers["location"]).text
    assert "still held back" in again and "version 2" in again
    assert held.client.get("/api/v1/datastore/padro-taula/rows").status_code == 404

    page = editor.get(PAGE).text
    response = editor.post(
        TRANSFORM,
        data=_choices(page, {"dni": "hash", "iban": "drop", "correu": "mask"}),
        follow_redirects=False,
    )
    assert response.headers["location"] == "/en/publish/dataset/padro?done=published&version=3#privacy"
    assert "Version 3 is published" in editor.get(response.headers["location"]).text
    rows = held.client.get("/api/v1/datastore/padro-taula/rows?limit=100").json()
    assert rows["count"] == 20 and rows["version"] == 3
    assert [f["name"] for f in rows["fields"]] == ["districte", "dni", "correu", "import"]
    served = str(rows["data"])
    assert not any(value in served for value in _raw("dni") + _raw("correu"))
    assert rows["data"][0]["correu"].startswith("a***@e***")
    logged = _audit(held, "privacy.transform")
    assert [a.after["new_version"] for a in logged] == [2, 3]
    assert {a.actor_id for a in logged} == {held.user_ids["editor"]}
    assert logged[1].after["published"] is True


def test_a_justified_override_publishes_the_version_as_it_is(held: World) -> None:
    admin = _as(held, "org-admin")
    page = admin.get(PAGE).text
    empty = admin.post(OVERRIDE, data={"csrf_token": csrf_of(page), "justification": "  "})
    assert empty.status_code == 422
    assert "Say why these data may be published as they are." in empty.text
    assert 'aria-invalid="true"' in empty.text
    short = admin.post(OVERRIDE, data={"csrf_token": csrf_of(page), "justification": "it is fine"})
    assert short.status_code == 422 and "at least 40 characters" in short.text
    assert ">it is fine</textarea>" in short.text, "what was typed is kept"
    assert held.client.get("/api/v1/datastore/padro-taula/rows").status_code == 404
    assert _audit(held, "privacy.override") == []

    form = {"csrf_token": csrf_of(page), "justification": WHY}
    done = admin.post(OVERRIDE, data=form, follow_redirects=False)
    assert done.headers["location"] == "/en/publish/dataset/padro?done=overridden&version=1#privacy"
    assert "recorded in the activity log" in admin.get(done.headers["location"]).text
    assert held.client.get("/api/v1/datastore/padro-taula/rows").json()["count"] == 20
    (entry,) = _audit(held, "privacy.override")
    assert entry.actor_id == held.user_ids["org_admin"]
    assert {(o["column"], o["kind"]) for o in entry.after["overrides"]} >= {
        ("dni", "dni"),
        ("iban", "iban"),
        ("correu", "email"),
    }
    assert {o["justification"] for o in entry.after["overrides"]} == {WHY}
    # Released once: the form is gone and a second post is refused with a message, not a 500.
    assert "/1/override" not in admin.get(PAGE).text
    late = admin.post(OVERRIDE, data={"csrf_token": csrf_of(page), "justification": WHY})
    assert late.status_code == 404


def test_members_see_the_findings_but_cannot_release(held: World) -> None:
    member = _as(held, "member")
    page = member.get(PAGE).text
    assert "DNI number" in page and "Only editors and administrators" in page
    assert "/1/transform" not in page and "/1/override" not in page
    token = csrf_of(page)
    assert member.post(OVERRIDE, data={"csrf_token": token, "justification": WHY}).status_code == 403
    refused = member.post(TRANSFORM, data={"csrf_token": token, "column": "dni", "op": "nonsense"})
    assert refused.status_code == 403
    assert held.client.get("/api/v1/datastore/padro-taula/rows").status_code == 404
    assert _audit(held, "privacy.override") == [] and _audit(held, "privacy.transform") == []


def test_other_organisations_are_refused(held: World) -> None:
    outsider = _as(held, "other-admin")
    page = outsider.get(PAGE)
    assert page.status_code == 200  # a public dataset: its page, but not what held its table back
    assert 'id="privacy"' not in page.text and "DNI number" not in page.text
    token = csrf_of(page.text)
    assert outsider.post(OVERRIDE, data={"csrf_token": token, "justification": WHY}).status_code == 403
    held.client.patch(
        "/api/v1/datasets/padro", json={"visibility": "private"}, headers=held.headers["site_admin"]
    )
    assert outsider.get(PAGE).status_code == 404
    assert outsider.post(OVERRIDE, data={"csrf_token": token, "justification": WHY}).status_code == 404
    assert _audit(held, "privacy.override") == []


@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        ({"column": "dni", "op": "keep"}, 422, "Choose a change for at least one column."),
        ({"column": "dni", "op": "shred"}, 422, "This change is not one of the choices offered."),
        ({"column": "dni", "op": ["drop", "drop"]}, 422, "Each column needs exactly one choice."),
        ({"column": "nope", "op": "drop"}, 422, "no column named"),
        ({"op": "drop"}, 422, "Each column needs exactly one choice."),
        ({"column": "dni", "op": "month"}, 200, "still held back"),  # dates of nothing: a new version
    ],
)
def test_bad_choices_get_a_message_not_a_500(
    held: World, fields: dict[str, Any], status: int, message: str
) -> None:
    editor = _as(held, "editor")
    token = csrf_of(editor.get(PAGE).text)
    response = editor.post(TRANSFORM, data={"csrf_token": token, **fields})
    assert response.status_code == status
    assert message in response.text


def test_forms_need_the_csrf_token_and_a_held_version(held: World) -> None:
    editor = _as(held, "editor")
    assert editor.post(OVERRIDE, data={"justification": WHY}).status_code == 403
    token = csrf_of(editor.get(PAGE).text)
    missing = editor.post(OVERRIDE.replace("/1/", "/9/"), data={"csrf_token": token, "justification": WHY})
    assert missing.status_code == 404 and "no held version 9" in missing.text
    bad = editor.post(OVERRIDE.replace("/1/", "/one/"), data={"csrf_token": token, "justification": WHY})
    assert bad.status_code == 400
