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
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

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
            _DATASET.where(sa.or_(datasets.c.id == ref, datasets.c.name == ref), visible_to(actor))
        ).first()
        return None if row is None else _revision(conn, actor, row)


def resource_revision(*, store: Store, actor: Actor, ref: str) -> Revision | None:
    """The revision of the dataset resource `ref` (id or name) belongs to: its answer is made of the same
    rows (its links depend on the dataset's publisher and the caller)."""
    with store.read() as conn:
        row = conn.execute(
            _DATASET.join_from(datasets, resources, resources.c.dataset_id == datasets.c.id).where(
                sa.or_(resources.c.id == ref, resources.c.name == ref), LIVE_RESOURCE, visible_to(actor)
            )
        ).first()
        return None if row is None else _revision(conn, actor, row)


# The dataset's row and its publisher's, in one query.
_DATASET = sa.select(
    datasets.c.id,
    datasets.c.updated_at,
    datasets.c.organization_id,
    organizations.c.updated_at.label("org_at"),
).outerjoin_from(datasets, organizations, organizations.c.id == datasets.c.organization_id)


def _revision(conn: Connection, actor: Actor, row: Row[Any, Any, Any, Any]) -> Revision:
    digest = hashlib.blake2b(digest_size=16)
    stamps = [row.updated_at] + ([row.org_at] if row.org_at is not None else [])

    def add(*parts: object) -> None:
        digest.update(repr(parts).encode())

    add(_RELEASE, actor.user_id, actor.sysadmin, actor.scope, sorted(actor.roles.items()))
    add(row.id, row.updated_at, row.organization_id, row.org_at)
    # Each resource with each of its versions and the version its table serves, in one query.
    for r in conn.execute(
        sa.select(
            resources.c.id,
            resources.c.state,
            resources.c.updated_at,
            resource_versions.c.id.label("version"),
            resource_versions.c.state.label("version_state"),
            resource_versions.c.created_at.label("version_at"),
            datastore_tables.c.current_version_id,
            datastore_tables.c.updated_at.label("table_at"),
        )
        .select_from(resources)
        .outerjoin(resource_versions, resource_versions.c.resource_id == resources.c.id)
        .outerjoin(datastore_tables, datastore_tables.c.resource_id == resources.c.id)
        .where(resources.c.dataset_id == row.id)
        .order_by(resources.c.id, resource_versions.c.id)
    ):
        add(*r)
        stamps += [t for t in (r.updated_at, r.version_at, r.table_at) if t is not None]
    for g in conn.execute(
        sa.select(groups.c.id, groups.c.state, groups.c.updated_at)
        .join(dataset_groups, dataset_groups.c.group_id == groups.c.id)
        .where(dataset_groups.c.dataset_id == row.id)
        .order_by(groups.c.id)
    ):
        add(*g)
        stamps.append(g.updated_at)
    return Revision(etag=f'W/"{digest.hexdigest()}"', modified=max(stamps))
