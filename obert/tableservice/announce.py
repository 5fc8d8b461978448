"""Every publication of a table version is one ``resource_version`` row in the activity log, written in the
publication's own transaction: feeds and webhooks read it as a ``resource.version`` event (see
obert.notify.events), with the columns that changed since the version it replaces."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from obert.auth import audit
from obert.catalog.rows import resource_from_row
from obert.storage.tables.catalog import datasets, resources
from obert.tableservice.schema_diff import Columns, changes_json, compare_columns

OBJECT_TYPE = "resource_version"


def announce(
    conn: Connection,
    *,
    resource_id: str,
    number: int,
    columns: Columns,
    previous: Columns | None,
    actor_id: str | None,
    now: datetime,
) -> None:
    """Log that version `number` of the resource is now served; `previous` is the columns of the version
    it replaces (None for a first version, whose columns are all new and so not a change)."""
    row = conn.execute(
        sa.select(resources, datasets.c.name.label("dataset_name"))
        .select_from(resources.join(datasets, datasets.c.id == resources.c.dataset_id))
        .where(resources.c.id == resource_id)
    ).first()
    if row is None:  # the resource went away under the ingest: nothing to tell
        return
    resource = resource_from_row(row, row.dataset_name)
    changes = compare_columns(previous, columns) if previous is not None else []
    audit.append(
        conn,
        at=now,
        actor_id=actor_id,
        action="create",
        object_type=OBJECT_TYPE,
        object_id=resource_id,
        after={
            "resource": resource.model_dump(mode="json"),
            "version": number,
            "schema_changes": changes_json(changes),
        },
    )
