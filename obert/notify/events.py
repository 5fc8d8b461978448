"""Typed change events derived from activity-log rows.

`events_from_rows` is the one place that knows how a row of the activity log reads as an event. Each kind
of row has a builder in `_BUILDERS`, keyed by (object type, action). The table engine's versions plug in
the same way: when the datastore records an activity row of object type ``resource_version`` whose
``after`` holds ``{"resource": <Resource JSON>, "version": ..., "schema_changes": [{"column": ..., "change":
...}]}``, `_resource_version` below turns it into a ``resource.version`` event with the changed columns in
its summary and payload, and feeds and webhooks carry it with no further change. obert.tableservice.announce
writes one such row for every version it publishes, with the changes against the version it replaces
(``change`` is added, dropped, renamed, with ``new_name``, or retyped, with ``old_type`` and ``new_type``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from obert.notify.wording import summarize
from obert.storage.tables.catalog import datasets, organizations
from obert.types import Lang


class EventType(StrEnum):
    DATASET_CREATED = "dataset.created"
    DATASET_UPDATED = "dataset.updated"
    DATASET_PUBLISHED = "dataset.published"
    DATASET_WITHDRAWN = "dataset.withdrawn"
    DATASET_DELETED = "dataset.deleted"
    RESOURCE_ADDED = "resource.added"
    RESOURCE_CHANGED = "resource.changed"
    RESOURCE_REMOVED = "resource.removed"
    FILE_UPLOADED = "resource.uploaded"
    RESOURCE_VERSION = "resource.version"


# Events that take a dataset out of public view: shown even though the dataset is no longer public,
# because "it is gone" is exactly what its followers need to hear.
DEPARTURES = frozenset({EventType.DATASET_WITHDRAWN, EventType.DATASET_DELETED})

# Bookkeeping that changes on every write and says nothing to a reader.
_IGNORED = frozenset(
    {"id", "created_at", "updated_at", "resources", "dataset_id", "dataset_name", "position"}
)


@dataclass(frozen=True, slots=True)
class DatasetInfo:
    """What an event says about its dataset (as it was when the event happened, where known)."""

    id: str
    name: str
    title: dict[str, str]
    description: dict[str, str]
    keywords: dict[str, list[str]]
    themes: tuple[str, ...]
    organization: dict[str, Any] | None  # {"id", "name", "title"}
    public: bool


@dataclass(frozen=True, slots=True)
class ResourceInfo:
    id: str
    name: str
    title: dict[str, str]
    format: str | None


@dataclass(frozen=True, slots=True)
class Event:
    id: int  # the activity row's id: stable, ordered, and the key deliveries are deduplicated on
    type: EventType
    at: datetime
    dataset: DatasetInfo
    resource: ResourceInfo | None
    changes: tuple[str, ...]
    public: bool  # whether the change was visible to everyone when it happened
    summary: dict[Lang, str]
    details: dict[str, Any] = field(default_factory=dict)

    def payload(self, base_url: str) -> dict[str, Any]:
        """The event as JSON for webhooks and the API."""
        base = base_url.rstrip("/")
        return {
            "id": str(self.id),
            "type": self.type.value,
            "occurred_at": self.at.isoformat(),
            "dataset": {
                "id": self.dataset.id,
                "name": self.dataset.name,
                "title": self.dataset.title,
                "organization": self.dataset.organization,
                "url": f"{base}/dataset/{self.dataset.name}",
                "api_url": f"{base}/api/v1/datasets/{self.dataset.name}",
            },
            "resource": (
                {"id": self.resource.id, "name": self.resource.name, "title": self.resource.title}
                if self.resource
                else None
            ),
            "changes": list(self.changes),
            "summary": self.summary,
            **({"details": self.details} if self.details else {}),
        }


Builder = Callable[[Row[Any], dict[str, DatasetInfo]], Event | None]


def events_from_rows(conn: Connection, rows: Sequence[Row[Any]]) -> list[Event]:
    """The events the activity rows describe, in their order; rows that tell nobody anything are skipped."""
    wanted = {
        str((r.after or r.before or {}).get("dataset_id") or _nested_dataset_id(r))
        for r in rows
        if r.object_type != "dataset"
    }
    current = current_datasets(conn, {w for w in wanted if w and w != "None"})
    out = []
    for row in rows:
        builder = _BUILDERS.get((row.object_type, row.action))
        event = builder(row, current) if builder else None
        if event is not None:
            out.append(event)
    return out


def current_datasets(conn: Connection, ids: set[str]) -> dict[str, DatasetInfo]:
    """Datasets as they are now, for events (resource changes) whose row does not carry the dataset."""
    if not ids:
        return {}
    query = (
        sa.select(
            datasets.c.id,
            datasets.c.name,
            datasets.c.title,
            datasets.c.description,
            datasets.c.keywords,
            datasets.c.themes,
            datasets.c.state,
            datasets.c.visibility,
            organizations.c.id.label("org_id"),
            organizations.c.name.label("org_name"),
            organizations.c.title.label("org_title"),
        )
        .select_from(datasets.outerjoin(organizations, organizations.c.id == datasets.c.organization_id))
        .where(datasets.c.id.in_(ids))
    )
    return {
        r.id: DatasetInfo(
            id=r.id,
            name=r.name,
            title=r.title,
            description=r.description,
            keywords=r.keywords,
            themes=tuple(r.themes),
            organization={"id": r.org_id, "name": r.org_name, "title": r.org_title} if r.org_id else None,
            public=r.state == "published" and r.visibility == "public",
        )
        for r in conn.execute(query)
    }


def changed_fields(before: dict[str, Any] | None, after: dict[str, Any] | None) -> tuple[str, ...]:
    """The fields whose values differ between two snapshots, in the snapshot's order."""
    before, after = before or {}, after or {}
    keys = [k for k in (*after, *(k for k in before if k not in after)) if k not in _IGNORED]
    return tuple(k for k in dict.fromkeys(keys) if before.get(k) != after.get(k))


