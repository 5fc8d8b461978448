"""What `obert harvest add|run|list` do, kept out of the command module so it stays thin."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Protocol

from obert.auth import SYSTEM, Actor
from obert.catalog.common import validated
from obert.errors import Conflict, FieldError, Invalid, Unavailable, msg
from obert.harvest import jobs, runs, sources
from obert.harvest.mapping import masked
from obert.harvest.models import RunReport, Source, SourceInput, SourceType
from obert.harvest.runner import HarvestContext, run_harvest
from obert.jobs import JobRunner, JobState
from obert.storage import Store


class PortalLike(Protocol):
    @property
    def store(self) -> Store: ...

    def harvest_context(self) -> HarvestContext: ...

    def job_runner(self, threads: int) -> JobRunner: ...


def add_source(
    *,
    store: Store,
    actor: Actor,
    name: str,
    url: str,
    type: SourceType,
    organization: str | None,
    every: str | None,
    auto_ingest: bool,
    config_json: str,
) -> Source:
    try:
        config = json.loads(config_json)
    except ValueError as exc:
        raise Invalid(msg("bad --config"), errors=[FieldError("config", f"not JSON: {exc}")]) from None
    data = validated(
        SourceInput,
        {
            "name": name,
            "type": type,
            "url": url,
            "organization": organization,
            "every": every,
            "auto_ingest": auto_ingest,
            "config": config,
        },
    )
    return sources.create_source(store=store, actor=actor, data=data)


def run_now(*, portal: PortalLike, ref: str, dry_run: bool, show: Callable[[str], None]) -> RunReport:
    """Run the source in this process. A real run goes through the job queue, as the worker's would,
    so it never overlaps a run a worker has in hand."""
    source = sources.get_source(store=portal.store, actor=SYSTEM, ref=ref)
    if dry_run:
        return run_harvest(
            ctx=portal.harvest_context(), source=source, dry_run=True, progress=lambda _n, m: show(m)
        )
    with portal.store.begin() as conn:
        job_id = jobs.enqueue_run(conn, source_id=source.id)
    job = portal.job_runner(0).run_job(job_id, listener=lambda _d, _t, message: show(message))
    if job is None:
        raise Conflict(
            msg("a run of '{name}' is already in progress (job {job})", name=source.name, job=job_id)
        )
    if job.state is not JobState.DONE or not job.result:
        raise Unavailable(f"the run failed: {job.error or 'see the job log'}")
    return runs.get_run(portal.store, source_id=source.id, run_id=str(job.result["run_id"]), limit=50)


def describe(report: RunReport) -> Iterator[str]:
    title = "dry run: nothing written" if report.dry_run else f"run {report.id}"
    counts = ", ".join(f"{n} {status}" for status, n in sorted(report.counts.items())) or "nothing found"
    yield f"{title}: {report.state} — {counts}"
    if report.error:
        yield f"error: {report.error}"
    for item in report.items[:50]:
        if item.status.value != "unchanged":
            reason = f" ({item.reason})" if item.reason else ""
            yield f"  {item.status.value:<9} {item.title or item.remote_id}{reason}"


def listing(*, store: Store) -> Iterator[str]:
    found = sources.list_sources(store=store, actor=SYSTEM)
    if not found:
        yield "no harvest sources yet: add one with `obert harvest add NAME URL --type ckan`"
    for source in found:
        last = runs.list_runs(store, source_id=source.id, limit=1)
        outcome = f"{last[0].state} {last[0].counts}" if last else "never run"
        state = "enabled" if source.enabled else "disabled"
        yield (
            f"{source.name:<24} {source.type.value:<8} {source.every or 'by hand':<8} {state:<8} "
            f"{masked(source.url)}  last: {outcome}"
        )
