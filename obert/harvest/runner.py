"""The generic harvest runner: owns persistence, per-item status, dry runs and error capture.

A backend only lists records. The runner compares each record's content hash with the one stored in
`dataset_sources` (read in one query), writes only what changed, links a dataset another source already
brought instead of duplicating it, withdraws what disappeared from the source (never deletes it) and
publishes it again if it comes back. A source that fails part-way withdraws nothing: only a listing that
ran to the end can say that something is gone.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Connection

from obert.auth import SYSTEM
from obert.catalog import datasets as dataset_service
from obert.catalog.common import validated
from obert.catalog.models import Dataset, DatasetInput, State
from obert.errors import Message, ObertError, described, msg
from obert.harvest import links, persist, runs
from obert.harvest.backends import backend_for
from obert.harvest.backends.base import FetchContext
from obert.harvest.fetch import Fetcher
from obert.harvest.mapping import content_hash, masked
from obert.harvest.models import (
    Failure,
    ItemReport,
    ItemStatus,
    Listing,
    Record,
    RunReport,
    Source,
    SourceType,
)
from obert.metrics import Metrics
from obert.storage import Store
from obert.storage.files import FileStore
from obert.untrusted.sandbox import Limits

Progress = Callable[[int, str], None]
MAX_REMOTE_ID = 500
_SURROGATES = re.compile("[\ud800-\udfff]")
CREATE_BATCH = 200  # new datasets written per transaction
MAX_REASON = 2000  # characters of an item's reason kept
LIVE = (State.PUBLISHED.value, State.DRAFT.value, State.REVIEW.value)


@dataclass
class HarvestContext:
    store: Store
    files: FileStore
    fetcher: Fetcher
    ingest: persist.IngestRequester = field(default_factory=persist.NoIngest)
    max_bytes: int = 2 * 1024**3
    work_root: Path | None = None
    # A DCAT page is read in a child process that may spend this much CPU time (more for a large page:
    # see backends.dcat.SECONDS_PER_MB) and memory.
    parse_seconds: float = 30.0
    parse_memory: int = 2 * 1024**3
    metrics: Metrics | None = None


def run_harvest(
    *,
    ctx: HarvestContext,
    source: Source,
    dry_run: bool = False,
    job_id: str | None = None,
    progress: Progress | None = None,
) -> RunReport:
    """Harvest `source` once. A dry run reports what would change and writes nothing at all."""
    started = datetime.now(UTC)
    report = RunReport(id=str(uuid.uuid4()), source_id=source.id, dry_run=dry_run, started_at=started)
    if not dry_run:
        runs.start_run(ctx.store, report, job_id=job_id)
    work_dir = Path(tempfile.mkdtemp(prefix="harvest-", dir=ctx.work_root))
    item_sink = runs.ItemSink(ctx.store, report, persist_items=not dry_run)
    listing = Listing()
    try:
        _harvest_items(ctx, source, report, item_sink, listing, work_dir, dry_run, started, progress)
        item_sink.flush()
    except ObertError as exc:
        item_sink.flush()
        report.state = "failed"
        report.error = described(exc)
    else:
        report.state = "done"
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    report.finished_at = datetime.now(UTC)
    if not dry_run:
        cursor = listing.cursor if report.state == "done" else None
        runs.finish_run(ctx.store, report, source_id=source.id, cursor=cursor)
    if ctx.metrics is not None and not dry_run:
        for status, count in report.counts.items():
            ctx.metrics.harvest_items.labels(str(status)).inc(count)
    return report


def _harvest_items(
    ctx: HarvestContext,
    source: Source,
    report: RunReport,
    sink: runs.ItemSink,
    listing: Listing,
    work_dir: Path,
    dry_run: bool,
    started: datetime,
    progress: Progress | None,
) -> None:
    known = links.load_links(ctx.store, source.id)
    limits = Limits(seconds=ctx.parse_seconds, memory=ctx.parse_memory)
    fetch_ctx = FetchContext(fetcher=ctx.fetcher, work_dir=work_dir, listing=listing, limits=limits)
    state = _RunState(ctx, source, known, dry_run, started)
    seen: set[str] = set()
    unchanged: list[str] = []
    done = 0
    for found in backend_for(source.type)(source, fetch_ctx):
        done += 1
        entry = _short_id(_valid_text(found))
        seen.add(entry.remote_id)
        if isinstance(entry, Record):
            item = state.apply(entry)
            if item and item.status is ItemStatus.UNCHANGED:
                unchanged.append(entry.remote_id)
        else:
            item = ItemReport(entry.remote_id, ItemStatus.FAILED, reason=entry.reason)
        if item:
            sink.add(item)
        if len(state.pending) >= CREATE_BATCH:
            for created in state.flush():
                sink.add(created)
        if progress and done % 100 == 0:
            progress(done, f"{done} items: {_summary(report)}")
    for created in state.flush():
        sink.add(created)
    if not dry_run:
        links.touch_seen(ctx.store, source_id=source.id, remote_ids=unchanged, at=started)
    present = seen if listing.complete else listing.all_ids
    if present is not None:
        for remote_id, link in known.items():
            if remote_id not in present and remote_id not in seen and not link.gone:
                sink.add(state.withdraw(remote_id, link))
    if progress:
        progress(done, f"finished: {_summary(report)}")


class _RunState:
    def __init__(
        self, ctx: HarvestContext, source: Source, known: dict[str, links.Link], dry_run: bool, at: datetime
    ) -> None:
        self.ctx = ctx
        self.source = source
        self.known = known
        self.dry_run = dry_run
        self.at = at
        self.publishers = persist.Publishers(ctx.store, dry_run=dry_run)
        self._index: links.MatchIndex | None = None
        self.pending: list[tuple[Record, DatasetInput, str, str | None]] = []
        self._pending_names: set[str] = set()
        # Portals of many publishers (CKAN, DCAT) map theirs to obert organisations unless told not to.
        default = source.type in (SourceType.CKAN, SourceType.DCAT)
        self.map_publishers = bool(source.config.get("map_organizations", default))

    @property
    def index(self) -> links.MatchIndex:
        if self._index is None:
            self._index = links.MatchIndex(self.ctx.store)
        return self._index

    def apply(self, record: Record) -> ItemReport | None:
        """The item's report, or None when its creation waits in `pending` for the next `flush`."""
        title = _first(record.dataset.get("title"))
        try:
            return self._apply(record, title)
        except ObertError as exc:
            return ItemReport(record.remote_id, ItemStatus.FAILED, title=title, reason=_cut(described(exc)))

    def _apply(self, record: Record, title: str | None) -> ItemReport | None:
        digest = content_hash(
            record.dataset,
            record.publisher,
            [f.sha256 for f in record.files],
            self.source.organization_id,
            self.source.name,
        )
        link = self.known.get(record.remote_id)
        if link and link.state == State.DELETED.value:
            return ItemReport(
                record.remote_id,
                ItemStatus.UNCHANGED,
                link.dataset_id,
                title,
                msg("deleted in obert: not recreated"),
            )
        back = link is not None and (link.gone or link.state == State.WITHDRAWN.value)
        if link and link.hash == digest and not back:
            return ItemReport(record.remote_id, ItemStatus.UNCHANGED, link.dataset_id, title)
        publisher = record.publisher if self.map_publishers else None
        org_id = self.publishers.resolve(publisher) if publisher else self.source.organization_id
        data = validated(DatasetInput, self._input(record, org_id))
        if link and not link.owner:
            # Another source writes this dataset; this one only keeps its link (and republishes nothing).
            self._save_link(record, link.dataset_id, digest, owner=False)
            return ItemReport(
                record.remote_id, ItemStatus.LINKED, link.dataset_id, title, msg("written by another source")
            )
        if link:
            if not self.dry_run:
                dataset = persist.update(
                    store=self.ctx.store,
                    files=self.ctx.files,
                    dataset_id=link.dataset_id,
                    data=data,
                    local_files=record.files,
                    max_bytes=self.ctx.max_bytes,
                )
                self._save_link(record, dataset.id, digest, owner=True)
                self._ingest(dataset)
            reason = msg("back in the source: published again") if back else None
            return ItemReport(record.remote_id, ItemStatus.UPDATED, link.dataset_id, title, reason)
        match = self.index.find(
            identifier=record.identifier,
            landing_page=data.landing_page,
            titles=data.title.values(),
            org_id=org_id,
        )
        if match:
            self._save_link(record, match, digest, owner=False)
            return ItemReport(
                record.remote_id,
                ItemStatus.LINKED,
                match,
                title,
                msg("already in the catalogue: linked, not duplicated"),
            )
        if self.dry_run:
            return ItemReport(record.remote_id, ItemStatus.CREATED, None, title)
        if not record.files and data.name not in self._pending_names:
            self.pending.append((record, data, digest, title))
            self._pending_names.add(data.name)
            return None
        return self._create_one(record, data, digest, title)

    def _create_one(self, record: Record, data: DatasetInput, digest: str, title: str | None) -> ItemReport:
        created = persist.create(
            store=self.ctx.store,
            files=self.ctx.files,
            data=data,
            local_files=record.files,
            max_bytes=self.ctx.max_bytes,
        )
        self._save_link(record, created.id, digest, owner=True)
        self.index.add(created.id, identifier=record.identifier, landing_page=data.landing_page)
        self._ingest(created)
        return ItemReport(record.remote_id, ItemStatus.CREATED, created.id, title)

    def flush(self) -> list[ItemReport]:
        """Create the pending datasets together with their links in one transaction; if the batch is
        refused (a name taken meanwhile, one bad publisher), create them one by one so only the bad
        one fails."""
        batch, self.pending, self._pending_names = self.pending, [], set()
        if not batch:
            return []

        def link_them(conn: Connection, created: list[Dataset]) -> None:
            rows = [
                (r.remote_id, d.id, digest, r.identifier)
                for (r, _, digest, _), d in zip(batch, created, strict=True)
            ]
            links.insert_links(conn, source_id=self.source.id, at=self.at, rows=rows)

        try:
            created = dataset_service.create_datasets(
                store=self.ctx.store, actor=SYSTEM, items=[data for _, data, _, _ in batch], then=link_them
            )
        except ObertError:
            return [self._create_one_safely(r, data, digest, title) for r, data, digest, title in batch]
        reports = []
        for (record, data, _, title), dataset in zip(batch, created, strict=True):
            self.index.add(dataset.id, identifier=record.identifier, landing_page=data.landing_page)
            self._ingest(dataset)
            reports.append(ItemReport(record.remote_id, ItemStatus.CREATED, dataset.id, title))
        return reports

    def _create_one_safely(
        self, record: Record, data: DatasetInput, digest: str, title: str | None
    ) -> ItemReport:
        try:
            return self._create_one(record, data, digest, title)
        except ObertError as exc:
            return ItemReport(record.remote_id, ItemStatus.FAILED, title=title, reason=_cut(described(exc)))

    def withdraw(self, remote_id: str, link: links.Link) -> ItemReport:
        if self.dry_run:
            return ItemReport(
                remote_id, ItemStatus.WITHDRAWN, link.dataset_id, None, msg("gone from the source")
            )
        with self.ctx.store.begin() as conn:
            links.mark_gone(conn, source_id=self.source.id, remote_id=remote_id)
            others = links.other_live_sources(conn, dataset_id=link.dataset_id, source_id=self.source.id)
        if others or not link.owner or link.state != State.PUBLISHED.value:
            return ItemReport(
                remote_id,
                ItemStatus.WITHDRAWN,
                link.dataset_id,
                None,
                msg("gone from the source; the dataset stays"),
            )
        try:
            persist.set_state(store=self.ctx.store, dataset_id=link.dataset_id, state=State.WITHDRAWN)
        except ObertError as exc:
            return ItemReport(
                remote_id,
                ItemStatus.FAILED,
                link.dataset_id,
                None,
                msg("cannot withdraw: {reason}", reason=exc.message),
            )
        return ItemReport(remote_id, ItemStatus.WITHDRAWN, link.dataset_id, None, msg("gone from the source"))

    def _input(self, record: Record, org_id: str | None) -> dict[str, object]:
        extras = dict(record.dataset.get("extras") or {})
        extras.update(
            {
                "harvest_source": self.source.name,
                "harvest_source_url": masked(self.source.url),
                "harvest_remote_id": record.remote_id,
                "harvested_at": self.at.isoformat(timespec="seconds"),
            }
        )
        return {**record.dataset, "organization": org_id, "extras": extras, "state": State.PUBLISHED.value}

    def _save_link(self, record: Record, dataset_id: str, digest: str, *, owner: bool) -> None:
        if self.dry_run:
            return
        links.save_link(
            self.ctx.store,
            source_id=self.source.id,
            remote_id=record.remote_id,
            dataset_id=dataset_id,
            hash=digest,
            identifier=record.identifier,
            owner=owner,
            at=self.at,
        )

    def _ingest(self, dataset: Dataset) -> None:
        if self.source.auto_ingest:
            persist.request_ingest(self.ctx.ingest, dataset)


