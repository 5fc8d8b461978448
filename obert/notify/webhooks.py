"""Webhook dispatch and delivery.

A periodic task reads the activity log from a stored cursor, turns new rows into events, and for each
public event and each active subscription that follows it writes one delivery row and one `webhook` job,
in the same transaction that advances the cursor: an event is never skipped and never queued twice (the
delivery row is unique per event and subscription, the job deduplicated on the same pair). A job POSTs
the signed event through the SSRF-guarded client; failures are retried by the job queue with exponential
back-off, and a subscription whose deliveries fail too many times in a row is disabled with the reason.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
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
CURSOR = "webhooks"
BATCH = 500
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


def dispatcher(config: WebhookConfig) -> Callable[[Connection, datetime], None]:
    """The periodic task's body: queue deliveries for the activity rows written since the last run."""

    def dispatch(conn: Connection, now: datetime) -> None:
        dispatch_events(conn, now=now, config=config)

    return dispatch


def dispatch_events(conn: Connection, *, now: datetime, config: WebhookConfig) -> int:
    """Queue one delivery per (new public event, subscription that follows it); returns how many."""
    position = conn.execute(
        sa.select(event_cursors.c.position).where(event_cursors.c.name == CURSOR)
    ).scalar()
    if position is None:
        position = 0
        conn.execute(event_cursors.insert().values(name=CURSOR, position=0, updated_at=now))
    fetched = conn.execute(
        sa.select(activity).where(activity.c.id > position).order_by(activity.c.id).limit(BATCH)
    ).all()
    # Stop at the first row that is too recent, so the cursor never passes a row that is still landing.
    rows = []
    for row in fetched:
        if row.at > now - COMMIT_LAG:
            break
        rows.append(row)
    conn.execute(
        webhook_deliveries.delete().where(
            webhook_deliveries.c.state != "pending", webhook_deliveries.c.created_at < now - LOG_KEPT
        )
    )
    if not rows:
        return 0
    relevant = [r for r in rows if r.object_type in EVENT_OBJECT_TYPES]
    events = [e for e in events_from_rows(conn, relevant) if e.public]
    queued = 0
    if events:
        subs = conn.execute(sa.select(subscriptions).where(subscriptions.c.active.is_(True))).all()
        searches: dict[SavedSearch, set[str]] = {}
        for event in events:
            for sub in subs:
                if event.at >= sub.created_at and _follows(conn, sub, event, searches):
                    queued += _queue(conn, sub, event, now=now, config=config)
    conn.execute(
        event_cursors.update()
        .where(event_cursors.c.name == CURSOR)
        .values(position=rows[-1].id, updated_at=now)
    )
    return queued


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


def _queue(conn: Connection, sub: Row[Any], event: Event, *, now: datetime, config: WebhookConfig) -> int:
    exists = conn.execute(
        sa.select(webhook_deliveries.c.id).where(
            webhook_deliveries.c.subscription_id == sub.id, webhook_deliveries.c.activity_id == event.id
        )
    ).first()
    if exists:
        return 0
    delivery_id = str(uuid.uuid4())
    conn.execute(
        webhook_deliveries.insert().values(
            id=delivery_id,
            subscription_id=sub.id,
            activity_id=event.id,
            event_type=event.type.value,
            payload=event.payload(config.base_url),
            state="pending",
            attempts=0,
            created_at=now,
        )
    )
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
