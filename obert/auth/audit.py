"""The audit trail: the append-only `activity` table, written with every change and read by site admins.

Nothing in obert updates or deletes an activity row: `append` is the only writer, and a test walks the
code base to keep it that way. Secrets (passwords, token secrets, session ids) are never written here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from obert.auth.actor import Actor
from obert.errors import FieldError, Forbidden, Invalid, Unauthorized, msg
from obert.storage import Store
from obert.storage.tables.catalog import activity

MAX_PAGE = 1000


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    actor_id: str | None
    action: str
    object_type: str
    object_id: str
    before: Any
    after: Any

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "actor_id": self.actor_id,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "before": self.before,
            "after": self.after,
        }


@dataclass(frozen=True, slots=True)
class AuditFilter:
    actor_id: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def append(
    conn: Connection,
    *,
    actor_id: str | None,
    action: str,
    object_type: str,
    object_id: str,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    """Append one row, inside the caller's transaction so the change and its record commit together."""
    conn.execute(
        sa.insert(activity).values(
            at=at or datetime.now(UTC),
            actor_id=actor_id,
            action=action,
            object_type=object_type,
            object_id=object_id[:36],
            before=dict(before) if before is not None else None,
            after=dict(after) if after is not None else None,
        )
    )


def list_audit(
    *, store: Store, actor: Actor, filters: AuditFilter, limit: int = 50, cursor: str | None = None
) -> tuple[list[AuditEntry], str | None]:
    """Newest first. The cursor is the id to continue below; returns (entries, next cursor or None)."""
    require_reader(actor)
    if not 1 <= limit <= MAX_PAGE:
        raise Invalid(
            msg("bad page size"),
            errors=[FieldError("limit", msg("must be between 1 and {max_page}", max_page=MAX_PAGE))],
        )
    below = _parse_cursor(cursor)
    with store.read() as conn:
        rows = _page(conn, filters, below, limit + 1)
    entries = [_entry(r) for r in rows[:limit]]
    more = len(rows) > limit
    return entries, str(entries[-1].id) if more and entries else None


def iter_audit(*, store: Store, actor: Actor, filters: AuditFilter, batch: int = 500) -> Iterator[AuditEntry]:
    """Every matching entry, newest first, read in batches: an export of millions streams in little memory."""
    require_reader(actor)
    below: int | None = None
    while True:
        with store.read() as conn:
            rows = _page(conn, filters, below, batch)
        if not rows:
            return
        for row in rows:
            yield _entry(row)
        below = rows[-1].id


def _page(conn: Connection, f: AuditFilter, below: int | None, limit: int) -> list[Row[Any]]:
    query = sa.select(activity).order_by(activity.c.id.desc()).limit(limit)
    conditions = {
        activity.c.actor_id: f.actor_id,
        activity.c.object_type: f.object_type,
        activity.c.object_id: f.object_id,
        activity.c.action: f.action,
    }
    for column, value in conditions.items():
        if value is not None:
            query = query.where(column == value)
    if f.since is not None:
        query = query.where(activity.c.at >= f.since)
    if f.until is not None:
        query = query.where(activity.c.at < f.until)
    if below is not None:
        query = query.where(activity.c.id < below)
    return list(conn.execute(query).all())


def _parse_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    if not cursor.isdigit() or len(cursor) > 18:
        raise Invalid(
            msg("bad cursor"), errors=[FieldError("cursor", msg("use the `next` value of a previous page"))]
        )
    return int(cursor)


def require_reader(actor: Actor) -> None:
    """Unauthorized or Forbidden unless `actor` is a site administrator."""
    if not actor.authenticated:
        raise Unauthorized(msg("sign in as a site administrator to read the audit log"))
    if not actor.sysadmin:
        raise Forbidden(msg("only site administrators can read the audit log"))


def _entry(row: Row[Any]) -> AuditEntry:
    return AuditEntry(
        row.id, row.at, row.actor_id, row.action, row.object_type, row.object_id, row.before, row.after
    )
