"""Webhook dispatch and delivery.

A periodic task queues a fan-out job, which reads the activity log from a stored cursor in short steps,
turns new rows into events, and for each public event and each active subscription that follows it
writes one delivery row and one `webhook` job, in the same transaction that advances the cursor: an event
is never skipped and never queued twice (the delivery row is unique per event and subscription, the job
deduplicated on the same pair). A job POSTs the signed event through the SSRF-guarded client; failures
are retried by the job queue with exponential back-off, and a subscription whose deliveries fail too
many times in a row is disabled with the reason.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Row

from obert.catalog.common import now
from obert.errors import Conflict, Forbidden, ObertError
from obert.http import HttpClient
from obert.jobs import Job, JobContext, JobHandler, enqueue
from obert.notify.events import EVENT_OBJECT_TYPES, Event, events_from_rows
from obert.notify.search import SavedSearch, matching_dataset_ids
from obert.notify.signing import HEADER, sign
from obert.storage import Store
from obert.storage.tables.catalog import activity
from obert.storage.tables.transparency import event_cursors, subscriptions, webhook_deliveries

KIND = "webhook"
FANOUT_KIND = "webhook.fanout"
CURSOR = "webhooks"
# One fan-out step reads at most this many log rows and writes about this many deliveries, so each of
# its transactions stays short.
BATCH = 100
MAX_DELIVERIES = 200
# Rows are read only once they are this old: a transaction that took an earlier id but commits later
# (PostgreSQL hands out ids before commit) has had time to land, so the cursor does not pass it by.
COMMIT_LAG = timedelta(seconds=5)
RESPONSE_EXCERPT = 300
# The delivery log is for seeing what happened lately, not an archive: finished entries go after this.
LOG_KEPT = timedelta(days=30)


class DeliveryFailed(Exception):
    """The receiver did not take the event; the job queue tries again after a back-off."""


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    base_url: str
    timeout: float
    max_attempts: int
    disable_after: int


def enqueue_fanout(conn: Connection, _now: datetime) -> None:
    """The periodic task: ask for one fan-out run (the work itself happens in the job, in short
    transactions, so a burst of changes never holds the database's write lock for long)."""
    enqueue(conn, kind=FANOUT_KIND, payload={}, dedupe_key=FANOUT_KIND, max_attempts=3)


def fanout_handler(store: Store, config: WebhookConfig) -> JobHandler:
    def handle(job: Job, ctx: JobContext) -> dict[str, Any] | None:
        read = queued = 0
        while True:
            with store.begin() as conn:
                step = dispatch_events(conn, now=now(), config=config)
            read, queued = read + step.read, queued + step.queued
            if not step.more:
                return {"read": read, "queued": queued}
            ctx.check()

    return handle


@dataclass(frozen=True, slots=True)
class Dispatched:
    read: int  # activity rows the cursor moved past
    queued: int  # deliveries written
    more: bool  # rows are waiting that this step left for the next


def dispatch_events(
    conn: Connection,
    *,
    now: datetime,
    config: WebhookConfig,
    max_rows: int | None = None,
    max_deliveries: int | None = None,
) -> Dispatched:
    """Queue one delivery per (new public event, subscription that follows it), for at most `max_rows`
    log rows and about `max_deliveries` deliveries, and move the cursor past the rows it finished."""
    max_rows = max_rows or BATCH
    max_deliveries = max_deliveries or MAX_DELIVERIES
    conn.execute(
        webhook_deliveries.delete().where(
            webhook_deliveries.c.state != "pending", webhook_deliveries.c.created_at < now - LOG_KEPT
        )
    )
    position = conn.execute(
        sa.select(event_cursors.c.position).where(event_cursors.c.name == CURSOR)
    ).scalar()
    if position is None:
        position = 0
        conn.execute(event_cursors.insert().values(name=CURSOR, position=0, updated_at=now))
    fetched = conn.execute(
        sa.select(activity).where(activity.c.id > position).order_by(activity.c.id).limit(max_rows + 1)
    ).all()
    # Stop at the first row that is too recent, so the cursor never passes a row that is still landing.
    rows = []
    for row in fetched[:max_rows]:
        if row.at > now - COMMIT_LAG:
            break
        rows.append(row)
    if not rows:
        return Dispatched(0, 0, more=False)
    subs = conn.execute(sa.select(subscriptions).where(subscriptions.c.active.is_(True))).all()
    events = {
        e.id: e
        for e in events_from_rows(conn, [r for r in rows if r.object_type in EVENT_OBJECT_TYPES])
        if e.public
    }
    searches: dict[SavedSearch, set[str]] = {}
    queued = 0
    done = 0
    for row in rows:
        event = events.get(row.id)
        if event is not None and subs:
            payload = event.payload(config.base_url)
            for sub in subs:
                if event.at >= sub.created_at and _follows(conn, sub, event, searches):
                    queued += _queue(conn, sub, event, payload, now=now, config=config)
        done += 1
        if queued >= max_deliveries:
            break
    conn.execute(
        event_cursors.update()
        .where(event_cursors.c.name == CURSOR)
        .values(position=rows[done - 1].id, updated_at=now)
    )
    more = done < len(rows) or (len(rows) == max_rows and len(fetched) > max_rows)
    return Dispatched(read=done, queued=queued, more=more)


def _follows(conn: Connection, sub: Row[Any], event: Event, searches: dict[SavedSearch, set[str]]) -> bool:
    target = sub.target
    if sub.target_type == "dataset":
        return bool(target.get("dataset_id") == event.dataset.id)
    if sub.target_type == "organization":
        org = event.dataset.organization
        return org is not None and org.get("id") == target.get("organization_id")
    search = SavedSearch.from_json(target)
    if search not in searches:
        searches[search] = matching_dataset_ids(conn, search)
    return event.dataset.id in searches[search]


def _queue(
    conn: Connection,
    sub: Row[Any],
    event: Event,
    payload: dict[str, Any],
    *,
    now: datetime,
    config: WebhookConfig,
) -> int:
    delivery_id = str(uuid.uuid4())
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    added = conn.execute(
        insert(webhook_deliveries)
        .values(
            id=delivery_id,
            subscription_id=sub.id,
            activity_id=event.id,
            event_type=event.type.value,
            payload=payload,
            state="pending",
            attempts=0,
            created_at=now,
        )
        # An event already queued for this subscription (a re-run after a crash) is left as it is.
        .on_conflict_do_nothing(index_elements=["subscription_id", "activity_id"])
    )
    if not added.rowcount:
        return 0
    enqueue(
        conn,
        kind=KIND,
        payload={"delivery_id": delivery_id},
        dedupe_key=f"webhook:{event.id}:{sub.id}",
        max_attempts=config.max_attempts,
    )
    return 1


def delivery_handler(store: Store, http: HttpClient, config: WebhookConfig) -> JobHandler:
    def handle(job: Job, ctx: JobContext) -> dict[str, Any] | None:
        return deliver(
            store=store,
            http=http,
            config=config,
            delivery_id=str(job.payload["delivery_id"]),
            attempt=job.attempts,
            max_attempts=job.max_attempts,
        )

    return handle


def deliver(
    *,
    store: Store,
    http: HttpClient,
    config: WebhookConfig,
    delivery_id: str,
    attempt: int,
    max_attempts: int,
) -> dict[str, Any]:
    """POST one delivery. Raises DeliveryFailed to be retried, or an ObertError when retrying is useless."""
    with store.read() as conn:
        row = conn.execute(
            sa.select(
                webhook_deliveries,
                subscriptions.c.url,
                subscriptions.c.secret,
                subscriptions.c.active,
            )
            .select_from(
                webhook_deliveries.join(
                    subscriptions, subscriptions.c.id == webhook_deliveries.c.subscription_id
                )
            )
            .where(webhook_deliveries.c.id == delivery_id)
        ).first()
    if row is None:  # the subscription was deleted meanwhile
        return {"state": "gone"}
    if row.state in ("delivered", "skipped"):
        return {"state": row.state}
    if not row.active:
        _finish(store, delivery_id, state="skipped", error="the subscription is disabled")
        return {"state": "skipped"}
    body = json.dumps(
        {**row.payload, "delivery_id": delivery_id}, ensure_ascii=False, sort_keys=True
    ).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Obert-Event": row.event_type,
        "X-Obert-Delivery": delivery_id,
        HEADER: sign(row.secret, body),
    }
    started = time.perf_counter()
    status: int | None = None
    try:
        response = http.send(
            "POST",
            row.url,
            headers=headers,
            content=body,
            timeout=config.timeout,
            follow_redirects=False,  # a redirect would resend the signed body somewhere unchecked
            read_bytes=RESPONSE_EXCERPT,
        )
        status = response.status
        error = None if 200 <= status < 300 else f"HTTP {status}: {_excerpt(response.content)}"
    except Forbidden as exc:  # the SSRF guard refused the address at delivery time
        error = exc.message
        _record_failure(store, row, config, error=error, status=None, started=started, final=True)
        raise
    except ObertError as exc:
        error = exc.message
    if error is None:
        _record_success(store, row, status=status, started=started)
        return {"state": "delivered", "status": status}
    final = attempt >= max_attempts
    disabled = _record_failure(store, row, config, error=error, status=status, started=started, final=final)
    if disabled:
        raise Conflict(
            f"subscription disabled after {config.disable_after} failed deliveries in a row: {error}"
        )
    raise DeliveryFailed(error)


