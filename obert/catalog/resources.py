"""Resources (dcat:Distribution): files and links of a dataset, including uploads kept by obert."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any, BinaryIO

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from obert.auth import Actor
from obert.catalog.access import load_dataset, require_editor, visible_to
from obert.catalog.common import (
    check_limit,
    decode_cursor,
    encode_cursor,
    merge_patch,
    now,
    record,
    validated,
)
from obert.catalog.indexing import refresh_index
from obert.catalog.models import Page, Resource, ResourceInput
from obert.catalog.rows import LIVE_RESOURCE, resource_from_row
from obert.catalog.tabular import enqueue_ingest, is_tabular
from obert.catalog.vocabulary import Concept, file_type_for
from obert.errors import Conflict, FieldError, Invalid, NotFound, msg
from obert.storage import Store
from obert.storage.files import FileStore
from obert.storage.ids import new_id
from obert.storage.media import check_upload_media_type, is_active
from obert.storage.tables.catalog import datasets, resources


def insert_resource(
    conn: Connection, *, dataset_id: str, dataset_name: str, position: int, data: ResourceInput
) -> str:
    """Insert one resource row inside the caller's transaction; returns its id."""
    name = data.name or _free_name(conn, f"{dataset_name}-{position + 1}")
    if data.name and conn.execute(sa.select(resources.c.id).where(resources.c.name == name)).first():
        raise Conflict(
            msg("a resource named '{name}' already exists", name=name),
            errors=[FieldError("name", msg("already taken"))],
        )
    stamp = now()
    resource_id = new_id()
    conn.execute(
        resources.insert().values(
            id=resource_id,
            dataset_id=dataset_id,
            position=position,
            state="active",
            upload=None,
            created_at=stamp,
            updated_at=stamp,
            **_columns(data, name),
        )
    )
    return resource_id


def insert_resources(conn: Connection, batch: Sequence[tuple[str, str, Sequence[ResourceInput]]]) -> None:
    """Insert the resources of several new datasets (id, name, resources) with one statement; names
    given or free are checked with one query for the whole batch."""
    stamp = now()
    rows = []
    given = set()
    for dataset_id, dataset_name, inputs in batch:
        for position, data in enumerate(inputs):
            if data.name:
                given.add(data.name)
            name = data.name or f"{dataset_name}-{position + 1}"
            rows.append(
                {
                    "id": new_id(),
                    "dataset_id": dataset_id,
                    "position": position,
                    "state": "active",
                    "upload": None,
                    "created_at": stamp,
                    "updated_at": stamp,
                    **_columns(data, name),
                }
            )
    if not rows:
        return
    wanted = [r["name"] for r in rows]
    taken = set(conn.execute(sa.select(resources.c.name).where(resources.c.name.in_(wanted))).scalars())
    if clash := sorted(given & taken):
        raise Conflict(
            msg("a resource named '{clash}' already exists", clash=clash[0]),
            errors=[FieldError("name", msg("already taken"))],
        )
    if len(set(wanted)) != len(wanted) or taken:
        seen: set[str] = set()
        for row in rows:
            if row["name"] in taken or row["name"] in seen:
                row["name"] = f"{row['name'][:90]}-{uuid.uuid4().hex[:8]}"
            seen.add(row["name"])
    conn.execute(resources.insert(), rows)


def create_resource(
    *, store: Store, actor: Actor, dataset_ref: str, data: ResourceInput, ingest: bool = False
) -> Resource:
    """Add a resource to a dataset; with `ingest`, its download URL is queued for the datastore too."""
    if ingest and not data.download_url:
        raise Invalid(
            msg("only a resource with a download URL can be ingested"),
            errors=[FieldError("datastore", msg("set download_url, or upload a file instead"))],
        )
    with store.begin() as conn:
        dataset = load_dataset(conn, actor, dataset_ref)
        require_editor(actor, dataset)
        position = len(dataset.resources)
        resource_id = insert_resource(
            conn, dataset_id=dataset.id, dataset_name=dataset.name, position=position, data=data
        )
        if ingest:
            enqueue_ingest(conn, resource_id=resource_id, source="url", sha256=None, created_by=actor.user_id)
        created = _load(conn, actor, resource_id)
        _touch(conn, dataset.id)
        record(
            conn,
            actor=actor,
            action="create",
            object_type="resource",
            object_id=resource_id,
            before=None,
            after=created,
        )
    return created


def get_resource(*, store: Store, actor: Actor, ref: str) -> Resource:
    with store.read() as conn:
        return _load(conn, actor, ref)


def list_resources(
    *, store: Store, actor: Actor, limit: int = 20, cursor: str | None = None
) -> Page[Resource]:
    check_limit(limit)
    joined = resources.join(datasets, datasets.c.id == resources.c.dataset_id)
    where = [LIVE_RESOURCE, visible_to(actor)]
    query = (
        sa.select(resources, datasets.c.name.label("dataset_name"))
        .select_from(joined)
        .where(*where)
        .order_by(resources.c.name)
    )
    if cursor:
        query = query.where(resources.c.name > decode_cursor(cursor))
    with store.read() as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(joined).where(*where)).scalar_one()
        rows = conn.execute(query.limit(limit + 1)).all()
    items = [resource_from_row(r, r.dataset_name) for r in rows[:limit]]
    return Page(items, total, encode_cursor(items[-1].name) if len(rows) > limit and items else None)


