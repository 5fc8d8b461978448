"""Datasets (dcat:Dataset): create, read, list, replace, patch, delete, with who may see and change what."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from obert.auth import Actor
from obert.catalog.access import load_dataset, prepared_for_viewer, require_editor, require_writer, visible_to
from obert.catalog.browse import has_theme
from obert.catalog.common import (
    check_limit,
    decode_cursor,
    encode_cursor,
    merge_patch,
    now,
    record,
    record_many,
    validated,
)
from obert.catalog.indexing import refresh_index
from obert.catalog.models import Dataset, DatasetInput, Page, State
from obert.catalog.organizations import editable_organization_id, resolve_organization_id
from obert.catalog.resources import insert_resource, insert_resources
from obert.catalog.rows import datasets_from_rows
from obert.catalog.workflow import DEFAULT_POLICY, WorkflowPolicy, guard_state
from obert.errors import Conflict, FieldError, Invalid, msg
from obert.storage import Store
from obert.storage.ids import new_id
from obert.storage.tables.catalog import datasets


def create_dataset(
    *, store: Store, actor: Actor, data: DatasetInput, policy: WorkflowPolicy = DEFAULT_POLICY
) -> Dataset:
    require_writer(actor)
    stamp = now()
    dataset_id = new_id()
    with store.begin() as conn:
        org_id = editable_organization_id(conn, actor, data.organization, what="a dataset")
        guard_state(conn, actor=actor, organization_id=org_id, before=None, after=data.state, policy=policy)
        if conn.execute(sa.select(datasets.c.id).where(datasets.c.name == data.name)).first():
            raise Conflict(
                msg("a dataset named '{name}' already exists", name=data.name),
                errors=[FieldError("name", msg("already taken"))],
            )
        conn.execute(
            datasets.insert().values(
                id=dataset_id,
                organization_id=org_id,
                created_by=actor.user_id,
                created_at=stamp,
                updated_at=stamp,
                **_columns(data),
            )
        )
        for position, res in enumerate(data.resources):
            insert_resource(conn, dataset_id=dataset_id, dataset_name=data.name, position=position, data=res)
        refresh_index(conn, [dataset_id])
        created = load_dataset(conn, actor, dataset_id)
        record(
            conn,
            actor=actor,
            action="create",
            object_type="dataset",
            object_id=dataset_id,
            before=None,
            after=created,
        )
    return created


def create_datasets(
    *,
    store: Store,
    actor: Actor,
    items: Sequence[DatasetInput],
    then: Callable[[Connection, list[Dataset]], None] | None = None,
) -> list[Dataset]:
    """Create many datasets in one transaction with a statement per table, not per row (harvests of
    thousands). All or nothing: a taken name or a refused publisher raises and creates none. `then`
    runs inside the same transaction, so a caller's own rows (harvest links) commit with them."""
    require_writer(actor)
    if not items:
        return []
    names = [d.name for d in items]
    if len(set(names)) != len(names):
        raise Conflict(
            msg("two datasets in one batch have the same name"), errors=[FieldError("name", msg("repeated"))]
        )
    stamp = now()
    with store.begin() as conn:
        taken = conn.execute(sa.select(datasets.c.name).where(datasets.c.name.in_(names))).scalars().all()
        if taken:
            raise Conflict(
                msg("a dataset named '{taken}' already exists", taken=taken[0]),
                errors=[FieldError("name", msg("already taken"))],
            )
        orgs = {
            ref: editable_organization_id(conn, actor, ref, what="a dataset")
            for ref in {d.organization for d in items}
        }
        ids = [new_id() for _ in items]
        conn.execute(
            datasets.insert(),
            [
                {
                    "id": dataset_id,
                    "organization_id": orgs[data.organization],
                    "created_by": actor.user_id,
                    "created_at": stamp,
                    "updated_at": stamp,
                    **_columns(data),
                }
                for dataset_id, data in zip(ids, items, strict=True)
            ],
        )
        insert_resources(conn, [(i, d.name, d.resources) for i, d in zip(ids, items, strict=True)])
        rows = conn.execute(sa.select(datasets).where(datasets.c.id.in_(ids))).all()
        by_id = {d.id: d for d in datasets_from_rows(conn, rows)}
        created = [by_id[i] for i in ids]
        record_many(conn, actor=actor, action="create", object_type="dataset", objects=created)
        refresh_index(conn, ids)
        if then:
            then(conn, created)
    return created


