"""The latest public events of a scope (the portal, a publisher, a theme, a dataset, a saved search)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from obert.notify.events import DEPARTURES, EVENT_OBJECT_TYPES, Event, events_from_rows
from obert.notify.search import SavedSearch, matching_dataset_ids
from obert.storage import Store
from obert.storage.tables.catalog import activity, datasets, resources

BATCH = 200
# A feed looks this far back through the log at most, so a portal full of private edits stays cheap.
MAX_SCAN = 5000


@dataclass(frozen=True, slots=True)
class Scope:
    dataset_id: str | None = None
    organization_id: str | None = None
    theme: str | None = None
    search: SavedSearch | None = None


def public_events(store: Store, *, scope: Scope, limit: int = 50) -> list[Event]:
    """Newest first: only changes everyone could see, of datasets everyone can still see (a dataset's
    withdrawal or deletion is shown, though the dataset itself no longer is)."""
    # Resource rows name their dataset through the resources table; activity rows of other kinds
    # (versions from the datastore) carry it in their snapshot, resolved by events_from_rows.
    dataset_id = sa.func.coalesce(resources.c.dataset_id, activity.c.object_id)
    joined = activity.outerjoin(resources, resources.c.id == activity.c.object_id).outerjoin(
        datasets, datasets.c.id == dataset_id
    )
    base = (
        sa.select(
            activity, datasets.c.state.label("now_state"), datasets.c.visibility.label("now_visibility")
        )
        .select_from(joined)
        .where(activity.c.object_type.in_(EVENT_OBJECT_TYPES))
        .order_by(activity.c.id.desc())
    )
    if scope.dataset_id:
        base = base.where(dataset_id == scope.dataset_id)
    if scope.organization_id:
        base = base.where(datasets.c.organization_id == scope.organization_id)
    out: list[Event] = []
    with store.read() as conn:
        allowed = matching_dataset_ids(conn, scope.search) if scope.search else None
        last: int | None = None
        scanned = 0
        while len(out) < limit and scanned < MAX_SCAN:
            query = base if last is None else base.where(activity.c.id < last)
            rows = conn.execute(query.limit(BATCH)).all()
            if not rows:
                break
            scanned += len(rows)
            last = rows[-1].id
            still_public = {r.id for r in rows if r.now_state == "published" and r.now_visibility == "public"}
            for event in events_from_rows(conn, rows):
                if not event.public:
                    continue
                if event.id not in still_public and event.type not in DEPARTURES:
                    continue
                if scope.theme and scope.theme not in event.dataset.themes:
                    continue
                if allowed is not None and event.dataset.id not in allowed:
                    continue
                out.append(event)
    return out[:limit]
