"""Composition root: builds the stores and services obert runs on from one Settings object."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from obert.http import Allowlist, HttpClient
from obert.jobs import JobHandler, JobRunner, Periodic
from obert.metrics import Metrics
from obert.notify import webhooks
from obert.settings import Settings
from obert.stats.counter import UsageCounter
from obert.storage import Store, migrate
from obert.storage.files import FileStore
from obert.watch import links


@dataclass(frozen=True, slots=True)
class Portal:
    settings: Settings
    store: Store
    files: FileStore
    metrics: Metrics
    http: HttpClient
    job_handlers: Mapping[str, JobHandler] = field(default_factory=dict)
    periodic: Sequence[Periodic] = ()
    usage: UsageCounter = field(default_factory=UsageCounter)

    def job_runner(self, threads: int) -> JobRunner:
        """Workers for every kind of job this portal knows how to run."""
        return JobRunner(
            self.store,
            self.job_handlers,
            threads=threads,
            lease_seconds=self.settings.job_lease_seconds,
            periodic=self.periodic,
        )

    def close(self) -> None:
        self.http.close()
        self.store.dispose()


def build_portal(settings: Settings, *, run_migrations: bool = True) -> Portal:
    """Open (and by default migrate) everything `settings` points at."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = Store(settings.sqlalchemy_url)
    if run_migrations:
        migrate.upgrade(store)
    http = HttpClient(allowlist=Allowlist.parse(settings.http_allowlist))
    hooks = webhooks.WebhookConfig(
        base_url=settings.base_url,
        timeout=settings.webhook_timeout_seconds,
        max_attempts=settings.webhook_max_attempts,
        disable_after=settings.webhook_disable_after,
    )
    return Portal(
        settings=settings,
        store=store,
        files=FileStore(settings.files_dir),
        metrics=Metrics(),
        http=http,
        job_handlers={
            webhooks.KIND: webhooks.delivery_handler(store, http, hooks),
            webhooks.FANOUT_KIND: webhooks.fanout_handler(store, hooks),
            links.KIND: links.check_handler(
                store, http, base_url=settings.base_url, timeout=settings.linkcheck_timeout_seconds
            ),
        },
        periodic=(
            Periodic(
                "webhooks.dispatch",
                timedelta(seconds=settings.event_dispatch_seconds),
                webhooks.enqueue_fanout,
            ),
            Periodic("links.check", timedelta(hours=settings.linkcheck_every_hours), links.enqueue_all),
        ),
    )