def get_dataset(*, store: Store, actor: Actor, ref: str) -> Dataset:
    """The dataset by id or name; NotFound also when it exists but `actor` may not see it."""
    with store.read() as conn:
        return load_dataset(conn, actor, ref)


def count_datasets(*, store: Store, actor: Actor) -> int:
    """How many datasets `actor` may see (what `list_datasets(...).count` says, without loading one)."""

    def count(visible: ColumnElement[bool]) -> sa.Select[Any]:
        return sa.select(sa.func.count().label("n")).select_from(datasets).where(visible)

    # The public's (or every sysadmin's) count is prepared once: the home page asks it at each view.
    prepared = prepared_for_viewer(store, actor, "count_datasets", count)
    with store.read() as conn:
        if prepared is None:
            return int(conn.execute(count(visible_to(actor))).scalar_one())
        return int(prepared.rows(conn)[0].n)


def list_datasets(
    *,
    store: Store,
    actor: Actor,
    limit: int = 20,
    cursor: str | None = None,
    organization: str | None = None,
    theme: str | None = None,
) -> Page[Dataset]:
    check_limit(limit)
    where = [visible_to(actor)]
    if theme:
        where.append(has_theme(theme))
    with store.read() as conn:
        if organization:
            where.append(datasets.c.organization_id == resolve_organization_id(conn, organization))
        total = conn.execute(sa.select(sa.func.count()).select_from(datasets).where(*where)).scalar_one()
        query = sa.select(datasets).where(*where).order_by(datasets.c.name)
        if cursor:
            query = query.where(datasets.c.name > decode_cursor(cursor))
        rows = conn.execute(query.limit(limit + 1)).all()
        items = datasets_from_rows(conn, rows[:limit])
    more = len(rows) > limit
    return Page(items, total, encode_cursor(items[-1].name) if more and items else None)


def replace_dataset(
    *, store: Store, actor: Actor, ref: str, data: DatasetInput, policy: WorkflowPolicy = DEFAULT_POLICY
) -> Dataset:
    """Replace every metadata field (resources are managed on their own and stay as they are)."""
    require_writer(actor)
    with store.begin() as conn:
        before = load_dataset(conn, actor, ref)
        require_editor(actor, before)
        org_id = editable_organization_id(conn, actor, data.organization, what="a dataset")
        guard_state(
            conn, actor=actor, organization_id=org_id, before=before.state, after=data.state, policy=policy
        )
        if (
            data.name != before.name
            and conn.execute(sa.select(datasets.c.id).where(datasets.c.name == data.name)).first()
        ):
            raise Conflict(
                msg("a dataset named '{name}' already exists", name=data.name),
                errors=[FieldError("name", msg("already taken"))],
            )
        conn.execute(
            datasets.update()
            .where(datasets.c.id == before.id)
            .values(organization_id=org_id, updated_at=now(), **_columns(data))
        )
        refresh_index(conn, [before.id])
        after = load_dataset(conn, actor, before.id)
        record(
            conn,
            actor=actor,
            action="update",
            object_type="dataset",
            object_id=before.id,
            before=before,
            after=after,
        )
    return after


def patch_dataset(
    *, store: Store, actor: Actor, ref: str, patch: Mapping[str, Any], policy: WorkflowPolicy = DEFAULT_POLICY
) -> Dataset:
    """Apply a JSON merge patch (RFC 7386) to the dataset's metadata."""
    if "resources" in patch:
        raise Invalid(
            msg("resources are changed through their own endpoints"),
            errors=[FieldError("resources", msg("not allowed in a dataset patch"))],
        )
    current = get_dataset(store=store, actor=actor, ref=ref)
    data = validated(DatasetInput, merge_patch(current.as_input(), patch))
    return replace_dataset(store=store, actor=actor, ref=current.id, data=data, policy=policy)


def delete_dataset(*, store: Store, actor: Actor, ref: str) -> None:
    """Soft delete: the dataset disappears from every listing; a site administrator can purge it."""
    require_writer(actor)
    with store.begin() as conn:
        before = load_dataset(conn, actor, ref)
        require_editor(actor, before)
        conn.execute(
            datasets.update()
            .where(datasets.c.id == before.id)
            .values(state=State.DELETED.value, updated_at=now())
        )
        refresh_index(conn, [before.id])
        record(
            conn,
            actor=actor,
            action="delete",
            object_type="dataset",
            object_id=before.id,
            before=before,
            after=None,
        )


def _columns(data: DatasetInput) -> dict[str, Any]:
    return data.model_dump(mode="json", exclude={"organization", "resources"})