def _cut(reason: str) -> str:
    """A reason short enough to store (a longer one is cut, in English)."""
    return reason if len(reason) <= MAX_REASON else reason[:MAX_REASON]


def _valid_text(entry: Record | Failure) -> Record | Failure:
    # JSON's "\ud800" and Turtle's "\uD800" decode to lone surrogates, which no UTF-8 writer (the
    # content hash, the database) accepts: one such character would stop the whole run. It becomes U+FFFD.
    if isinstance(entry, Failure):
        return replace(entry, remote_id=_text(entry.remote_id), reason=_text(entry.reason))
    return replace(
        entry,
        remote_id=_text(entry.remote_id),
        dataset=_text(entry.dataset),
        publisher=_text(entry.publisher),
        identifier=_text(entry.identifier),
    )


def _text(value: Any) -> Any:
    if isinstance(value, Message):  # a reason to give in the reader's language: its parameters cleaned
        return Message(value.template, _text(dict(value.params)))
    if isinstance(value, str):
        return _SURROGATES.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_text(k): _text(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_text(v) for v in value]
    return value


def _short_id(entry: Record | Failure) -> Record | Failure:
    # Remote ids are link keys (500 characters at most); a longer one (a URL with a huge query) is cut
    # and made unique again with its hash, the same way every run.
    if len(entry.remote_id) <= MAX_REMOTE_ID:
        return entry
    digest = hashlib.sha256(entry.remote_id.encode()).hexdigest()
    return replace(entry, remote_id=f"{entry.remote_id[: MAX_REMOTE_ID - 65]}#{digest}")


def _first(value: object) -> str | None:
    if isinstance(value, dict):
        return next((str(v) for v in value.values()), None)
    return None


def _summary(report: RunReport) -> str:
    return ", ".join(f"{n} {status}" for status, n in sorted(report.counts.items())) or "nothing yet"
