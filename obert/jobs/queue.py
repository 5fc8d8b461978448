"""Queue operations on the jobs table. Each takes the store (or, for enqueue, the caller's connection)."""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from obert.errors import NotFound, from_record, message_record
from obert.jobs.messages import one_line
from obert.requestctx import current_request_id
from obert.storage import Store
from obert.storage.tables.jobs import ACTIVE_STATES, jobs


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Job:
    id: str
    kind: str
    payload: dict[str, Any]
    state: JobState
    attempts: int
    max_attempts: int
    run_after: datetime
    lease_owner: str | None
    lease_expires: datetime | None
    dedupe_key: str | None
    progress: dict[str, Any] | None
    result: dict[str, Any] | None
    error: str | None
    created_by: str | None
    request_id: str | None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    taken_over: bool = False  # claimed from a holder whose lease had run out


def _now() -> datetime:
    return datetime.now(UTC)


def enqueue(
    conn: Connection,
    *,
    kind: str,
    payload: dict[str, Any],
    dedupe_key: str | None = None,
    run_after: datetime | None = None,
    max_attempts: int = 5,
    created_by: str | None = None,
) -> str:
    """Add a job inside the caller's transaction, with the id of the request being served (if any). With
    a `dedupe_key` already queued or running, the existing job's id is returned instead of adding a second
    one."""
    if dedupe_key is not None:
        existing = conn.execute(
            sa.select(jobs.c.id).where(jobs.c.dedupe_key == dedupe_key, jobs.c.state.in_(ACTIVE_STATES))
        ).scalar()
        if existing is not None:
            return str(existing)
    now = _now()
    job_id = str(uuid.uuid4())
    conn.execute(
        jobs.insert().values(
            id=job_id,
            kind=kind,
            payload=payload,
            state=JobState.QUEUED.value,
            attempts=0,
            max_attempts=max_attempts,
            run_after=run_after or now,
            dedupe_key=dedupe_key,
            created_by=created_by,
            request_id=current_request_id(),
            created_at=now,
            updated_at=now,
        )
    )
    return job_id


def claim(
    store: Store, *, worker_id: str, kinds: Sequence[str], lease_seconds: float, job_id: str | None = None
) -> Job | None:
    """Take the oldest due job of one of `kinds`, or one whose holder's lease ran out (only `job_id`,
    if given: a command running one job in the foreground)."""
    now = _now()
    due = sa.or_(
        sa.and_(jobs.c.state == JobState.QUEUED.value, jobs.c.run_after <= now),
        sa.and_(jobs.c.state == JobState.RUNNING.value, jobs.c.lease_expires < now),
    )
    query = (
        sa.select(jobs.c.id, jobs.c.state)
        .where(due, jobs.c.kind.in_(kinds))
        .order_by(jobs.c.run_after)
        .limit(1)
    )
    if job_id is not None:
        query = query.where(jobs.c.id == job_id)
    if store.backend == "postgresql":
        # Concurrent workers skip rows another one is taking instead of queueing behind it.
        query = query.with_for_update(skip_locked=True)
    with store.begin() as conn:  # on SQLite, BEGIN IMMEDIATE makes claims one at a time
        row = conn.execute(query).first()
        if row is None:
            return None
        found = row.id
        conn.execute(
            jobs.update()
            .where(jobs.c.id == found)
            .values(
                state=JobState.RUNNING.value,
                attempts=jobs.c.attempts + 1,
                lease_owner=worker_id,
                lease_expires=now + timedelta(seconds=lease_seconds),
                updated_at=now,
            )
        )
        claimed = _load(conn, found)
    # Running, yet due: its holder's lease ran out (the holder died or stalled), and this worker takes over.
    return replace(claimed, taken_over=True) if row.state == JobState.RUNNING.value else claimed


def count_active(store: Store) -> list[tuple[str, str, int]]:
    """(kind, state, jobs) of the queued and running jobs, for the metrics."""
    query = (
        sa.select(jobs.c.kind, jobs.c.state, sa.func.count())
        .where(jobs.c.state.in_(ACTIVE_STATES))
        .group_by(jobs.c.kind, jobs.c.state)
    )
    with store.read() as conn:
        return [(str(kind), str(state), int(n)) for kind, state, n in conn.execute(query)]


def heartbeat(
    store: Store, *, job_id: str, worker_id: str, lease_seconds: float, progress: dict[str, Any] | None = None
) -> bool:
    """Extend the lease (and record progress); False when the lease was lost to another worker."""
    now = _now()
    values: dict[str, Any] = {"lease_expires": now + timedelta(seconds=lease_seconds), "updated_at": now}
    if progress is not None:
        values["progress"] = progress
    with store.begin() as conn:
        done = conn.execute(jobs.update().where(*_held(job_id, worker_id)).values(**values))
    return bool(done.rowcount)


