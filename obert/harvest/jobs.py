"""Harvests as background jobs: the `harvest` job handler and the periodic task that enqueues due sources.

A run is a job with dedupe_key `harvest:<source id>`, so a source queued or running is never queued a
second time and two runs of one source never overlap, whichever process asked for them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Connection

from obert.auth import SYSTEM, Actor
from obert.errors import Forbidden, msg
from obert.harvest.models import Source
from obert.harvest.runner import HarvestContext, run_harvest
from obert.harvest.sources import due_sources, get_source
from obert.jobs import Job, JobContext, JobHandler, Periodic, enqueue
from obert.storage import Store

KIND = "harvest"


def dedupe_key(source_id: str) -> str:
    return f"harvest:{source_id}"


def enqueue_run(conn: Connection, *, source_id: str, created_by: str | None = None) -> str:
    """Queue a run of the source in the caller's transaction; the queued or running one if there is one."""
    return enqueue(
        conn,
        kind=KIND,
        payload={"source_id": source_id},
        dedupe_key=dedupe_key(source_id),
        max_attempts=3,
        created_by=created_by,
    )


def harvest_handler(make_context: Callable[[], HarvestContext]) -> JobHandler:
    def handle(job: Job, ctx: JobContext) -> dict[str, Any] | None:
        harvest = make_context()
        source = get_source(store=harvest.store, actor=SYSTEM, ref=str(job.payload["source_id"]))
        report = run_harvest(
            ctx=harvest,
            source=source,
            job_id=job.id,
            progress=lambda done, message: ctx.progress(done, None, message),
        )
        return {"run_id": report.id, "state": report.state, "counts": report.counts, "error": report.error}

    return handle


def schedule(every: timedelta = timedelta(minutes=1)) -> Periodic:
    """The periodic task that queues a run of every enabled source whose interval has passed."""

    def enqueue_due(conn: Connection, now: datetime) -> None:
        for source in due_sources(conn, now):
            enqueue_run(conn, source_id=source.id)

    return Periodic(name="harvest-due-sources", every=every, enqueue=enqueue_due)


def request_run(*, store: Store, actor: Actor, ref: str) -> tuple[Source, str]:
    """Queue a run of the source for `actor` (an editor of its organisation); returns it and the job id."""
    source = get_source(store=store, actor=actor, ref=ref)
    if not actor.can_write:
        raise Forbidden(msg("this token is read-only"))
    with store.begin() as conn:
        job_id = enqueue_run(conn, source_id=source.id, created_by=actor.user_id)
    return source, job_id
