"""Composition root: builds the stores and services obert runs on from one Settings object."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from obert.catalog.workflow import DEFAULT_POLICY, WorkflowPolicy
from obert.http import Allowlist, HttpClient
from obert.jobs import JobHandler, JobRunner, Periodic
from obert.metrics import Metrics
from obert.ratelimit import RateLimiter
from obert.settings import Settings
from obert.storage import Store, migrate
from obert.storage.files import FileStore


@dataclass(frozen=True, slots=True)
class Portal:
    settings: Settings
    store: Store
    files: FileStore
    metrics: Metrics
    http: HttpClient
    job_handlers: Mapping[str, JobHandler] = field(default_factory=dict)
    periodic: Sequence[Periodic] = ()
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
    return Portal(
        settings=settings,
        store=store,
        files=FileStore(settings.files_dir),
        metrics=Metrics(),
        http=HttpClient(allowlist=Allowlist.parse(settings.http_allowlist)),
        limiter=RateLimiter(settings.redis_url),
        workflow=WorkflowPolicy(
            review_required=settings.review_required,
            sysadmin_may_approve_own=settings.sysadmin_may_approve_own,
        ),
    )
