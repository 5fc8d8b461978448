"""Is a dataset as fresh as its declared update frequency (EU frequency vocabulary) promises?

The expected interval is the frequency's ISO 8601 duration. A dataset is late once its last real update is
older than that interval plus a grace of 10% and two days: publishers batch their work, and a monthly
dataset updated on the 3rd instead of the 1st is not late. Frequencies without a duration (continuous,
irregular, unknown, never, other) are never flagged.

The last update is the latest of the dataset's declared `modified` date, its resources' `modified` dates
and the moment a file was last uploaded to one of its resources; metadata edits (a fixed typo) do not count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from obert.auth import Actor
from obert.catalog.access import load_dataset
from obert.catalog.models import Dataset
from obert.catalog.vocabulary import vocabulary
from obert.storage import Store
from obert.storage.tables.catalog import activity

GRACE_RATIO = 0.10
GRACE_FIXED = timedelta(days=2)
_DURATION = re.compile(
    r"^P(?:(?P<y>\d+)Y)?(?:(?P<mo>\d+)M)?(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?"
    r"(?:T(?:(?P<h>\d+)H)?(?:(?P<mi>\d+)M)?)?$"
)


@dataclass(frozen=True, slots=True)
class Freshness:
    dataset_id: str
    dataset_name: str
    frequency: str | None
    expected_every: timedelta | None  # None: the frequency promises no interval
    last_updated: datetime
    declared: bool  # False when nothing dates the data and the record's creation stands in
    due_by: datetime | None  # when it becomes late
    late: bool
    late_by: timedelta | None

    @property
    def status(self) -> str:
        if self.expected_every is None:
            return "not_applicable"
        return "late" if self.late else "fresh"


def parse_duration(text: str) -> timedelta:
    """An ISO 8601 duration as a timedelta, with calendar years and months at their average length."""
    match = _DURATION.match(text)
    if not match or text in ("P", "PT"):
        raise ValueError(f"not an ISO 8601 duration: {text!r}")
    n = {k: int(v) if v else 0 for k, v in match.groupdict().items()}
    days = n["y"] * 365.25 + n["mo"] * 30.44 + n["w"] * 7 + n["d"]
    return timedelta(days=days, hours=n["h"], minutes=n["mi"])


def expected_interval(frequency: str | None) -> timedelta | None:
    concept = vocabulary("frequency").get(frequency) if frequency else None
    duration = concept.extra.get("iso8601") if concept else None
    return parse_duration(str(duration)) if duration else None


def grace(interval: timedelta) -> timedelta:
    return interval * GRACE_RATIO + GRACE_FIXED


# Built once: every dataset page asks it, and building the statement costs more than running it.
_LAST_UPLOAD = sa.select(sa.func.max(activity.c.at)).where(
    activity.c.object_type == "resource",
    activity.c.action == "upload",
    activity.c.object_id.in_(sa.bindparam("ids", expanding=True)),
)


def last_upload(conn: Connection, dataset: Dataset) -> datetime | None:
    """The last moment a file was uploaded to one of the dataset's resources."""
    resource_ids = [r.id for r in dataset.resources]
    if not resource_ids:
        return None
    return as_utc(conn.execute(_LAST_UPLOAD, {"ids": resource_ids}).scalar())


def as_utc(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment and moment.tzinfo is None else moment


@dataclass(frozen=True, slots=True)
class Dated:
    """What the rule reads of a dataset: a whole `Dataset` has it, a listing reads only this."""

    id: str
    name: str
    frequency: str | None
    modified: str | None
    issued: str | None
    created_at: datetime
    resources_modified: tuple[str | None, ...]  # of its live resources

    @classmethod
    def of(cls, dataset: Dataset) -> Dated:
        return cls(
            id=dataset.id,
            name=dataset.name,
            frequency=dataset.frequency,
            modified=dataset.modified,
            issued=dataset.issued,
            created_at=dataset.created_at,
            resources_modified=tuple(r.modified for r in dataset.resources),
        )


@dataclass(frozen=True, slots=True)
class Timeline:
    """What the rule makes of a dataset's dates before it looks at the clock."""

    dated: Dated
    interval: timedelta | None  # None: the frequency promises no interval
    last: datetime
    declared: bool
    due: datetime | None  # when it becomes late

    def at(self, now: datetime) -> Freshness:
        late = self.due is not None and now > self.due
        return Freshness(
            dataset_id=self.dated.id,
            dataset_name=self.dated.name,
            frequency=self.dated.frequency,
            expected_every=self.interval,
            last_updated=self.last,
            declared=self.declared,
            due_by=self.due,
            late=late,
            late_by=(now - self.due) if late and self.due else None,
        )


def timeline(d: Dated, *, uploaded: datetime | None) -> Timeline:
    """The rule itself, given the dataset's dates and its last upload (see the module's docstring)."""
    interval = expected_interval(d.frequency)
    known = [_parse(d.modified), *(_parse(m) for m in d.resources_modified), uploaded]
    declared = [m for m in known if m is not None]
    # Nothing says when the data changed: its publication is the best we know, else the record's creation.
    dated = max(declared) if declared else _parse(d.issued)
    last = dated or d.created_at
    due = last + interval + grace(interval) if interval else None
    return Timeline(d, interval, last, dated is not None, due)


def assess(d: Dated, *, uploaded: datetime | None, now: datetime | None = None) -> Freshness:
    """The dataset's freshness now (or at `now`)."""
    return timeline(d, uploaded=uploaded).at(now or datetime.now(UTC))


def freshness(conn: Connection, dataset: Dataset, *, now: datetime | None = None) -> Freshness:
    return assess(Dated.of(dataset), uploaded=last_upload(conn, dataset), now=now)


def _parse(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        try:
            day = date.fromisoformat(value[:10])
        except ValueError:
            return None
        parsed = datetime(day.year, day.month, day.day)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def dataset_freshness(*, store: Store, actor: Actor, ref: str, now: datetime | None = None) -> Freshness:
    with store.read() as conn:
        return freshness(conn, load_dataset(conn, actor, ref), now=now)


def loaded_freshness(*, store: Store, dataset: Dataset, now: datetime | None = None) -> Freshness:
    """The freshness of `dataset`, which the caller has already loaded for its reader (and so may see)."""
    with store.read() as conn:
        return freshness(conn, dataset, now=now)
