"""Groups: thematic collections of datasets across publishers (CKAN's groups), read-only for now."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict
from sqlalchemy.engine import Connection, Row

from obert.catalog.models import State, Visibility
from obert.errors import NotFound
from obert.storage import Store
from obert.storage.tables.catalog import dataset_groups, datasets, groups


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
        rows = conn.execute(sa.select(groups).order_by(groups.c.name)).all()
        counts = _public_counts(conn)
    return [_to_model(r, counts.get(r.id, 0)) for r in rows]


def get_group(*, store: Store, ref: str) -> Group:
    with store.read() as conn:
        row = conn.execute(sa.select(groups).where(sa.or_(groups.c.id == ref, groups.c.name == ref))).first()
        if row is None:
            raise NotFound(f"no group '{ref}'")
        return _to_model(row, _public_counts(conn).get(row.id, 0))


def group_names_by_dataset(conn: Connection, dataset_ids: Sequence[str]) -> dict[str, list[str]]:
    """The names of the groups each of `dataset_ids` belongs to."""
    out: dict[str, list[str]] = defaultdict(list)
    if not dataset_ids:
        return out
    for dataset_id, name in conn.execute(
        sa.select(dataset_groups.c.dataset_id, groups.c.name)
        .select_from(dataset_groups.join(groups, groups.c.id == dataset_groups.c.group_id))
        .where(dataset_groups.c.dataset_id.in_(list(dataset_ids)))
        .order_by(groups.c.name)
    ):
        out[dataset_id].append(name)
    return out


def _public_counts(conn: Connection) -> dict[str, int]:
    rows = conn.execute(
        sa.select(dataset_groups.c.group_id, sa.func.count())
        .select_from(dataset_groups.join(datasets, datasets.c.id == dataset_groups.c.dataset_id))
        .where(datasets.c.state == State.PUBLISHED.value, datasets.c.visibility == Visibility.PUBLIC.value)
        .group_by(dataset_groups.c.group_id)
    ).all()
    return {str(row[0]): int(row[1]) for row in rows}


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
