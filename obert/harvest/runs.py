"""Run reports: a harvest_runs row per run and a harvest_items row per item, written in batches."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from obert.errors import NotFound, from_record, message_record, msg
from obert.harvest.models import ItemReport, ItemStatus, RunReport
from obert.storage import Store
from obert.storage.tables.harvest import harvest_items, harvest_runs, harvest_sources

BATCH = 500
_INTERRUPTED = msg("interrupted: the worker stopped before the end; the run was started again")


def start_run(store: Store, report: RunReport, *, job_id: str | None) -> None:
    with store.begin() as conn:
        # Runs of one source never overlap (one active job per source), so a run still marked running
        # died with its worker (kill -9, power loss) and its job is being run again now: say so.
        conn.execute(
            harvest_runs.update()
            .where(
                harvest_runs.c.source_id == report.source_id,
                harvest_runs.c.state == "running",
                harvest_runs.c.dry_run.is_(False),
            )
            .values(
                state="failed",
                error=str(_INTERRUPTED),
                error_message=message_record(_INTERRUPTED),
                finished_at=report.started_at,
            )
        )
        conn.execute(
            harvest_runs.insert().values(
                id=report.id,
                source_id=report.source_id,
                job_id=job_id,
                dry_run=report.dry_run,
                state="running",
                counts={},
                started_at=report.started_at,
            )
        )


def finish_run(store: Store, report: RunReport, *, source_id: str, cursor: str | None) -> None:
    with store.begin() as conn:
        conn.execute(
            harvest_runs.update()
            .where(harvest_runs.c.id == report.id)
            .values(
                state=report.state,
                counts=report.counts,
                error=report.error,
                error_message=message_record(report.error),
                finished_at=report.finished_at,
            )
        )
        values: dict[str, Any] = {"last_run_at": report.started_at}
        if report.state == "done":
            values["cursor"] = cursor
        conn.execute(harvest_sources.update().where(harvest_sources.c.id == source_id).values(**values))


class ItemSink:
    """Collects item reports: counts always; rows written a batch at a time so memory stays flat.
    A dry run has nowhere to write, so it keeps its items in the report it returns."""

    def __init__(self, store: Store, report: RunReport, *, persist_items: bool) -> None:
        self.store = store
        self.report = report
        self.persist_items = persist_items
        self._pending: list[dict[str, Any]] = []

    def add(self, item: ItemReport) -> None:
        self.report.counts[item.status.value] = self.report.counts.get(item.status.value, 0) + 1
        if not self.persist_items:
            self.report.items.append(item)
            return
        self._pending.append(
            {
                "run_id": self.report.id,
                "remote_id": item.remote_id,
                "status": item.status.value,
                "dataset_id": item.dataset_id,
                "title": item.title,
                "reason": item.reason,
                "reason_message": message_record(item.reason),
            }
        )
        if len(self._pending) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if self._pending:
            with self.store.begin() as conn:
                conn.execute(harvest_items.insert(), self._pending)
            self._pending = []


def list_runs(store: Store, *, source_id: str, limit: int = 20) -> list[RunReport]:
    with store.read() as conn:
        rows = conn.execute(
            sa.select(harvest_runs)
            .where(harvest_runs.c.source_id == source_id)
            .order_by(harvest_runs.c.started_at.desc())
            .limit(limit)
        ).all()
    return [_report(r) for r in rows]


def get_run(
    store: Store, *, source_id: str, run_id: str, status: ItemStatus | None = None, limit: int = 1000
) -> RunReport:
    """A run with its items (those of one status, if given), the changes first."""
    with store.read() as conn:
        row = conn.execute(
            sa.select(harvest_runs).where(harvest_runs.c.id == run_id, harvest_runs.c.source_id == source_id)
        ).first()
        if row is None:
            raise NotFound(f"no harvest run '{run_id}'")
        report = _report(row)
        query = sa.select(harvest_items).where(harvest_items.c.run_id == run_id)
        if status:
            query = query.where(harvest_items.c.status == status.value)
        order = sa.case((harvest_items.c.status == ItemStatus.UNCHANGED.value, 1), else_=0)
        for item in conn.execute(query.order_by(order, harvest_items.c.id).limit(limit)):
            report.items.append(
                ItemReport(
                    item.remote_id,
                    ItemStatus(item.status),
                    item.dataset_id,
                    item.title,
                    from_record(item.reason, item.reason_message),
                )
            )
    return report


def _report(row: Any) -> RunReport:
    started: datetime = row.started_at
    return RunReport(
        id=row.id,
        source_id=row.source_id,
        dry_run=row.dry_run,
        state=row.state,
        counts=dict(row.counts or {}),
        error=from_record(row.error, row.error_message),
        started_at=started,
        finished_at=row.finished_at,
    )
