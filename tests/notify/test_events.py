from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from obert.notify.events import EventType, changed_fields, events_from_rows
from obert.notify.wording import SENTENCES
from obert.portal import Portal
from obert.storage.tables.catalog import activity
from obert.types import LANGS
from tests.conftest import dataset_payload


def test_changed_fields_ignore_bookkeeping() -> None:
    before = {"id": "1", "title": {"ca": "A"}, "updated_at": "x", "resources": [], "license": None}
    after = {"id": "1", "title": {"ca": "B"}, "updated_at": "y", "resources": [1], "license": "CC0"}
    assert changed_fields(before, after) == ("title", "license")
    assert changed_fields(before, before) == ()


def test_every_event_type_has_a_sentence_in_every_language() -> None:
    for kind in EventType:
        assert set(SENTENCES[kind.value]) == set(LANGS)


def test_a_table_version_with_schema_changes_becomes_an_event(
    client: TestClient, portal: Portal, admin: dict[str, str], org: dict[str, Any]
) -> None:
    """The datastore's versions plug in by recording one activity row of this shape."""
    client.post("/api/v1/datasets", json=dataset_payload(), headers=admin)
    resource = client.post(
        "/api/v1/datasets/accidents-2018/resources", json={"title": {"en": "Accidents CSV"}}, headers=admin
    ).json()
    with portal.store.begin() as conn:
        conn.execute(
            activity.insert().values(
                at=datetime.now(UTC),
                actor_id=None,
                action="create",
                object_type="resource_version",
                object_id=resource["id"],
                before=None,
                after={
                    "resource": resource,
                    "version": 2,
                    "schema_changes": [{"column": "district", "change": "added"}],
                },
            )
        )
    with portal.store.read() as conn:
        rows = conn.execute(sa.select(activity).order_by(activity.c.id)).all()
        events = events_from_rows(conn, rows)
    assert [e.type for e in events] == [
        EventType.DATASET_CREATED,
        EventType.RESOURCE_ADDED,
        EventType.RESOURCE_VERSION,
    ]
    version = events[-1]
    assert version.summary["en"] == (
        "Traffic accidents 2018: new version of the data in Accidents CSV; columns changed: district (added)"
    )
    assert version.payload("http://x")["details"]["schema_changes"] == [
        {"column": "district", "change": "added"}
    ]
    feed = client.get("/feeds/dataset/accidents-2018.atom?lang=en").text
    assert "columns changed: district" in feed
