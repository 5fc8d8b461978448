"""What a dataset's answers are made of, summed up cheaply: a validator (ETag) and a Last-Modified for
the faces' dataset and resource reads, so a conditional request is answered 304 without building the
answer.

A dataset's answer (native or CKAN) shows its own row, its resources, the table versions behind their
links, its publisher's name and its groups' names, as one caller may see them; the validator digests the
timestamps and states of exactly those rows and who the caller is, so it changes whenever the answer can.
Answers made by another release of obert may differ in shape: its version is part of the digest too.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from obert.auth import Actor
from obert.catalog.access import visible_to
from obert.catalog.rows import LIVE_RESOURCE
from obert.storage import Store
from obert.storage.tables.catalog import dataset_groups, datasets, groups, organizations, resources
from obert.storage.tables.datastore import datastore_tables, resource_versions

try:
    _RELEASE = metadata.version("obert")
except metadata.PackageNotFoundError:  # a source checkout that was never installed
    _RELEASE = "source"


@dataclass(frozen=True, slots=True)
class Revision:
    etag: str  # a weak validator: the same rows give the same answer, byte for byte or not
    modified: datetime


def dataset_revision(*, store: Store, actor: Actor, ref: str) -> Revision | None:
    """The revision of dataset `ref` (id or name) as `actor` sees it; None when `actor` may not see it
    (the read itself then says why)."""
    with store.read() as conn:
        row = conn.execute(
            sa.select(datasets.c.id, datasets.c.updated_at, datasets.c.organization_id).where(
                sa.or_(datasets.c.id == ref, datasets.c.name == ref), visible_to(actor)
            )
        ).first()
        return None if row is None else _revision(conn, actor, row.id, row.updated_at, row.organization_id)


def resource_revision(*, store: Store, actor: Actor, ref: str) -> Revision | None:
    """The revision of the dataset resource `ref` (id or name) belongs to: its answer is made of the same
    rows (its links depend on the dataset's publisher and the caller)."""
    with store.read() as conn:
        row = conn.execute(
            sa.select(datasets.c.id, datasets.c.updated_at, datasets.c.organization_id)
            .join(resources, resources.c.dataset_id == datasets.c.id)
            .where(sa.or_(resources.c.id == ref, resources.c.name == ref), LIVE_RESOURCE, visible_to(actor))
        ).first()
        return None if row is None else _revision(conn, actor, row.id, row.updated_at, row.organization_id)


def _revision(
    conn: Connection, actor: Actor, dataset_id: str, updated: datetime, organization_id: str | None
) -> Revision:
    digest = hashlib.blake2b(digest_size=16)
    stamps = [updated]

    def add(*parts: object) -> None:
        digest.update(repr(parts).encode())

    add(
        _RELEASE, dataset_id, updated, actor.user_id, actor.sysadmin, actor.scope, sorted(actor.roles.items())
    )
    owned = conn.execute(
        sa.select(resources.c.id, resources.c.state, resources.c.updated_at)
        .where(resources.c.dataset_id == dataset_id)
        .order_by(resources.c.id)
    ).all()
    ids = [r.id for r in owned]
    for r in owned:
        add(r.id, r.state, r.updated_at)
        stamps.append(r.updated_at)
    if ids:
        for v in conn.execute(
            sa.select(resource_versions.c.id, resource_versions.c.state, resource_versions.c.created_at)
            .where(resource_versions.c.resource_id.in_(ids))
            .order_by(resource_versions.c.id)
        ):
            add(v.id, v.state)
            stamps.append(v.created_at)
        for t in conn.execute(
            sa.select(
                datastore_tables.c.resource_id,
                datastore_tables.c.current_version_id,
                datastore_tables.c.updated_at,
            )
            .where(datastore_tables.c.resource_id.in_(ids))
            .order_by(datastore_tables.c.resource_id)
        ):
            add(t.resource_id, t.current_version_id, t.updated_at)
            stamps.append(t.updated_at)
    if organization_id:
        org = conn.execute(
            sa.select(organizations.c.updated_at).where(organizations.c.id == organization_id)
        ).scalar()
        add(organization_id, org)
        if org is not None:
            stamps.append(org)
    for g in conn.execute(
        sa.select(groups.c.id, groups.c.state, groups.c.updated_at)
        .join(dataset_groups, dataset_groups.c.group_id == groups.c.id)
        .where(dataset_groups.c.dataset_id == dataset_id)
        .order_by(groups.c.id)
    ):
        add(g.id, g.state, g.updated_at)
        stamps.append(g.updated_at)
    return Revision(etag=f'W/"{digest.hexdigest()}"', modified=max(stamps))