def complete(
    store: Store,
    *,
    job_id: str,
    worker_id: str,
    result: dict[str, Any] | None,
    progress: dict[str, Any] | None = None,
) -> bool:
    """Record the job's result; `progress`, if given, is its last progress report, not written yet."""
    now = _now()
    values: dict[str, Any] = {} if progress is None else {"progress": progress}
    with store.begin() as conn:
        done = conn.execute(
            jobs.update()
            .where(*_held(job_id, worker_id))
            .values(
                state=JobState.DONE.value,
                result=result,
                error=None,
                lease_owner=None,
                lease_expires=None,
                finished_at=now,
                updated_at=now,
                **values,
            )
        )
    return bool(done.rowcount)


def release(store: Store, *, job_id: str, worker_id: str) -> bool:
    """Hand a held job back to the queue at once (a worker shutting down): another worker may take it
    straight away instead of waiting for the lease to run out. The try does not count as an attempt."""
    now = _now()
    with store.begin() as conn:
        done = conn.execute(
            jobs.update()
            .where(*_held(job_id, worker_id))
            .values(
                state=JobState.QUEUED.value,
                attempts=jobs.c.attempts - 1,  # claiming counted it; a held job has at least 1
                run_after=now,
                lease_owner=None,
                lease_expires=None,
                updated_at=now,
            )
        )
    return bool(done.rowcount)


def fail(
    store: Store,
    *,
    job_id: str,
    worker_id: str,
    error: str,
    retry: bool = True,
    progress: dict[str, Any] | None = None,
) -> bool:
    """Record a failure: the job is queued again after a back-off, or fails for good after its last try.
    An `error` that is a translatable `Message` is kept so too, to be given in each reader's language.
    `progress`, if given, is the job's last progress report, not written yet."""
    now = _now()
    values: dict[str, Any] = {} if progress is None else {"progress": progress}
    with store.begin() as conn:
        row = conn.execute(
            sa.select(jobs.c.attempts, jobs.c.max_attempts).where(*_held(job_id, worker_id))
        ).first()
        if row is None:
            return False
        final = not retry or row.attempts >= row.max_attempts
        # Exponential back-off with jitter, so a failing source is not hammered in lock step.
        delay = min(3600.0, 2.0**row.attempts) * random.uniform(0.5, 1.5)
        conn.execute(
            jobs.update()
            .where(jobs.c.id == job_id)
            .values(
                state=JobState.FAILED.value if final else JobState.QUEUED.value,
                error=error[:4000],
                error_message=message_record(error) if len(error) <= 4000 else None,
                run_after=now if final else now + timedelta(seconds=delay),
                lease_owner=None,
                lease_expires=None,
                finished_at=now if final else None,
                updated_at=now,
                **values,
            )
        )
    return True


def get_job(store: Store, *, job_id: str) -> Job:
    with store.read() as conn:
        return _load(conn, job_id)


def list_jobs(
    store: Store,
    *,
    kind: str | None = None,
    state: JobState | None = None,
    dedupe_key: str | None = None,
    limit: int = 50,
) -> list[Job]:
    query = sa.select(jobs).order_by(jobs.c.created_at.desc()).limit(limit)
    if kind:
        query = query.where(jobs.c.kind == kind)
    if state:
        query = query.where(jobs.c.state == state.value)
    if dedupe_key:
        query = query.where(jobs.c.dedupe_key == dedupe_key)
    with store.read() as conn:
        return [job_from_row(r) for r in conn.execute(query)]


def _held(job_id: str, worker_id: str) -> tuple[sa.ColumnElement[bool], ...]:
    return (jobs.c.id == job_id, jobs.c.state == JobState.RUNNING.value, jobs.c.lease_owner == worker_id)


def _load(conn: Connection, job_id: str) -> Job:
    row = conn.execute(sa.select(jobs).where(jobs.c.id == job_id)).first()
    if row is None:
        raise NotFound(f"no job '{job_id}'")
    return job_from_row(row)


def _error(row: Row[Any]) -> str | None:
    """The stored error as people see it (obert.jobs.messages.one_line), as a `Message` where one was kept
    and still says the same."""
    if not row.error:
        return None
    shown = one_line(row.error)
    return from_record(shown, row.error_message) if shown == row.error else shown


def job_from_row(row: Row[Any]) -> Job:
    return Job(
        id=row.id,
        kind=row.kind,
        payload=row.payload,
        state=JobState(row.state),
        attempts=row.attempts,
        max_attempts=row.max_attempts,
        run_after=row.run_after,
        lease_owner=row.lease_owner,
        lease_expires=row.lease_expires,
        dedupe_key=row.dedupe_key,
        progress=row.progress,
        result=row.result,
        error=_error(row),
        created_by=row.created_by,
        request_id=row.request_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
        finished_at=row.finished_at,
    )
