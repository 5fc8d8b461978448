"""How fresh a dataset is: when it last changed, and whether that is on time for its declared frequency."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from obert.catalog.models import Dataset
from obert.catalog.vocabulary import vocabulary

Status = Literal["on-time", "late", "unknown"]

_DURATION = re.compile(
    r"^P(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?)?$"
)
# Calendar units as averages: a freshness check needs days, not calendar arithmetic.
_DAYS = {"years": 365.25, "months": 30.44, "weeks": 7.0, "days": 1.0, "hours": 1 / 24, "minutes": 1 / 1440}
# An update counts as late only after one and a half periods, so a monthly dataset published a few days
# after the month ends is not flagged.
GRACE = 1.5


@dataclass(frozen=True, slots=True)
class Freshness:
    updated: datetime
    age: timedelta
    period: timedelta | None
    status: Status
    declared: bool  # False when no date came from the publisher and the record's own date stands in


def parse_duration(value: str) -> timedelta | None:
    """An ISO 8601 duration such as P1Y, P6M, P2W, PT12H as a timedelta; None when it is not one."""
    match = _DURATION.match(value)
    if not match or not any(match.groupdict().values()):
        return None
    days = sum(_DAYS[unit] * int(n) for unit, n in match.groupdict().items() if n)
    return timedelta(days=days)


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
    period = None
    if dataset.frequency:
        concept = vocabulary("frequency").get(dataset.frequency)
        iso = concept.extra.get("iso8601") if concept else None
        period = parse_duration(str(iso)) if iso else None
    if period is None:
        return Freshness(
            updated=updated, age=age, period=None, status="unknown", declared=declared is not None
        )
    status: Status = "on-time" if age <= period * GRACE else "late"
    return Freshness(updated=updated, age=age, period=period, status=status, declared=declared is not None)
