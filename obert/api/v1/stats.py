"""/api/v1/stats: how often datasets are viewed, downloaded and called, counted without tracking anyone."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query

from obert.api.face import NATIVE
from obert.auth import ANONYMOUS
from obert.deps import ActorDep, PortalDep
from obert.stats.usage import UsageReport, dataset_usage, portal_usage

router = NATIVE.router(prefix="/api/v1", tags=["statistics"])
Days = Annotated[int, Query(ge=1, le=3660, description="how many days back, today included")]


def report_out(report: UsageReport) -> dict[str, Any]:
    return {
        "since": report.since.isoformat(),
        "until": report.until.isoformat(),
        "totals": report.totals,
        "top": [
            {
                "id": u.dataset_id,
                "name": u.name,
                "title": u.title,
                "organization": u.organization,
                "counts": u.counts,
                "total": u.total,
            }
            for u in report.top
        ],
        "by_month": [{"month": month, "counts": counts} for month, counts in report.by_month],
        "by_publisher": [{"organization": org, "counts": counts} for org, counts in report.by_publisher],
        "daily": [{"day": day.isoformat(), "counts": counts} for day, counts in report.daily],
    }


@router.get("/stats")
def stats(
    portal: PortalDep, days: Days = 365, top: Annotated[int, Query(ge=1, le=100)] = 20
) -> dict[str, Any]:
    """The portal's public figures: totals by kind, most used datasets, growth by month, by publisher."""
    return report_out(portal_usage(store=portal.store, actor=ANONYMOUS, days=days, top=top))


@router.get("/datasets/{ref}/stats")
def dataset_stats(portal: PortalDep, actor: ActorDep, ref: str, days: Days = 90) -> dict[str, Any]:
    """One dataset's figures day by day (`bot` counts self-declared crawlers, kept apart)."""
    return report_out(dataset_usage(store=portal.store, actor=actor, ref=ref, days=days))
