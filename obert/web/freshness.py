"""How fresh a dataset looks on its page: the one rule of obert.watch.freshness (which the API, the late
list and the publisher's dashboard use too), with the age to print beside the date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from obert.watch.freshness import Freshness as Rule

Status = Literal["on-time", "late", "unknown"]


@dataclass(frozen=True, slots=True)
class Freshness:
    updated: datetime
    age: timedelta
    status: Status  # "unknown" when the declared frequency promises no interval
    declared: bool  # False when nothing dates the data and the record's creation stands in


def freshness(rule: Rule, *, now: datetime) -> Freshness:
    status: Status = "unknown" if rule.expected_every is None else "late" if rule.late else "on-time"
    return Freshness(
        updated=rule.last_updated,
        age=max(now - rule.last_updated, timedelta(0)),
        status=status,
        declared=rule.declared,
    )
