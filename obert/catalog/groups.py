"""Groups: thematic collections of datasets across publishers (CKAN's groups).

Site administrators create, change and delete groups; a dataset's editors file it in groups or take it
out (groups have no members of their own, so whoever may change a dataset may say which themes it
belongs to). Deleting a group is a soft delete, as for organisations: its name stays taken and its
datasets leave it, as CKAN's group_delete does.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict
from sqlalchemy.engine import Connection, Row

from obert.auth import Actor
from obert.catalog.common import merge_patch, now, record, validated
from obert.catalog.indexing import refresh_index
from obert.catalog.models import GroupInput, State, Visibility
from obert.errors import Conflict, Forbidden, NotFound, msg
from obert.storage import Store
from obert.storage.tables.catalog import dataset_groups, datasets, groups

LIVE = groups.c.state == "active"


class Group(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    name: str
    title: dict[str, str]
    description: dict[str, str]
    image_url: str | None
    created_at: datetime
    updated_at: datetime
    dataset_count: int = 0


def list_groups(*, store: Store) -> list[Group]:
    with store.read() as conn:
        rows = conn.execute(sa.select(groups).where(LIVE).order_by(groups.c.name)).all()
        counts = _public_counts(conn)
    return [_to_model(r, counts.get(r.id, 0)) for r in rows]


def get_group(*, store: Store, ref: str) -> Group:
    with store.read() as conn:
        return load_group(conn, ref)


def load_group(conn: Connection, ref: str) -> Group:
    """The live group by id or name."""
    row = conn.execute(
        sa.select(groups).where(sa.or_(groups.c.id == ref, groups.c.name == ref), LIVE)
    ).first()
    if row is None:
        raise NotFound(msg("no group '{ref}'", ref=ref))
    return _to_model(row, _public_counts(conn, row.id).get(row.id, 0))


def create_group(*, store: Store, actor: Actor, data: GroupInput) -> Group:
    _check_manage(actor)
    stamp = now()
    group_id = str(uuid.uuid4())
    with store.begin() as conn:
        _refuse_taken_name(conn, data.name)
        conn.execute(
            groups.insert().values(
                id=group_id,
                state="active",
                created_at=stamp,
                updated_at=stamp,
                **data.model_dump(mode="json"),
            )
        )
        created = load_group(conn, group_id)
        record(
            conn,
            actor=actor,
            action="create",
            object_type="group",
            object_id=created.id,
            before=None,
            after=created,
        )
    return created


def replace_group(*, store: Store, actor: Actor, ref: str, data: GroupInput) -> Group:
    _check_manage(actor)
    with store.begin() as conn:
        before = load_group(conn, ref)
        if data.name != before.name:
            _refuse_taken_name(conn, data.name)
        conn.execute(
            groups.update()
            .where(groups.c.id == before.id)
            .values(**data.model_dump(mode="json"), updated_at=now())
        )
        if data.name != before.name:
            # Package dicts name the groups a dataset is in: their metadata_modified moves with the name.
            _touch(conn, member_ids(conn, before.id))
        after = load_group(conn, before.id)
        record(
            conn,
            actor=actor,
            action="update",
            object_type="group",
            object_id=before.id,
            before=before,
            after=after,
        )
    return after


def patch_group(*, store: Store, actor: Actor, ref: str, patch: Mapping[str, Any]) -> Group:
    """Apply a JSON merge patch (RFC 7386) to the group."""
    current = get_group(store=store, ref=ref)
    base = current.model_dump(mode="json", include=set(GroupInput.model_fields))
    data = validated(GroupInput, merge_patch(base, patch))
    return replace_group(store=store, actor=actor, ref=current.id, data=data)


def delete_group(*, store: Store, actor: Actor, ref: str) -> None:
    """Soft delete: the group disappears from every listing and its datasets leave it."""
    _check_manage(actor)
    with store.begin() as conn:
        before = load_group(conn, ref)
        members = member_ids(conn, before.id)
        conn.execute(dataset_groups.delete().where(dataset_groups.c.group_id == before.id))
        _touch(conn, members)
        conn.execute(
            groups.update().where(groups.c.id == before.id).values(state="deleted", updated_at=now())
        )
        record(
            conn,
            actor=actor,
            action="delete",
            object_type="group",
            object_id=before.id,
            before=before,
            after=None,
        )


def member_ids(conn: Connection, group_id: str) -> list[str]:
    """The ids of every dataset in the group, whoever may see them (callers filter)."""
    found = conn.execute(sa.select(dataset_groups.c.dataset_id).where(dataset_groups.c.group_id == group_id))
    return sorted(str(r[0]) for r in found)


def group_names_by_dataset(conn: Connection, dataset_ids: Sequence[str]) -> dict[str, list[str]]:
    """The names of the groups each of `dataset_ids` belongs to."""
    out: dict[str, list[str]] = defaultdict(list)
    if not dataset_ids:
        return out
    for dataset_id, name in conn.execute(
        sa.select(dataset_groups.c.dataset_id, groups.c.name)
        .select_from(dataset_groups.join(groups, groups.c.id == dataset_groups.c.group_id))
        .where(dataset_groups.c.dataset_id.in_(list(dataset_ids)), LIVE)
        .order_by(groups.c.name)
    ):
        out[dataset_id].append(name)
    return out


def touch_datasets(conn: Connection, dataset_ids: Sequence[str]) -> None:
    """Move the datasets' metadata_modified: their group memberships changed (what CKAN clients see in
    package_show, harvesters' incremental runs and conditional requests rely on it)."""
    _touch(conn, dataset_ids)


def _touch(conn: Connection, dataset_ids: Sequence[str]) -> None:
    if not dataset_ids:
        return
    conn.execute(datasets.update().where(datasets.c.id.in_(list(dataset_ids))).values(updated_at=now()))
    refresh_index(conn, list(dataset_ids))


def _public_counts(conn: Connection, group_id: str | None = None) -> dict[str, int]:
    query = (
        sa.select(dataset_groups.c.group_id, sa.func.count())
        .select_from(dataset_groups.join(datasets, datasets.c.id == dataset_groups.c.dataset_id))
        .where(datasets.c.state == State.PUBLISHED.value, datasets.c.visibility == Visibility.PUBLIC.value)
        .group_by(dataset_groups.c.group_id)
    )
    if group_id is not None:
        query = query.where(dataset_groups.c.group_id == group_id)
    return {str(row[0]): int(row[1]) for row in conn.execute(query).all()}


def _refuse_taken_name(conn: Connection, name: str) -> None:
    # Deleted groups keep their names, as organisations do: links to them must not reach another group.
    if conn.execute(sa.select(groups.c.id).where(groups.c.name == name)).first():
        raise Conflict(msg("a group named '{name}' already exists", name=name))


def _check_manage(actor: Actor) -> None:
    if not (actor.can_write and actor.sysadmin):
        raise Forbidden(msg("only site administrators can create, change or delete groups"))


def _to_model(row: Row[Any], count: int) -> Group:
    return Group(
        id=row.id,
        name=row.name,
        title=row.title,
        description=row.description,
        image_url=row.image_url,
        created_at=row.created_at,
        updated_at=row.updated_at,
        dataset_count=count,
    )
