"""The catalogue's freshness list, late datasets first, kept in each process between requests.

What the rule makes of a dataset's dates (obert.watch.freshness.Timeline: when it was last updated, when
it becomes late) changes only when the dataset or its resources change, which moves the dataset's mark
(obert.catalog.browse.dataset_stamps; an upload touches its dataset too). So each process keeps every
dataset's timeline with its mark and reads again, in three statements per batch, only the datasets whose
mark moved; for the same marks it keeps the timelines in the list's two orders (by due date, by name). A
request then only finds where "now" falls among the due dates and makes the page it returns.

The marks are read on every request, so each process lists the catalogue as it is now, whoever changed
it, and only the datasets the reader may see.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections import defaultdict, deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from obert.auth import Actor
from obert.catalog.browse import dataset_stamps
from obert.catalog.organizations import resolve_organization_id
from obert.catalog.rows import LIVE_RESOURCE
from obert.storage import Store
from obert.storage.per_engine import PerEngine
from obert.storage.tables.catalog import activity, datasets, resources
from obert.watch.freshness import Dated, Freshness, Timeline, as_utc, timeline

BATCH = 5000  # datasets read at a time
ORDERS = 4  # orders kept (the catalogue's, a publisher's, an editor's…)

# (dataset id, mark of its last change), as obert.catalog.browse.dataset_stamps reads them
Stamps = Sequence[tuple[str, Any]]


@dataclass(frozen=True, slots=True)
class FreshnessPage:
    items: list[Freshness]
    count: int  # of the whole list


@dataclass(frozen=True, slots=True)
class _Ordered:
    by_due: list[Timeline]  # those with an interval, soonest due first, then by name
    dues: list[datetime]  # their due dates, in that order
    by_name: list[Timeline]  # every one

    def late(self, now: datetime) -> list[Timeline]:
        return self.by_due[: bisect_left(self.dues, now)]  # due before now: late

    def on_time(self, now: datetime) -> Iterator[Timeline]:
        return (t for t in self.by_name if t.due is None or t.due >= now)


class KeptTimelines:
    """One process's timelines of one catalogue database."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: dict[str, tuple[Any, Timeline]] = {}
        self._orders: deque[tuple[Stamps, _Ordered]] = deque(maxlen=ORDERS)

    def ordered(self, conn: Connection, stamps: Stamps) -> _Ordered:
        with self._lock:
            for was, ordered in self._orders:
                if was == stamps:
                    return ordered
            stale = [(i, c) for i, c in stamps if (k := self._kept.get(i)) is None or k[0] != c]
            for start in range(0, len(stale), BATCH):
                batch = dict(stale[start : start + BATCH])
                for line in _timelines(conn, list(batch)):
                    self._kept[line.dated.id] = (batch[line.dated.id], line)
            if len(self._kept) > 2 * len(stamps) + BATCH:
                ids = {i for i, _ in stamps}
                self._kept = {i: k for i, k in self._kept.items() if i in ids}
            lines = [self._kept[i][1] for i, _ in stamps if i in self._kept]
            by_due = sorted((t for t in lines if t.due is not None), key=lambda t: (t.due, t.dated.name))
            ordered = _Ordered(
                by_due=by_due,
                dues=[t.due for t in by_due if t.due is not None],
                by_name=sorted(lines, key=lambda t: t.dated.name),
            )
            self._orders.append((list(stamps), ordered))
            return ordered


def list_freshness(
    *,
    store: Store,
    actor: Actor,
    late_only: bool = False,
    organization: str | None = None,
    offset: int = 0,
    limit: int = 100,
    now: datetime | None = None,
) -> FreshnessPage:
    """A page of the freshness of every dataset `actor` may see (of one publisher): the late ones first,
    longest late first, then the others by name; or only the late ones."""
    now = now or datetime.now(UTC)
    with store.read() as conn:
        organization_id = resolve_organization_id(conn, organization) if organization else None
        stamps = dataset_stamps(conn, actor, organization_id=organization_id)
        ordered = _kept(conn.engine).ordered(conn, stamps)
    late = ordered.late(now)
    if late_only:
        return FreshnessPage([t.at(now) for t in late[offset : offset + limit]], len(late))
    page = late[offset : offset + limit]
    if len(page) < limit:
        skipped = max(0, offset - len(late))
        page += islice(ordered.on_time(now), skipped, skipped + limit - len(page))
    return FreshnessPage([t.at(now) for t in page], len(ordered.by_name))


def _timelines(conn: Connection, ids: list[str]) -> list[Timeline]:
    """The timelines of these datasets, read in three statements (not each dataset whole)."""
    dated: dict[str, list[str | None]] = defaultdict(list)
    for row in conn.execute(
        sa.select(resources.c.dataset_id, resources.c.modified)
        .where(resources.c.dataset_id.in_(ids), LIVE_RESOURCE)
        .order_by(resources.c.dataset_id, resources.c.position)
    ):
        dated[row.dataset_id].append(row.modified)
    uploads = dict(
        conn.execute(
            sa.select(resources.c.dataset_id, sa.func.max(activity.c.at))
            .join(activity, activity.c.object_id == resources.c.id)
            .where(
                resources.c.dataset_id.in_(ids),
                LIVE_RESOURCE,
                activity.c.object_type == "resource",
                activity.c.action == "upload",
            )
            .group_by(resources.c.dataset_id)
        ).all()
    )
    rows = conn.execute(
        sa.select(
            datasets.c.id,
            datasets.c.name,
            datasets.c.frequency,
            datasets.c.modified,
            datasets.c.issued,
            datasets.c.created_at,
        ).where(datasets.c.id.in_(ids))
    ).all()
    return [
        timeline(
            Dated(**row._mapping, resources_modified=tuple(dated.get(row.id, ()))),
            uploaded=as_utc(uploads.get(row.id)),
        )
        for row in rows
    ]


_kept = PerEngine(KeptTimelines)
