"""Who may see and change which datasets, as SQL conditions and checks shared by every service."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from obert.auth import Actor
from obert.catalog.models import Dataset, State, Visibility
from obert.catalog.rows import datasets_from_rows
from obert.errors import Forbidden, NotFound, Unauthorized, msg
from obert.storage.tables.catalog import datasets

NOT_DELETED = datasets.c.state != State.DELETED.value


def visible_to(actor: Actor) -> ColumnElement[bool]:
    """The SQL condition for the datasets `actor` may see: public ones, plus its organisations' others."""
    public = sa.and_(
        datasets.c.state == State.PUBLISHED.value, datasets.c.visibility == Visibility.PUBLIC.value
    )
    if actor.sysadmin:
        return NOT_DELETED
    if actor.roles:
        return sa.and_(
            NOT_DELETED, sa.or_(public, datasets.c.organization_id.in_(actor.visible_organizations))
        )
    return public


def load_dataset(conn: Connection, actor: Actor, ref: str) -> Dataset:
    """The dataset by id or name; NotFound also when it exists but `actor` may not see it."""
    row = conn.execute(
        sa.select(datasets).where(sa.or_(datasets.c.id == ref, datasets.c.name == ref), visible_to(actor))
    ).first()
    if row is None:
        raise NotFound(msg("no dataset '{ref}'", ref=ref))
    return datasets_from_rows(conn, [row])[0]


def require_writer(actor: Actor) -> None:
    if not actor.authenticated:
        raise Unauthorized(msg("send an API token to change the catalogue"))
    if not actor.can_write:
        raise Forbidden(msg("this token is read-only"))


def require_editor(actor: Actor, dataset: Dataset) -> None:
    require_writer(actor)
    if not actor.can_edit_in(dataset.organization.id if dataset.organization else None):
        raise Forbidden(msg("you are not an editor of this dataset's organisation"))
