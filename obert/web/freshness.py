"""How fresh a dataset looks on its page: when it last changed, and whether that is on time for its
declared frequency (by the one rule in obert.watch.freshness, which the API and the late list use too)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from obert.catalog.models import Dataset
from obert.watch.freshness import expected_interval, grace

Status = Literal["on-time", "late", "unknown"]


@dataclass(frozen=True, slots=True)
class Freshness:
    updated: datetime
    age: timedelta
    period: timedelta | None
    status: Status
    declared: bool  # False when no date came from the publisher and the record's own date stands in


def _parse(value: str) -> datetime:
    when = datetime.fromisoformat(value)  # a bare date reads as its midnight
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def last_change(dataset: Dataset) -> datetime | None:
    """When the data last changed, as the publisher declares it: the dataset's modification date, else its
    newest file's, else its publication date; None when the publisher gives none of them."""
    declared = [r.modified for r in dataset.resources if r.modified]
    for value in (dataset.modified, max(declared, key=_parse) if declared else None, dataset.issued):
        if value:
            return _parse(value)
    return None


def freshness(dataset: Dataset, *, now: datetime) -> Freshness:
    declared = last_change(dataset)
    # Without a declared date, the record's own is the best there is; the page says so.
    updated = declared or dataset.updated_at
    age = max(now - updated, timedelta(0))
    period = expected_interval(dataset.frequency)
    if period is None:
        return Freshness(
            updated=updated, age=age, period=None, status="unknown", declared=declared is not None
        )
    status: Status = "on-time" if age <= period + grace(period) else "late"
    return Freshness(updated=updated, age=age, period=period, status=status, declared=declared is not None)