def _nested_dataset_id(row: Row[Any]) -> str | None:
    snapshot = row.after or row.before or {}
    resource = snapshot.get("resource")
    return resource.get("dataset_id") if isinstance(resource, dict) else None


def _dataset_info(snapshot: dict[str, Any]) -> DatasetInfo:
    return DatasetInfo(
        id=snapshot["id"],
        name=snapshot["name"],
        title=snapshot.get("title") or {},
        description=snapshot.get("description") or {},
        keywords=snapshot.get("keywords") or {},
        themes=tuple(snapshot.get("themes") or ()),
        organization=snapshot.get("organization"),
        public=snapshot.get("state") == "published" and snapshot.get("visibility") == "public",
    )


def _dataset_event(row: Row[Any], _current: dict[str, DatasetInfo]) -> Event | None:
    before = _dataset_info(row.before) if row.before else None
    after = _dataset_info(row.after) if row.after else None
    changes: tuple[str, ...] = ()
    if row.action == "create" and after:
        kind, info, public = EventType.DATASET_CREATED, after, after.public
    elif row.action == "delete" and before:
        kind, info, public = EventType.DATASET_DELETED, before, before.public
    elif row.action == "update" and before and after:
        changes = changed_fields(row.before, row.after)
        if not changes:
            return None
        if after.public and not before.public:
            kind, info, public = EventType.DATASET_PUBLISHED, after, True
        elif before.public and not after.public:
            kind, info, public = EventType.DATASET_WITHDRAWN, before, True
        else:
            kind, info, public = EventType.DATASET_UPDATED, after, after.public
    else:
        return None
    return Event(
        id=row.id,
        type=kind,
        at=row.at,
        dataset=info,
        resource=None,
        changes=changes,
        public=public,
        summary=summarize(kind.value, title=info.title, resource=None, fields=changes),
    )


def _resource_info(snapshot: dict[str, Any]) -> ResourceInfo:
    return ResourceInfo(
        id=snapshot["id"],
        name=snapshot["name"],
        title=snapshot.get("title") or {},
        format=snapshot.get("format"),
    )


_RESOURCE_KINDS = {
    "create": EventType.RESOURCE_ADDED,
    "update": EventType.RESOURCE_CHANGED,
    "delete": EventType.RESOURCE_REMOVED,
    "upload": EventType.FILE_UPLOADED,
}


def _resource_event(row: Row[Any], current: dict[str, DatasetInfo]) -> Event | None:
    snapshot = row.after or row.before
    dataset = current.get(snapshot["dataset_id"]) if snapshot else None
    if snapshot is None or dataset is None:
        return None
    kind = _RESOURCE_KINDS[row.action]
    changes = changed_fields(row.before, row.after) if kind is EventType.RESOURCE_CHANGED else ()
    if kind is EventType.RESOURCE_CHANGED and not changes:
        return None
    resource = _resource_info(snapshot)
    return Event(
        id=row.id,
        type=kind,
        at=row.at,
        dataset=dataset,
        resource=resource,
        changes=changes,
        public=dataset.public,
        summary=summarize(
            kind.value,
            title=dataset.title,
            resource=resource.title,
            resource_name=resource.name,
            fields=changes,
        ),
    )


def _resource_version(row: Row[Any], current: dict[str, DatasetInfo]) -> Event | None:
    after = row.after or {}
    snapshot = after.get("resource")
    dataset = current.get(snapshot["dataset_id"]) if isinstance(snapshot, dict) else None
    if not isinstance(snapshot, dict) or dataset is None:
        return None
    schema_changes = [c for c in after.get("schema_changes") or [] if isinstance(c, dict)]
    resource = _resource_info(snapshot)
    return Event(
        id=row.id,
        type=EventType.RESOURCE_VERSION,
        at=row.at,
        dataset=dataset,
        resource=resource,
        changes=("schema",) if schema_changes else (),
        public=dataset.public,
        summary=summarize(
            EventType.RESOURCE_VERSION.value,
            title=dataset.title,
            resource=resource.title,
            resource_name=resource.name,
            schema_changes=schema_changes,
        ),
        details={"version": after.get("version"), "schema_changes": schema_changes},
    )


_BUILDERS: dict[tuple[str, str], Builder] = {
    ("dataset", "create"): _dataset_event,
    ("dataset", "update"): _dataset_event,
    ("dataset", "delete"): _dataset_event,
    **{("resource", action): _resource_event for action in _RESOURCE_KINDS},
    ("resource_version", "create"): _resource_version,
}

# Activity rows that can become events, so readers can skip the rest in SQL.
EVENT_OBJECT_TYPES = tuple(sorted({object_type for object_type, _ in _BUILDERS}))
