"""A table's versions as people read them: when, by whom (or which harvest), size, state, column changes.

The resource page and ``GET /api/v1/datastore/{resource}/versions`` both read it, so they list the same
versions to the same people (held versions only to the dataset's editors)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from obert.auth import SYSTEM, Actor
from obert.catalog.access import load_dataset
from obert.catalog.models import Dataset, Resource
from obert.catalog.resources import get_resource
from obert.storage import Store
from obert.storage.tables.catalog import users
from obert.tableservice.gate import SCHEMA_CHANGE
from obert.tableservice.schema_diff import changes_json, columns_of, compare_columns
from obert.tableservice.versions import (
    HELD,
    READY,
    UNPUBLISHED,
    KeptPart,
    Version,
    kept_parts,
    list_versions,
    pending_holds,
    report_key,
)

PUBLISHED = "published"


@dataclass(frozen=True, slots=True)
class VersionEntry:
    version: Version
    state: str  # "published" (served now), "superseded" or "held"
    author: str | None  # the account that made it, by its full name or account name
    harvest: str | None  # the harvest source that made it, when a harvest did
    columns: int
    holds: tuple[str, ...]  # reasons a held version still waits for
    # Against the version listed before it (for a held one: the version served when it was ingested).
    schema_changes: list[dict[str, Any]]
    # Why the file it was read from is kept from the public (shown to the dataset's editors only).
    kept: list[KeptPart]


@dataclass(frozen=True, slots=True)
class History:
    resource: Resource
    entries: list[VersionEntry]  # newest first
    editor: bool  # the caller may edit the dataset (and so sees held versions)


def version_history(*, store: Store, actor: Actor, ref: str) -> History:
    """The versions of resource `ref` that `actor` may see, newest first."""
    resource = get_resource(store=store, actor=actor, ref=ref)
    with store.read() as conn:
        dataset = load_dataset(conn, actor, resource.dataset_id)
    return history_of(store=store, actor=actor, resource=resource, dataset=dataset)


def history_of(*, store: Store, actor: Actor, resource: Resource, dataset: Dataset) -> History:
    """The versions of `resource` (of `dataset`, both as loaded for `actor`, which decided that the
    actor may see them) that `actor` may see, newest first: a page that has loaded both already does not
    load them again."""
    if resource.dataset_id != dataset.id:
        raise ValueError("the resource is not of this dataset")
    with store.read() as conn:
        found = list_versions(conn, resource.id)
        ids = {v.created_by for v in found if v.created_by and v.created_by != SYSTEM.user_id}
        names = (
            {
                r.id: r.fullname or r.name
                for r in conn.execute(
                    sa.select(users.c.id, users.c.name, users.c.fullname).where(users.c.id.in_(ids))
                )
            }
            if ids
            else {}
        )
    editor = actor.can_edit_in(dataset.organization.id if dataset.organization else None)
    harvest = dataset.extras.get("harvest_source")
    # A purged version's file is gone: listed to editors for its history, never compared.
    shown = [v for v in found if editor or v.state not in UNPUBLISHED]
    entries = []
    for index, version in enumerate(shown):
        older = next((v for v in shown[index + 1 :] if v.state not in UNPUBLISHED), None)
        entries.append(_entry(version, older, names, harvest, editor=editor))
    return History(resource, entries, editor)


def _entry(
    version: Version, older: Version | None, names: dict[str, str], harvest: str | None, *, editor: bool
) -> VersionEntry:
    if version.state == HELD:
        changes = list((version.report.get(report_key(SCHEMA_CHANGE)) or {}).get("changes") or [])
    elif older is not None:
        changes = changes_json(compare_columns(columns_of(older.report), columns_of(version.report)))
    else:
        changes = []
    by_system = version.created_by in (None, SYSTEM.user_id)
    return VersionEntry(
        version=version,
        state=PUBLISHED if version.state == READY else version.state,
        author=names.get(version.created_by or ""),
        harvest=harvest if by_system else None,
        columns=len(columns_of(version.report)),
        holds=pending_holds(version),
        schema_changes=changes,
        kept=kept_parts(version.report) if editor else [],
    )
