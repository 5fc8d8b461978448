"""Who may see and change which datasets, as SQL conditions and checks shared by every service."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from obert.auth import Actor
from obert.catalog.models import Dataset, State, Visibility
from obert.catalog.rows import datasets_from_rows
from obert.errors import Forbidden, NotFound, Unauthorized, msg
from obert.storage import Store
from obert.storage.prepared import Prepared
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


def shared_view(actor: Actor) -> bool | None:
    """Which visibility rule (`visible_to`) `actor` shares with other callers, as a key for statements
    built once: False for the public's (every caller without roles), True for every sysadmin's; None
    when the rule follows the actor's own organisations (a statement for it alone)."""
    if actor.sysadmin:
        return True
    return None if actor.roles else False


_SHARED: dict[tuple[Hashable, bool], Any] = {}
S = TypeVar("S")
Build = Callable[[ColumnElement[bool]], S]


def for_viewer(actor: Actor, name: Hashable, build: Build[S]) -> S:
    """`build(visible_to(actor))`: a statement that filters by what `actor` may see. Building one costs
    SQLAlchemy more than running it; a rule shared by many callers (`shared_view`) has its statement
    built once under `name` (which must name everything else that shapes the statement); an
    organisation's member's is built each time."""
    shared = shared_view(actor)
    if shared is None:
        return build(visible_to(actor))
    key = (name, shared)
    found = _SHARED.get(key)
    if found is None:
        found = _SHARED.setdefault(key, build(visible_to(actor)))
    return cast(S, found)


def prepared_for_viewer(
    store: Store, actor: Actor, name: Hashable, build: Build[sa.Select[Any]]
) -> Prepared | None:
    """`for_viewer`'s statement prepared once for `store` and run on the driver (obert.storage.prepared),
    for a shared rule; None for an organisation member's (its rule's IN list cannot be prepared)."""
    shared = shared_view(actor)
    if shared is None:
        return None
    return store.prepared((name, shared), lambda: build(visible_to(actor)))


def load_dataset(conn: Connection, actor: Actor, ref: str) -> Dataset:
    """The dataset by id or name; NotFound also when it exists but `actor` may not see it."""
    row = conn.execute(for_viewer(actor, "dataset_by_ref", _dataset_by_ref), {"ref": ref}).first()
    if row is None:
        raise NotFound(msg("no dataset '{ref}'", ref=ref))
    return datasets_from_rows(conn, [row])[0]


def _dataset_by_ref(visible: ColumnElement[bool]) -> sa.Select[Any]:
    ref = sa.bindparam("ref", type_=sa.String())
    return sa.select(datasets).where(sa.or_(datasets.c.id == ref, datasets.c.name == ref), visible)


def require_writer(actor: Actor) -> None:
    if not actor.authenticated:
        raise Unauthorized(msg("send an API token to change the catalogue"))
    if not actor.can_write:
        raise Forbidden(msg("this token is read-only"))


def require_editor(actor: Actor, dataset: Dataset) -> None:
    require_writer(actor)
    if not actor.can_edit_in(dataset.organization.id if dataset.organization else None):
        raise Forbidden(msg("you are not an editor of this dataset's organisation"))
