"""Composition root: builds the stores and services obert runs on from one Settings object."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from obert.catalog.indexing import ensure_index
from obert.catalog.workflow import DEFAULT_POLICY, WorkflowPolicy
from obert.harvest.persist import IngestRequester, NoIngest
from obert.http import Allowlist, HttpClient
from obert.jobs import JobHandler, JobRunner, Periodic
from obert.metrics import Metrics
from obert.ratelimit import RateLimiter
from obert.settings import Settings
from obert.stats.counter import UsageCounter
from obert.storage import Store, migrate
from obert.storage.files import FileStore
from obert.storage.tablestore import TableStore
from obert.tableservice.service import Ingester

if TYPE_CHECKING:
    from obert.harvest.runner import HarvestContext
    from obert.sparql import Endpoint


@dataclass(frozen=True, slots=True)
class Portal:
    settings: Settings
    store: Store
    files: FileStore
    tables: TableStore
    metrics: Metrics
    http: HttpClient
    ingester: Ingester
    # The SPARQL endpoint over this process's own copy of the public catalogue graph.
    sparql: Endpoint
    job_handlers: Mapping[str, JobHandler] = field(default_factory=dict)
    periodic: Sequence[Periodic] = ()
    # Harvested tabular resources are handed here when a source asks for it.
    ingest_requester: IngestRequester = field(default_factory=NoIngest)

    def harvest_context(self) -> HarvestContext:
        from obert.harvest.fetch import Fetcher
        from obert.harvest.runner import HarvestContext

        fetcher = Fetcher(
            self.http,
            per_second=self.settings.harvest_requests_per_second,
            retries=self.settings.harvest_retries,
        )
        return HarvestContext(
            store=self.store,
            files=self.files,
            fetcher=fetcher,
            ingest=self.ingest_requester,
            max_bytes=self.settings.max_upload_bytes,
            metrics=self.metrics,
        )

    usage: UsageCounter = field(default_factory=UsageCounter)
    limiter: RateLimiter = field(default_factory=RateLimiter)
    workflow: WorkflowPolicy = DEFAULT_POLICY

    def job_runner(self, threads: int) -> JobRunner:
        """Workers for every kind of job this portal knows how to run."""
        return JobRunner(
            self.store,
            self.job_handlers,
            threads=threads,
            lease_seconds=self.settings.job_lease_seconds,
            periodic=self.periodic,
            metrics=self.metrics,
        )

    def close(self) -> None:
        self.http.close()
        self.store.dispose()


def build_ingester(
    settings: Settings, *, run_migrations: bool = True, metrics: Metrics | None = None
) -> Ingester:
    """Open (and by default migrate) only what ingesting a file needs: `obert ingest` starts in a
    fraction of the time the whole portal takes to import (no harvesters, SPARQL, webhooks or links).
    The caller closes ``ingester.http`` and disposes of ``ingester.store``."""
    from obert.tableservice.personal_data import FileGate, PersonalDataGate
    from obert.tableservice.schema_gate import SchemaChangeGate

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = Store(settings.sqlalchemy_url)
    if run_migrations:
        migrate.upgrade(store)
        ensure_index(store=store, workers=settings.index_workers)  # a database from before search: once
    files = FileStore(settings.files_dir)
    tables = TableStore(settings.data_dir)
    http = HttpClient(allowlist=Allowlist.parse(settings.http_allowlist))
    gates = (
        PersonalDataGate(sample_rows=settings.privacy_scan_rows),
        FileGate(sample_rows=settings.privacy_scan_rows),
        SchemaChangeGate(store),
    )
    return Ingester(
        settings=settings, store=store, files=files, tables=tables, http=http, gates=gates, metrics=metrics
    )


def build_portal(settings: Settings, *, run_migrations: bool = True) -> Portal:
    """Open (and by default migrate) everything `settings` points at."""
    # Imported here, not at the top, so that commands needing only part of the portal (`obert ingest`,
    # through build_ingester) do not pay for importing the rest.
    from obert.catalog.tabular import INGEST_JOB
    from obert.datastore import resident
    from obert.dcat.context import CatalogInfo
    from obert.harvest.jobs import KIND as HARVEST
    from obert.harvest.jobs import harvest_handler
    from obert.harvest.jobs import schedule as harvest_schedule
    from obert.jobs.queue import count_active
    from obert.notify import webhooks
    from obert.sparql import CatalogueGraph, Endpoint, snapshot_path
    from obert.tableservice.export_cache import EXPORT_CACHE_JOB
    from obert.tableservice.published import QueueHarvestedIngest
    from obert.tableservice.service import GARBAGE_JOB
    from obert.watch import links

    resident.configure(budget_bytes=settings.datastore_memory_mb * 1024 * 1024)
    metrics = Metrics()
    ingester = build_ingester(settings, run_migrations=run_migrations, metrics=metrics)
    store, files, http = ingester.store, ingester.files, ingester.http
    metrics.watch_queue(lambda: count_active(store))
    hooks = webhooks.WebhookConfig(
        base_url=settings.base_url,
        timeout=settings.webhook_timeout_seconds,
        max_attempts=settings.webhook_max_attempts,
        disable_after=settings.webhook_disable_after,
    )
    handlers: dict[str, JobHandler] = {
        INGEST_JOB: ingester.handler(),
        GARBAGE_JOB: ingester.garbage_handler(),
        EXPORT_CACHE_JOB: ingester.export_cache_handler(),
        webhooks.KIND: webhooks.delivery_handler(store, http, hooks),
        webhooks.FANOUT_KIND: webhooks.fanout_handler(store, hooks),
        links.KIND: links.check_handler(
            store, http, base_url=settings.base_url, timeout=settings.linkcheck_timeout_seconds
        ),
    }
    portal = Portal(
        settings=settings,
        store=store,
        files=files,
        tables=ingester.tables,
        metrics=metrics,
        http=http,
        ingester=ingester,
        sparql=Endpoint(
            graph=CatalogueGraph(
                store=store,
                info=CatalogInfo.from_settings(settings),
                snapshot=snapshot_path(settings.data_dir),
            ),
            settings=settings,
        ),
        job_handlers=handlers,
        periodic=(
            ingester.garbage_task(),
            harvest_schedule(),
            Periodic(
                "webhooks.dispatch",
                timedelta(seconds=settings.event_dispatch_seconds),
                webhooks.enqueue_fanout,
            ),
            Periodic("links.check", timedelta(hours=settings.linkcheck_every_hours), links.enqueue_all),
        ),
        ingest_requester=QueueHarvestedIngest(store),
        limiter=RateLimiter(settings.redis_url, namespace=_budget_namespace(settings)),
        workflow=WorkflowPolicy(
            review_required=settings.review_required,
            sysadmin_may_approve_own=settings.sysadmin_may_approve_own,
        ),
    )
    # The harvest handler reaches the finished portal (its ingest requester included), so it comes last.
    handlers[HARVEST] = harvest_handler(portal.harvest_context)
    return portal


def _budget_namespace(settings: Settings) -> str:
    # Every web process of one portal must spend the same budgets in Redis, or N processes would grant N
    # times each; portals on other databases (tests among them) sharing the Redis count apart.
    return hashlib.sha256(settings.sqlalchemy_url.encode()).hexdigest()[:16]
