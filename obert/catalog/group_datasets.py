"""Which datasets are in which groups: filing a dataset in a group, taking it out, or giving the whole list
of its groups (CKAN's `groups` in package_update). Whoever may edit a dataset may do it; every change
moves the dataset's metadata_modified and is written to the activity log."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict
from sqlalchemy.engine import Connection

from obert.auth import Actor
from obert.catalog.access import load_dataset, require_editor, visible_to
from obert.catalog.common import record
from obert.catalog.groups import Group, load_group, touch_datasets
from obert.errors import FieldError, Invalid, NotFound, msg
from obert.storage import Store
from obert.storage.tables.catalog import dataset_groups, datasets


class Membership(BaseModel):
    """A dataset in a group, as the activity log keeps it."""

    model_config = ConfigDict(frozen=True)
    group_id: str
    group_name: str
    dataset_id: str


def add_to_group(*, store: Store, actor: Actor, group_ref: str, dataset_ref: str) -> Membership:
    """File the dataset in the group (nothing changes when it is there already)."""
    with store.begin() as conn:
        group = load_group(conn, group_ref)
        dataset = load_dataset(conn, actor, dataset_ref)
        require_editor(actor, dataset)
        _change(conn, actor, dataset.id, add=[group], remove=[])
    return Membership(group_id=group.id, group_name=group.name, dataset_id=dataset.id)


def remove_from_group(*, store: Store, actor: Actor, group_ref: str, dataset_ref: str) -> None:
    """Take the dataset out of the group (nothing changes when it is not in it)."""
    with store.begin() as conn:
        group = load_group(conn, group_ref)
        dataset = load_dataset(conn, actor, dataset_ref)
        require_editor(actor, dataset)
        _change(conn, actor, dataset.id, add=[], remove=[group])


def set_dataset_groups(*, store: Store, actor: Actor, dataset_ref: str, group_refs: Sequence[str]) -> None:
    """Make the dataset's groups exactly `group_refs` (ids or names); an unknown one changes nothing."""
    with store.begin() as conn:
        dataset = load_dataset(conn, actor, dataset_ref)
        require_editor(actor, dataset)
        wanted = {g.id: g for g in resolve_groups(conn, group_refs)}
        current = set(_group_ids(conn, dataset.id))
        add = [g for gid, g in wanted.items() if gid not in current]
        remove = [load_group(conn, gid) for gid in sorted(current - set(wanted))]
        _change(conn, actor, dataset.id, add=add, remove=remove)


def resolve_groups(conn: Connection, refs: Sequence[str]) -> list[Group]:
    """The live groups named by `refs`; an unknown one is a field error on `groups`."""
    found = []
    for ref in dict.fromkeys(refs):
        try:
            found.append(load_group(conn, ref))
        except NotFound:
            raise Invalid(
                msg("unknown group"), errors=[FieldError("groups", msg("no group '{ref}'", ref=ref))]
            ) from None
    return found


def check_groups(*, store: Store, refs: Sequence[str]) -> None:
    """Refuse unknown groups before anything is written (a dataset created without its groups would
    be half a change)."""
    with store.read() as conn:
        resolve_groups(conn, refs)


def group_dataset_ids(*, store: Store, actor: Actor, ref: str) -> list[str]:
    """The ids of the group's datasets `actor` may see."""
    with store.read() as conn:
        return _visible_members(conn, actor, load_group(conn, ref).id)


def _visible_members(conn: Connection, actor: Actor, group_id: str) -> list[str]:
    rows = conn.execute(
        sa.select(datasets.c.id)
        .join(dataset_groups, dataset_groups.c.dataset_id == datasets.c.id)
        .where(dataset_groups.c.group_id == group_id, visible_to(actor))
        .order_by(datasets.c.name)
    )
    return [str(r[0]) for r in rows]


def check_datasets(*, store: Store, actor: Actor, refs: Sequence[str]) -> None:
    """Refuse datasets `actor` cannot see before anything is written."""
    with store.read() as conn:
        _resolve_datasets(conn, actor, refs)


def _resolve_datasets(conn: Connection, actor: Actor, refs: Sequence[str]) -> list[str]:
    found = []
    for ref in dict.fromkeys(refs):
        try:
            found.append(load_dataset(conn, actor, ref).id)
        except NotFound:
            raise Invalid(
                msg("unknown dataset"), errors=[FieldError("packages", msg("no dataset '{ref}'", ref=ref))]
            ) from None
    return found


def _group_ids(conn: Connection, dataset_id: str) -> list[str]:
    rows = conn.execute(sa.select(dataset_groups.c.group_id).where(dataset_groups.c.dataset_id == dataset_id))
    return [str(r[0]) for r in rows]


def _change(
    conn: Connection, actor: Actor, dataset_id: str, *, add: list[Group], remove: list[Group]
) -> None:
    current = set(_group_ids(conn, dataset_id))
    add = [g for g in add if g.id not in current]
    remove = [g for g in remove if g.id in current]
    for group in add:
        conn.execute(dataset_groups.insert().values(dataset_id=dataset_id, group_id=group.id))
    if remove:
        conn.execute(
            dataset_groups.delete().where(
                dataset_groups.c.dataset_id == dataset_id,
                dataset_groups.c.group_id.in_([g.id for g in remove]),
            )
        )
    if not (add or remove):
        return
    touch_datasets(conn, [dataset_id])
    for group, action in [(g, "add-dataset") for g in add] + [(g, "remove-dataset") for g in remove]:
        membership = Membership(group_id=group.id, group_name=group.name, dataset_id=dataset_id)
        record(
            conn,
            actor=actor,
            action=action,
            object_type="group",
            object_id=group.id,
            before=membership if action == "remove-dataset" else None,
            after=membership if action == "add-dataset" else None,
        )


def set_group_datasets(*, store: Store, actor: Actor, group_ref: str, dataset_refs: Sequence[str]) -> None:
    """Make the group's datasets exactly `dataset_refs` (CKAN's `packages` in group_update); each one
    added or taken out needs its editor, and an unknown one changes nothing."""
    with store.begin() as conn:
        group = load_group(conn, group_ref)
        wanted = set(_resolve_datasets(conn, actor, dataset_refs))
        # Datasets the caller cannot see stay: they were not in the list it saw, so not left out of it.
        current = set(_visible_members(conn, actor, group.id))
        for dataset_id in sorted(set(wanted) ^ current):
            dataset = load_dataset(conn, actor, dataset_id)
            require_editor(actor, dataset)
            in_group = dataset_id in wanted
            _change(
                conn, actor, dataset_id, add=[group] if in_group else [], remove=[] if in_group else [group]
            )