def _excerpt(content: bytes) -> str:
    return content[:RESPONSE_EXCERPT].decode("utf-8", "replace").strip() or "(empty body)"


def _elapsed_ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)


def _record_success(store: Store, row: Row[Any], *, status: int | None, started: float) -> None:
    stamp = now()
    with store.begin() as conn:
        conn.execute(
            webhook_deliveries.update()
            .where(webhook_deliveries.c.id == row.id)
            .values(
                state="delivered",
                attempts=webhook_deliveries.c.attempts + 1,
                last_status=status,
                last_error=None,
                last_duration_ms=_elapsed_ms(started),
                last_attempt_at=stamp,
                delivered_at=stamp,
            )
        )
        conn.execute(
            subscriptions.update()
            .where(subscriptions.c.id == row.subscription_id)
            .values(consecutive_failures=0)
        )


def _record_failure(
    store: Store,
    row: Row[Any],
    config: WebhookConfig,
    *,
    error: str,
    status: int | None,
    started: float,
    final: bool,
) -> bool:
    """Log the failed attempt; returns True when it disabled the subscription."""
    stamp = now()
    with store.begin() as conn:
        failures = (
            conn.execute(
                sa.select(subscriptions.c.consecutive_failures).where(
                    subscriptions.c.id == row.subscription_id
                )
            ).scalar_one()
            + 1
        )
        disable = failures >= config.disable_after
        conn.execute(
            webhook_deliveries.update()
            .where(webhook_deliveries.c.id == row.id)
            .values(
                state="failed" if final or disable else "pending",
                attempts=webhook_deliveries.c.attempts + 1,
                last_status=status,
                last_error=error[:2000],
                last_duration_ms=_elapsed_ms(started),
                last_attempt_at=stamp,
            )
        )
        values: dict[str, Any] = {"consecutive_failures": failures}
        if disable:
            values |= {
                "active": False,
                "disabled_reason": f"disabled on {stamp:%Y-%m-%d %H:%M} UTC after {failures} failed "
                f"deliveries in a row; last error: {error[:500]}",
                "updated_at": stamp,
            }
        conn.execute(subscriptions.update().where(subscriptions.c.id == row.subscription_id).values(**values))
    return bool(disable)


def _finish(store: Store, delivery_id: str, *, state: str, error: str) -> None:
    with store.begin() as conn:
        conn.execute(
            webhook_deliveries.update()
            .where(webhook_deliveries.c.id == delivery_id)
            .values(state=state, last_error=error)
        )