def replace_resource(*, store: Store, actor: Actor, ref: str, data: ResourceInput) -> Resource:
    with store.begin() as conn:
        before = _load(conn, actor, ref)
        require_editor(actor, load_dataset(conn, actor, before.dataset_id))
        name = data.name or before.name
        if (
            name != before.name
            and conn.execute(sa.select(resources.c.id).where(resources.c.name == name)).first()
        ):
            raise Conflict(
                msg("a resource named '{name}' already exists", name=name),
                errors=[FieldError("name", msg("already taken"))],
            )
        values = _columns(data, name)
        if before.upload:
            # An uploaded file's facts are measured by obert, not declared by the client.
            for key in ("byte_size", "checksum"):
                values.pop(key)
            if data.media_type is None and is_active(values["media_type"]):
                values["media_type"] = None  # suggested by the format (HTML, SVG…), not declared
            elif values["media_type"] != before.media_type:
                check_upload_media_type(values["media_type"])
        conn.execute(resources.update().where(resources.c.id == before.id).values(updated_at=now(), **values))
        after = _load(conn, actor, before.id)
        _touch(conn, before.dataset_id)
        record(
            conn,
            actor=actor,
            action="update",
            object_type="resource",
            object_id=before.id,
            before=before,
            after=after,
        )
    return after


def patch_resource(*, store: Store, actor: Actor, ref: str, patch: Mapping[str, Any]) -> Resource:
    current = get_resource(store=store, actor=actor, ref=ref)
    base = current.model_dump(mode="json", include=set(ResourceInput.model_fields))
    data = validated(ResourceInput, merge_patch(base, patch))
    return replace_resource(store=store, actor=actor, ref=current.id, data=data)


def delete_resource(*, store: Store, actor: Actor, ref: str) -> None:
    with store.begin() as conn:
        before = _load(conn, actor, ref)
        require_editor(actor, load_dataset(conn, actor, before.dataset_id))
        conn.execute(
            resources.update().where(resources.c.id == before.id).values(state="deleted", updated_at=now())
        )
        _touch(conn, before.dataset_id)
        record(
            conn,
            actor=actor,
            action="delete",
            object_type="resource",
            object_id=before.id,
            before=before,
            after=None,
        )


def attach_upload(
    *,
    store: Store,
    files: FileStore,
    actor: Actor,
    ref: str,
    filename: str,
    stream: BinaryIO,
    max_bytes: int,
    queue_ingest: bool = True,
) -> Resource:
    """Keep an uploaded file as the resource's data, measuring its size and checksum.

    A tabular file also queues its ingest into the datastore, in the same transaction; callers that
    ingest at once themselves (the CLI, the demo loader) pass ``queue_ingest=False``.
    """
    current = get_resource(store=store, actor=actor, ref=ref)
    with store.read() as conn:
        require_editor(actor, load_dataset(conn, actor, current.dataset_id))
    stored = files.save(owner_id=current.id, filename=filename, stream=stream, max_bytes=max_bytes)
    file_type = _file_type(stored.name)
    with store.begin() as conn:
        before = _load(conn, actor, current.id)
        # The format and media type that the previous file's name gave follow the new file; those a
        # publisher chose stay.
        given = _file_type(before.upload) if before.upload else None
        chosen_format = before.format if given is None or before.format != given.code else None
        chosen_media = before.media_type if given is None or before.media_type != _media(given) else None
        # A type that described a linked page, or one an .html or .js name suggests, never describes
        # an upload (obert.storage.media): the file's own type if it is data, else none.
        media_types = (chosen_media, _media(file_type))
        conn.execute(
            resources.update()
            .where(resources.c.id == current.id)
            .values(
                upload=stored.name,
                byte_size=stored.byte_size,
                checksum=f"sha256:{stored.sha256}",
                format=chosen_format or (file_type.code if file_type else None),
                media_type=next((m for m in media_types if m and not is_active(m)), None),
                updated_at=now(),
            )
        )
        after = _load(conn, actor, current.id)
        _touch(conn, current.dataset_id)
        if queue_ingest and is_tabular(stored.name):
            enqueue_ingest(
                conn, resource_id=current.id, source="upload", sha256=stored.sha256, created_by=actor.user_id
            )
        record(
            conn,
            actor=actor,
            action="upload",
            object_type="resource",
            object_id=current.id,
            before=before,
            after=after,
        )
    return after


def _file_type(filename: str) -> Concept | None:
    return file_type_for(filename.rsplit(".", 1)[-1]) if "." in filename else None


def _media(file_type: Concept | None) -> str | None:
    return file_type.extra.get("media_type") if file_type else None


def _load(conn: Connection, actor: Actor, ref: str) -> Resource:
    row = conn.execute(
        sa.select(resources, datasets.c.name.label("dataset_name"))
        .select_from(resources.join(datasets, datasets.c.id == resources.c.dataset_id))
        .where(sa.or_(resources.c.id == ref, resources.c.name == ref), LIVE_RESOURCE, visible_to(actor))
    ).first()
    if row is None:
        raise NotFound(msg("no resource '{ref}'", ref=ref))
    return resource_from_row(row, row.dataset_name)


def _columns(data: ResourceInput, name: str) -> dict[str, Any]:
    values = data.model_dump(mode="json", exclude={"name"})
    if values["format"] and not values["media_type"]:
        concept = file_type_for(values["format"])
        values["media_type"] = concept.extra.get("media_type") if concept else None
    return {"name": name, **values}


def _free_name(conn: Connection, wanted: str) -> str:
    if not conn.execute(sa.select(resources.c.id).where(resources.c.name == wanted)).first():
        return wanted
    return f"{wanted}-{uuid.uuid4().hex[:8]}"


def _touch(conn: Connection, dataset_id: str) -> None:
    conn.execute(datasets.update().where(datasets.c.id == dataset_id).values(updated_at=now()))
    refresh_index(conn, [dataset_id])  # every resource change passes here
