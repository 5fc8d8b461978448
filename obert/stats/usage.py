"""Writing usage counts to `usage_daily` (adding to what other processes wrote) and reading them back."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from obert.auth import ANONYMOUS, Actor
from obert.catalog.access import load_dataset, visible_to
from obert.errors import FieldError, Invalid, ObertError
from obert.stats.counter import KINDS, Key, UsageCounter
from obert.storage import Store
from obert.storage.tables.catalog import datasets, organizations, resources
from obert.storage.tables.transparency import usage_daily

MAX_DAYS = 3660


def flush(store: Store, counter: UsageCounter) -> int:
    """Add the pending counts to the table; returns how many (dataset, day, kind) rows it touched.
    Counts for references that name no dataset (a mistyped address that still answered) are dropped."""
    pending = counter.drain()
    if not pending:
        return 0
    try:
        with store.begin() as conn:
            totals = _resolve(conn, pending)
            insert = pg_insert if store.backend == "postgresql" else sqlite_insert
            for (dataset_id, day, kind), count in totals.items():
                statement = insert(usage_daily).values(dataset_id=dataset_id, day=day, kind=kind, count=count)
                conn.execute(
                    statement.on_conflict_do_update(
                        index_elements=["dataset_id", "day", "kind"],
                        set_={"count": usage_daily.c["count"] + statement.excluded["count"]},
                    )
                )
    except ObertError:
        counter.restore(pending)
        raise
    return len(totals)


def _resolve(conn: Connection, pending: dict[Key, int]) -> dict[tuple[str, date, str], int]:
    dataset_refs = {ref for (ref_type, ref, _, _) in pending if ref_type == "dataset"}
    resource_refs = {ref for (ref_type, ref, _, _) in pending if ref_type == "resource"}
    ids: dict[tuple[str, str], str] = {}
    if dataset_refs:
        for row in conn.execute(
            sa.select(datasets.c.id, datasets.c.name).where(
                sa.or_(datasets.c.id.in_(dataset_refs), datasets.c.name.in_(dataset_refs))
            )
        ):
            ids[("dataset", row.id)] = ids[("dataset", row.name)] = row.id
    if resource_refs:
        for res in conn.execute(
            sa.select(resources.c.id, resources.c.name, resources.c.dataset_id).where(
                sa.or_(resources.c.id.in_(resource_refs), resources.c.name.in_(resource_refs))
            )
        ):
            ids[("resource", res.id)] = ids[("resource", res.name)] = res.dataset_id
    totals: dict[tuple[str, date, str], int] = defaultdict(int)
    for (ref_type, ref, day, kind), count in pending.items():
        dataset_id = ids.get((ref_type, ref))
        if dataset_id:
            totals[(dataset_id, day, kind)] += count
    return totals


@dataclass(frozen=True, slots=True)
class DatasetUsage:
    dataset_id: str
    name: str
    title: dict[str, str]
    organization: dict[str, Any] | None
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(v for k, v in self.counts.items() if k != "bot")


@dataclass(frozen=True, slots=True)
class UsageReport:
    since: date
    until: date
    totals: dict[str, int]
    top: list[DatasetUsage]
    by_month: list[tuple[str, dict[str, int]]]  # ("2026-11", {"view": 3, ...}), oldest first
    by_publisher: list[tuple[dict[str, Any] | None, dict[str, int]]]
    daily: list[tuple[date, dict[str, int]]] = field(default_factory=list)


def _window(days: int, today: date | None) -> tuple[date, date]:
    if not 1 <= days <= MAX_DAYS:
        raise Invalid("bad period", errors=[FieldError("days", f"must be between 1 and {MAX_DAYS}")])
    until = today or datetime.now(UTC).date()
    return until - timedelta(days=days - 1), until


def portal_usage(
    *, store: Store, actor: Actor = ANONYMOUS, days: int = 365, top: int = 20, today: date | None = None
) -> UsageReport:
    """The portal's figures over the last `days` days, for the datasets `actor` may see."""
    since, until = _window(days, today)
    joined = usage_daily.join(datasets, datasets.c.id == usage_daily.c.dataset_id).outerjoin(
        organizations, organizations.c.id == datasets.c.organization_id
    )
    where = (usage_daily.c.day >= since, usage_daily.c.day <= until, visible_to(actor))
    with store.read() as conn:
        rows = conn.execute(
            sa.select(
                usage_daily.c.dataset_id,
                usage_daily.c.day,
                usage_daily.c.kind,
                usage_daily.c["count"].label("n"),
                datasets.c.name,
                datasets.c.title,
                organizations.c.id.label("org_id"),
                organizations.c.name.label("org_name"),
                organizations.c.title.label("org_title"),
            )
            .select_from(joined)
            .where(*where)
        ).all()
    totals: dict[str, int] = dict.fromkeys(KINDS, 0)
    per_dataset: dict[str, DatasetUsage] = {}
    months: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(KINDS, 0))
    publishers: dict[str | None, tuple[dict[str, Any] | None, dict[str, int]]] = {}
    for r in rows:
        totals[r.kind] = totals.get(r.kind, 0) + r.n
        org = {"id": r.org_id, "name": r.org_name, "title": r.org_title} if r.org_id else None
        usage = per_dataset.setdefault(
            r.dataset_id, DatasetUsage(r.dataset_id, r.name, r.title, org, dict.fromkeys(KINDS, 0))
        )
        usage.counts[r.kind] += r.n
        months[r.day.strftime("%Y-%m")][r.kind] += r.n
        publishers.setdefault(r.org_id, (org, dict.fromkeys(KINDS, 0)))[1][r.kind] += r.n
    ranked = sorted(per_dataset.values(), key=lambda u: (-u.total, u.name))[:top]
    by_publisher = sorted(publishers.values(), key=lambda p: -sum(v for k, v in p[1].items() if k != "bot"))
    return UsageReport(since, until, totals, ranked, sorted(months.items()), by_publisher)


def dataset_usage(
    *, store: Store, actor: Actor, ref: str, days: int = 90, today: date | None = None
) -> UsageReport:
    """One dataset's figures, day by day, over the last `days` days."""
    since, until = _window(days, today)
    with store.read() as conn:
        dataset = load_dataset(conn, actor, ref)
        rows = conn.execute(
            sa.select(usage_daily.c.day, usage_daily.c.kind, usage_daily.c["count"].label("n")).where(
                usage_daily.c.dataset_id == dataset.id, usage_daily.c.day >= since, usage_daily.c.day <= until
            )
        ).all()
    totals: dict[str, int] = dict.fromkeys(KINDS, 0)
    daily: dict[date, dict[str, int]] = defaultdict(lambda: dict.fromkeys(KINDS, 0))
    months: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(KINDS, 0))
    for r in rows:
        totals[r.kind] += r.n
        daily[r.day][r.kind] += r.n
        months[r.day.strftime("%Y-%m")][r.kind] += r.n
    org = dataset.organization.model_dump() if dataset.organization else None
    usage = DatasetUsage(dataset.id, dataset.name, dataset.title, org, dict(totals))
    return UsageReport(since, until, totals, [usage], sorted(months.items()), [], sorted(daily.items()))
