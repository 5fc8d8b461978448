"""/api/v1/harvest: harvest sources, their runs and per-item reports; where a dataset came from."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Body, Query, Request, Response
from pydantic import BaseModel

from obert.api.face import NATIVE
from obert.catalog import datasets as dataset_service
from obert.deps import ActorDep, PortalDep, WriterDep
from obert.harvest import jobs, links, runs, sources
from obert.harvest.mapping import masked
from obert.harvest.models import ItemStatus, RunReport, Source, SourceInput
from obert.harvest.runner import run_harvest

router = NATIVE.router(prefix="/api/v1", tags=["harvest"])


class SourceOut(Source):
    pass


class ItemOut(BaseModel):
    remote_id: str
    status: ItemStatus
    dataset_id: str | None
    title: str | None
    reason: str | None


class RunOut(BaseModel):
    id: str
    source_id: str
    dry_run: bool
    state: str
    counts: dict[str, int]
    error: str | None
    started_at: datetime | None
    finished_at: datetime | None
    items: list[ItemOut] | None = None


class RunQueued(BaseModel):
    source: str
    job_id: str


class Provenance(BaseModel):
    source: str
    source_url: str
    type: str
    remote_id: str
    first_seen: datetime
    harvested_at: datetime
    gone: bool


def source_out(source: Source) -> SourceOut:
    return SourceOut(**source.model_dump() | {"url": masked(source.url)})


def run_out(report: RunReport, *, with_items: bool) -> RunOut:
    items = [ItemOut(**vars_of(i)) for i in report.items] if with_items else None
    return RunOut(
        id=report.id,
        source_id=report.source_id,
        dry_run=report.dry_run,
        state=report.state,
        counts=report.counts,
        error=report.error,
        started_at=report.started_at,
        finished_at=report.finished_at,
        items=items,
    )


def vars_of(item: Any) -> dict[str, Any]:
    return {k: getattr(item, k) for k in ("remote_id", "status", "dataset_id", "title", "reason")}


@router.get("/harvest/sources", response_model=list[SourceOut])
def list_sources(portal: PortalDep, actor: WriterDep) -> list[SourceOut]:
    """Harvest sources the caller administers, with how their last run went."""
    return [source_out(s) for s in sources.list_sources(store=portal.store, actor=actor)]


@router.post("/harvest/sources", status_code=201, response_model=SourceOut)
def create_source(portal: PortalDep, actor: WriterDep, data: SourceInput) -> SourceOut:
    """Add a source to harvest: another portal (CKAN, DCAT, Socrata, Opendatasoft), a list of file URLs
    or an SQL database. `every` schedules it (`6h`, `1d`)."""
    return source_out(sources.create_source(store=portal.store, actor=actor, data=data))


@router.get("/harvest/sources/{ref}", response_model=SourceOut)
def get_source(portal: PortalDep, actor: WriterDep, ref: str) -> SourceOut:
    """One harvest source by id or name."""
    return source_out(sources.get_source(store=portal.store, actor=actor, ref=ref))


@router.patch("/harvest/sources/{ref}", response_model=SourceOut)
def patch_source(
    portal: PortalDep, actor: WriterDep, ref: str, patch: Annotated[dict[str, Any], Body()]
) -> SourceOut:
    """Change some fields of a source (JSON merge patch), e.g. its schedule or `enabled`."""
    return source_out(sources.patch_source(store=portal.store, actor=actor, ref=ref, patch=patch))


@router.delete("/harvest/sources/{ref}", status_code=204)
def delete_source(portal: PortalDep, actor: WriterDep, ref: str) -> Response:
    """Delete a source; the datasets it harvested stay in the catalogue."""
    sources.delete_source(store=portal.store, actor=actor, ref=ref)
    return Response(status_code=204)


@router.post("/harvest/sources/{ref}/run", response_model=RunQueued | RunOut, status_code=202)
def run_source(
    request: Request, response: Response, portal: PortalDep, actor: WriterDep, ref: str, dry_run: bool = False
) -> RunQueued | RunOut:
    """Queue a run (202), or with `dry_run=true` harvest now and answer what would change (200),
    writing nothing."""
    if dry_run:
        source = sources.get_source(store=portal.store, actor=actor, ref=ref)
        report = run_harvest(ctx=portal.harvest_context(), source=source, dry_run=True)
        response.status_code = 200
        return run_out(report, with_items=True)
    source, job_id = jobs.request_run(store=portal.store, actor=actor, ref=ref)
    runner = getattr(request.app.state, "job_runner", None)
    if runner is not None:
        runner.wake()
    return RunQueued(source=source.name, job_id=job_id)


@router.get("/harvest/sources/{ref}/runs", response_model=list[RunOut])
def list_runs(
    portal: PortalDep, actor: WriterDep, ref: str, limit: Annotated[int, Query(ge=1, le=100)] = 20
) -> list[RunOut]:
    """A source's runs, newest first, with their counts by outcome (created, updated, unchanged,
    failed…)."""
    source = sources.get_source(store=portal.store, actor=actor, ref=ref)
    return [
        run_out(r, with_items=False) for r in runs.list_runs(portal.store, source_id=source.id, limit=limit)
    ]


@router.get("/harvest/sources/{ref}/runs/{run_id}", response_model=RunOut)
def get_run(
    portal: PortalDep,
    actor: WriterDep,
    ref: str,
    run_id: str,
    status: ItemStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=10000)] = 1000,
) -> RunOut:
    """One run with its items: each remote record, what became of it and why (`status` keeps one
    outcome)."""
    source = sources.get_source(store=portal.store, actor=actor, ref=ref)
    report = runs.get_run(portal.store, source_id=source.id, run_id=run_id, status=status, limit=limit)
    return run_out(report, with_items=True)


@router.get("/datasets/{ref}/harvest", response_model=list[Provenance])
def dataset_provenance(portal: PortalDep, actor: ActorDep, ref: str) -> list[Provenance]:
    """Where a dataset came from: each source that gives it, under which remote id, and when."""
    dataset = dataset_service.get_dataset(store=portal.store, actor=actor, ref=ref)
    return [
        Provenance(
            source=str(p["name"]),
            source_url=masked(str(p["url"])),
            type=str(p["type"]),
            remote_id=str(p["remote_id"]),
            first_seen=p["first_seen"],
            harvested_at=p["last_seen"],
            gone=bool(p["gone"]),
        )
        for p in links.provenance(portal.store, dataset.id)
    ]
