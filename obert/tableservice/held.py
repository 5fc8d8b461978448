"""Which versions of a dataset's tables are held back, for the people of its organisation to see.

Reading is wider than acting: any member of the dataset's organisation may see what held a version back
(the findings hold masked examples only), while releasing one stays with editors (`obert.tableservice.review`
for personal data, `obert.tableservice.schema_review` for changed columns).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from obert.auth import Actor
from obert.catalog.models import Dataset
from obert.errors import Forbidden
from obert.storage import Store
from obert.storage.tables.datastore import resource_versions
from obert.tableservice.gate import PERSONAL_DATA, SCHEMA_CHANGE
from obert.tableservice.review import HeldVersion
from obert.tableservice.versions import (
    HELD,
    READY,
    SUPERSEDED,
    Version,
    pending_holds,
    report_key,
    version_from_row,
)

later = resource_versions.alias("later")


@dataclass(frozen=True, slots=True)
class HeldOfDataset:
    """Held versions of one dataset, newest first, and whether the actor may release them: those waiting
    for the personal-data review (`versions`, findings from the scan) and those waiting for their changed
    columns to be accepted (`schema_changes`, findings from the comparison). A version can be in both."""

    versions: list[HeldVersion]
    can_release: bool
    schema_changes: list[HeldVersion] = field(default_factory=list)


def held_versions(*, store: Store, actor: Actor, dataset: Dataset) -> HeldOfDataset:
    """Every held version of `dataset`'s resources (a dataset the actor may already see); members of its
    organisation and site administrators only."""
    org_id = dataset.organization.id if dataset.organization else None
    if not actor.can_see_private_of(org_id):
        raise Forbidden("only the people of this dataset's organisation see what held its tables back")
    ids = [r.id for r in dataset.resources]
    if not ids:
        return HeldOfDataset([], False)
    # A held version that a newer published one has superseded (its cleaned copy, or simply newer data)
    # no longer waits for anyone's decision: it stays in the table's history, and off the desk.
    newer = sa.select(sa.literal(1)).where(
        later.c.resource_id == resource_versions.c.resource_id,
        later.c.number > resource_versions.c.number,
        later.c.state.in_((READY, SUPERSEDED)),
    )
    with store.read() as conn:
        rows = conn.execute(
            sa.select(resource_versions)
            .where(
                resource_versions.c.resource_id.in_(ids),
                resource_versions.c.state == HELD,
                ~sa.exists(newer),
            )
            .order_by(resource_versions.c.created_at.desc(), resource_versions.c.number.desc())
        ).all()
    held = list(map(version_from_row, rows))
    return HeldOfDataset(
        _waiting_for(held, PERSONAL_DATA), actor.can_edit_in(org_id), _waiting_for(held, SCHEMA_CHANGE)
    )


def _waiting_for(versions: list[Version], reason: str) -> list[HeldVersion]:
    key = report_key(reason)
    return [
        HeldVersion(v.resource_id, v, dict(v.report[key]))
        for v in versions
        if reason in pending_holds(v) and key in v.report
    ]
