"""Periodic tasks: every so often, enqueue some jobs (link checks, harvests that are due, freshness).

Any number of processes may tick; a row per task in `schedules`, locked while it is ticked, makes sure
each task fires once per interval across all of them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from obert.storage import Store
from obert.storage.tables.jobs import schedules


@dataclass(frozen=True, slots=True)
class Periodic:
    """`enqueue(conn, now)` runs in a transaction of its own every `every`; it should only enqueue jobs."""

    name: str
    every: timedelta
    enqueue: Callable[[Connection, datetime], None]


def tick(store: Store, tasks: Sequence[Periodic], *, now: datetime | None = None) -> list[str]:
    """Fire the tasks that are due; returns their names."""
    now = now or datetime.now(UTC)
    fired = []
    for task in tasks:
        with store.begin() as conn:
            query = sa.select(schedules.c.last_run_at).where(schedules.c.name == task.name)
            if store.backend == "postgresql":
                query = query.with_for_update(skip_locked=True)
            last = conn.execute(query).scalar()
            if last is not None and now - last < task.every:
                continue
            if last is None:
                inserted = conn.execute(
                    _insert_if_absent(store.backend).values(name=task.name, last_run_at=now)
                )
                if inserted.rowcount == 0:  # another process got here first
                    continue
            else:
                conn.execute(schedules.update().where(schedules.c.name == task.name).values(last_run_at=now))
            task.enqueue(conn, now)
            fired.append(task.name)
    return fired


def _insert_if_absent(backend: str) -> sa.Insert:
    if backend == "postgresql":
        return pg_insert(schedules).on_conflict_do_nothing()
    return sqlite_insert(schedules).on_conflict_do_nothing()
