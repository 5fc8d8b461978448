"""Organisations: the publishers (foaf:Agent) datasets belong to."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from obert.auth import Actor
from obert.catalog.access import visible_to
from obert.catalog.common import (
    check_limit,
    decode_cursor,
    encode_cursor,
    merge_patch,
    now,
    record,
    validated,
)
from obert.catalog.indexing import refresh_organization
from obert.catalog.models import Organization, OrganizationInput, Page, State, Visibility
from obert.errors import Conflict, FieldError, Forbidden, Invalid, NotFound, msg
from obert.storage import Store
from obert.storage.tables.catalog import datasets, organizations

_LIVE = organizations.c.state == "active"


def create_organization(*, store: Store, actor: Actor, data: OrganizationInput) -> Organization:
    if not (actor.can_write and actor.sysadmin):
        raise Forbidden(msg("only site administrators can create organisations"))
    stamp = now()
    row = {
        "id": str(uuid.uuid4()),
        "state": "active",
        "created_at": stamp,
        "updated_at": stamp,
        **data.model_dump(mode="json"),
    }
    with store.begin() as conn:
        _refuse_taken_name(conn, data.name)
        conn.execute(organizations.insert().values(row))
        created = _load(conn, row["id"])
        record(
            conn,
            actor=actor,
            action="create",
            object_type="organization",
            object_id=created.id,
            before=None,
            after=created,
        )
    return created


def get_organization(*, store: Store, ref: str) -> Organization:
    with store.read() as conn:
        return _load(conn, ref)


def list_organizations(*, store: Store, limit: int = 20, cursor: str | None = None) -> Page[Organization]:
    check_limit(limit)
    with store.read() as conn:
        if cursor:
            query = _LIVE_BY_NAME.where(organizations.c.name > decode_cursor(cursor)).limit(limit + 1)
            rows: Sequence[Any] = conn.execute(query).all()
        else:  # the first page (the home page's list), prepared once
            rows = store.prepared(("organizations", "first"), lambda: _FIRST_LIVE).rows(conn, limit=limit + 1)
        total = store.prepared(("organizations", "count"), lambda: _LIVE_COUNT).rows(conn)[0].n
        counts = _public_counts(conn, [r.id for r in rows[:limit]])
    items = [_to_model(r, counts.get(r.id, 0)) for r in rows[:limit]]
    more = len(rows) > limit
    return Page(items, total, encode_cursor(items[-1].name) if more and items else None)


def replace_organization(*, store: Store, actor: Actor, ref: str, data: OrganizationInput) -> Organization:
    with store.begin() as conn:
        before = _load(conn, ref)
        _check_manage(actor, before.id)
        if data.name != before.name:
            _refuse_taken_name(conn, data.name)
        conn.execute(
            organizations.update()
            .where(organizations.c.id == before.id)
            .values(**data.model_dump(mode="json"), updated_at=now())
        )
        refresh_organization(conn, before.id)
        after = _load(conn, before.id)
        record(
            conn,
            actor=actor,
            action="update",
            object_type="organization",
            object_id=before.id,
            before=before,
            after=after,
        )
    return after


def patch_organization(*, store: Store, actor: Actor, ref: str, patch: Mapping[str, Any]) -> Organization:
    current = get_organization(store=store, ref=ref)
    base = current.model_dump(mode="json", include=set(OrganizationInput.model_fields))
    data = validated(OrganizationInput, merge_patch(base, patch))
    return replace_organization(store=store, actor=actor, ref=current.id, data=data)


def delete_organization(*, store: Store, actor: Actor, ref: str) -> None:
    with store.begin() as conn:
        before = _load(conn, ref)
        _check_manage(actor, before.id)
        in_use = conn.execute(
            sa.select(sa.func.count())
            .select_from(datasets)
            .where(datasets.c.organization_id == before.id, datasets.c.state != State.DELETED.value)
        ).scalar_one()
        if in_use:
            raise Conflict(
                msg(
                    "the organisation still publishes {in_use} dataset(s): move or delete them first",
                    in_use=in_use,
                )
            )
        conn.execute(
            organizations.update()
            .where(organizations.c.id == before.id)
            .values(state="deleted", updated_at=now())
        )
        record(
            conn,
            actor=actor,
            action="delete",
            object_type="organization",
            object_id=before.id,
            before=before,
            after=None,
        )


def editable_organization_id(conn: Connection, actor: Actor, ref: str | None, *, what: str) -> str | None:
    """The id of organisation `ref`, in which `actor` is about to create or move `what` (a dataset, a
    harvest source): unknown ones are a field error, and only its editors may; only site administrators
    may leave it out (None)."""
    if ref is None:
        if not actor.sysadmin:
            raise Invalid(
                msg("a publisher is needed"),
                errors=[FieldError("organization", msg("give the id or name of your organisation"))],
            )
        return None
    try:
        org_id = resolve_organization_id(conn, ref)
    except NotFound:
        raise Invalid(
            msg("unknown publisher"),
            errors=[FieldError("organization", msg("no organisation '{ref}'", ref=ref))],
        ) from None
    if not actor.can_edit_in(org_id):
        raise Forbidden(msg("you are not an editor of that organisation"))
    return org_id


def resolve_organization_id(conn: Connection, ref: str) -> str:
    """The id of organisation `ref` (id or name), without counting its datasets as `_load` does: every
    dataset written names its publisher, and that count grows with the catalogue."""
    org_id = conn.execute(sa.select(organizations.c.id).where(_named(ref), _LIVE)).scalar()
    if org_id is None:
        raise NotFound(msg("no organisation '{ref}'", ref=ref))
    return str(org_id)


def _named(ref: str) -> sa.ColumnElement[bool]:
    return sa.or_(organizations.c.id == ref, organizations.c.name == ref)


def organizations_by_id(*, store: Store, ids: Collection[str]) -> dict[str, Organization]:
    """The live organisations of these ids (those of a page of datasets), by id."""
    if not ids:
        return {}
    with store.read() as conn:
        rows = conn.execute(sa.select(organizations).where(organizations.c.id.in_(list(ids)), _LIVE)).all()
        counts = _public_counts(conn, [r.id for r in rows])
    return {r.id: _to_model(r, counts.get(r.id, 0)) for r in rows}


def _load(conn: Connection, ref: str) -> Organization:
    row = conn.execute(sa.select(organizations).where(_named(ref), _LIVE)).first()
    if row is None:
        raise NotFound(msg("no organisation '{ref}'", ref=ref))
    return _to_model(row, _public_counts(conn, [row.id]).get(row.id, 0))


# Built once: a list of publishers (the home page's) asks them at each view.
_LIVE_BY_NAME = sa.select(organizations).where(_LIVE).order_by(organizations.c.name)
_FIRST_LIVE = _LIVE_BY_NAME.limit(sa.bindparam("limit", type_=sa.Integer()))
_LIVE_COUNT = sa.select(sa.func.count().label("n")).select_from(organizations).where(_LIVE)
_PUBLIC_COUNTS = (
    sa.select(datasets.c.organization_id, sa.func.count())
    .where(
        datasets.c.organization_id.in_(sa.bindparam("ids", expanding=True)),
        datasets.c.state == State.PUBLISHED.value,
        datasets.c.visibility == Visibility.PUBLIC.value,
    )
    .group_by(datasets.c.organization_id)
)


def _public_counts(conn: Connection, ids: list[str]) -> dict[str, int]:
    if not ids:
        return {}
    return dict(conn.execute(_PUBLIC_COUNTS, {"ids": ids}).all())


def _refuse_taken_name(conn: Connection, name: str) -> None:
    if conn.execute(sa.select(organizations.c.id).where(organizations.c.name == name)).first():
        raise Conflict(msg("an organisation named '{name}' already exists", name=name))


def _check_manage(actor: Actor, organization_id: str) -> None:
    if not actor.can_manage(organization_id):
        raise Forbidden(msg("only the organisation's administrators can change it"))


def _to_model(row: Row[Any], dataset_count: int) -> Organization:
    return Organization(
        id=row.id,
        name=row.name,
        title=row.title,
        description=row.description,
        homepage=row.homepage,
        email=row.email,
        identifier=row.identifier,
        image_url=row.image_url,
        created_at=row.created_at,
        updated_at=row.updated_at,
        dataset_count=dataset_count,
    )


def organization_dataset_ids(*, store: Store, actor: Actor, ref: str) -> list[str]:
    """The ids of the organisation's datasets `actor` may see."""
    with store.read() as conn:
        org = _load(conn, ref)
        rows = conn.execute(
            sa.select(datasets.c.id)
            .where(datasets.c.organization_id == org.id, visible_to(actor))
            .order_by(datasets.c.name)
        )
        return [str(r[0]) for r in rows]
