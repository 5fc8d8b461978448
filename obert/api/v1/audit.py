"""/api/v1/audit: the activity log for site administrators, paged or exported as CSV / JSON lines."""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from obert.api.face import NATIVE
from obert.auth import audit
from obert.deps import ActorDep, PortalDep
from obert.faces import rules

router = NATIVE.router(prefix="/api/v1/audit", tags=["audit"])
COLUMNS = ["id", "at", "actor_id", "action", "object_type", "object_id", "before", "after"]


class AuditOut(BaseModel):
    id: int
    at: datetime
    actor_id: str | None
    action: str
    object_type: str
    object_id: str
    before: Any
    after: Any


class AuditPage(BaseModel):
    data: list[AuditOut]
    next: str | None


def _filters(
    actor: Annotated[str | None, Query(max_length=36, description="user id")] = None,
    object_type: Annotated[str | None, Query(max_length=30)] = None,
    object_id: Annotated[str | None, Query(max_length=36)] = None,
    action: Annotated[str | None, Query(max_length=50)] = None,
    since: Annotated[datetime | None, Query(description="from this time (inclusive)")] = None,
    until: Annotated[datetime | None, Query(description="before this time")] = None,
) -> audit.AuditFilter:
    return audit.AuditFilter(actor, object_type, object_id, action, _aware(since), _aware(until))


FiltersDep = Annotated[audit.AuditFilter, Depends(_filters)]


@router.get("", response_model=AuditPage)
def list_audit(
    portal: PortalDep,
    actor: ActorDep,
    filters: FiltersDep,
    limit: Annotated[int, Query(ge=1, le=audit.MAX_PAGE)] = 50,
    cursor: Annotated[str | None, Query(max_length=20)] = None,
) -> AuditPage:
    """Newest first; `next` continues below the last entry."""
    entries, more = audit.list_audit(
        store=portal.store, actor=actor, filters=filters, limit=limit, cursor=cursor
    )
    return AuditPage(data=[AuditOut(**e.as_json()) for e in entries], next=more)


@router.get("/export.csv", response_class=StreamingResponse)
@rules(budget="sql")
def export_csv(portal: PortalDep, actor: ActorDep, filters: FiltersDep) -> StreamingResponse:
    """The audit log as CSV, oldest first, with the same filters as the list (site administrators)."""
    audit.require_reader(actor)  # before the first byte: a refused export must be a 401/403, not a cut stream
    rows = _started(audit.iter_audit(store=portal.store, actor=actor, filters=filters))
    return StreamingResponse(
        _csv_lines(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
    )


@router.get("/export.jsonl", response_class=StreamingResponse)
@rules(budget="sql")
def export_jsonl(portal: PortalDep, actor: ActorDep, filters: FiltersDep) -> StreamingResponse:
    """The audit log as JSON Lines, one entry a line, with the same filters as the list (site
    administrators)."""
    audit.require_reader(actor)
    rows = _started(audit.iter_audit(store=portal.store, actor=actor, filters=filters))
    return StreamingResponse(
        (json.dumps(e.as_json(), ensure_ascii=False) + "\n" for e in rows),
        media_type="application/x-ndjson",
        headers={"Content-Disposition": 'attachment; filename="audit.jsonl"'},
    )


def _started(entries: Iterator[audit.AuditEntry]) -> Iterator[audit.AuditEntry]:
    """Run the first query now: a filter the database refuses must be a 4xx answer, not a cut stream."""
    first = next(entries, None)
    return itertools.chain(() if first is None else (first,), entries)


def _csv_lines(entries: Iterator[audit.AuditEntry]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for entry in entries:
        data = entry.as_json()
        writer.writerow(
            [
                json.dumps(data[c], ensure_ascii=False) if c in ("before", "after") else data[c]
                for c in COLUMNS
            ]
        )
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value
