"""/api/v1 freshness and link checks: is a dataset updated as promised, do its links answer."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Query
from pydantic import BaseModel

from obert.api.face import NATIVE
from obert.catalog.access import require_editor
from obert.catalog.common import MAX_PAGE, encode_cursor, offset_from_cursor
from obert.catalog.datasets import get_dataset
from obert.deps import ActorDep, PortalDep, WriterDep
from obert.watch import links
from obert.watch.freshness import Freshness, dataset_freshness
from obert.watch.late import list_freshness

router = NATIVE.router(prefix="/api/v1", tags=["freshness and links"])


class FreshnessOut(BaseModel):
    dataset_id: str
    dataset_name: str
    frequency: str | None
    status: str  # fresh | late | not_applicable (the frequency promises no interval)
    late: bool
    expected_every_days: float | None
    last_updated: datetime
    last_updated_declared: bool  # false: nothing dates the data and the record's creation stands in
    due_by: datetime | None
    late_by_days: float | None


def _days(delta: timedelta | None) -> float | None:
    return round(delta.total_seconds() / 86400, 2) if delta is not None else None


def freshness_out(f: Freshness) -> FreshnessOut:
    return FreshnessOut(
        dataset_id=f.dataset_id,
        dataset_name=f.dataset_name,
        frequency=f.frequency,
        status=f.status,
        late=f.late,
        expected_every_days=_days(f.expected_every),
        last_updated=f.last_updated,
        last_updated_declared=f.declared,
        due_by=f.due_by,
        late_by_days=_days(f.late_by),
    )


@router.get("/datasets/{ref}/freshness", response_model=FreshnessOut)
def get_freshness(portal: PortalDep, actor: ActorDep, ref: str) -> FreshnessOut:
    """Whether a dataset is updated as often as its `frequency` promises, and when it is next due."""
    return freshness_out(dataset_freshness(store=portal.store, actor=actor, ref=ref))


@router.get("/freshness")
def freshness_list(
    portal: PortalDep,
    actor: ActorDep,
    late: bool = False,
    organization: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="page size")] = 100,
    cursor: str | None = None,
) -> dict[str, Any]:
    """Every dataset's freshness, late ones first, a page at a time (`next` is the cursor of the
    following page); `late=true` lists only the late ones."""
    start = offset_from_cursor(cursor)
    page = list_freshness(
        store=portal.store, actor=actor, late_only=late, organization=organization, offset=start, limit=limit
    )
    following = encode_cursor(str(start + limit)) if start + limit < page.count else None
    return {"data": [freshness_out(f) for f in page.items], "count": page.count, "next": following}


@router.get("/datasets/{ref}/links")
def get_links(portal: PortalDep, actor: ActorDep, ref: str) -> dict[str, Any]:
    """The dataset's external links with their latest check (`check: null` until first checked)."""
    found = links.dataset_links(store=portal.store, actor=actor, ref=ref, base_url=portal.settings.base_url)
    data = [{"url": url, "check": asdict(status) if status else None} for url, status in found]
    return {"data": data, "count": len(data), "next": None}


@router.post("/datasets/{ref}/links/check", status_code=202)
def check_links(portal: PortalDep, actor: WriterDep, ref: str) -> dict[str, str]:
    """Queue a check of the dataset's external links now (editors of the dataset)."""
    dataset = get_dataset(store=portal.store, actor=actor, ref=ref)
    require_editor(actor, dataset)
    job_id = links.request_check(store=portal.store, dataset_id=dataset.id, created_by=actor.user_id)
    return {"job_id": job_id, "status": "queued"}
