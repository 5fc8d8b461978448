"""Reading the datastore through the catalogue's eyes: which table versions a caller may query.

Every route of the datastore API starts here, so a resource of a private or draft dataset is exactly as
invisible through its table as it is through the catalogue (the rules live in obert.catalog.access).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from obert.auth import SYSTEM, Actor
from obert.catalog.access import for_viewer, load_dataset, prepared_for_viewer, require_editor, visible_to
from obert.catalog.models import Dataset, Resource
from obert.catalog.resources import get_resource
from obert.catalog.rows import LIVE_RESOURCE
from obert.catalog.tabular import INGEST_JOB, enqueue_ingest
from obert.datastore.diff import DiffResult, diff
from obert.datastore.masking import published_profile
from obert.datastore.query import RowsPage
from obert.datastore.sql import run_sql
from obert.errors import FieldError, Invalid, NotFound, msg
from obert.jobs import Job, get_job, job_from_row
from obert.settings import Settings
from obert.storage import Store
from obert.storage.prepared import Prepared
from obert.storage.tables.catalog import datasets, resources
from obert.storage.tables.datastore import datastore_tables, resource_versions
from obert.storage.tables.jobs import jobs
from obert.storage.tables.small_counts import small_count_rules
from obert.storage.tablestore import TableStore
from obert.tableservice.handle import TableRef
from obert.tableservice.small_counts import UNPROTECTED, Protection, protection_of
from obert.tableservice.versions import UNPUBLISHED, TableState, table_state, version_from_row

__all__ = [
    "DiffResult",
    "QueueHarvestedIngest",
    "TableRef",
    "TableStatus",
    "diff_versions",
    "job_status",
    "open_version",
    "query_sql",
    "request_ingest",
    "sql_name",
    "sql_tables",
    "table_status",
]

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True, slots=True)
class TableStatus:
    resource: Resource
    state: TableState
    versions: int
    job: Job | None  # the latest ingest job of the resource
    protection: Protection = UNPROTECTED

    def profile(self) -> list[dict[str, Any]]:
        """The current version's column profile, less what it measured on hidden small counts."""
        report = self.state.current.report if self.state.current else {}
        return published_profile(report.get("columns", []), self.protection.masked())


def open_version(
    *,
    store: Store,
    actor: Actor,
    tables: TableStore,
    ref: str,
    version: int | None = None,
    details: bool = True,
) -> TableRef:
    """The version `version` (default: the current one) of the resource `ref`, if `actor` may see it.

    One query on every request of the datastore API: the resource (by id or name, under the catalogue's
    visibility rule), the version it serves and the one asked for. With `details=False` the version's
    `report` and `geo` come back empty, for callers that only query the table: decoding a wide table's
    report (kilobytes of JSON) cost a quarter of the lookup.
    """
    prepared = _prepared_version_query(store, actor, details=details) if version is None else None
    if prepared is not None:
        # One statement, straight on the driver: no transaction to begin (a read-only snapshot of one
        # statement is the statement's own).
        with store.read(snapshot=False) as conn:
            found = prepared.rows(conn, ref=ref)
        row = found[0] if found else None
    else:
        params: dict[str, object] = {"ref": ref, "number": version}
        query = _version_query(actor, by_number=version is not None, details=details)
        with store.read() as conn:
            row = conn.execute(query, params).first()
    if row is None:
        raise NotFound(msg("no resource '{ref}'", ref=ref))
    if row.id is None:
        if version is not None:
            raise NotFound(msg("resource '{name}' has no version {number}", name=row.rname, number=version))
        raise NotFound(msg("resource '{name}' has no datastore table", name=row.rname))
    chosen = version_from_row(row) if details else version_from_row(row, report={}, geo={})
    protection = UNPROTECTED
    if row.protect_min is not None:
        protection = Protection(True, int(row.protect_min), tuple(row.protect_columns))
    current = chosen.id == row.current_version_id
    return TableRef(row.rid, row.rname, chosen, tables.file(chosen.path), current, protection)


# Building this statement costs SQLAlchemy more than running it. Its shape depends only on whether a
# version number is asked for, on `details` and on the visibility rule, which many callers share
# (access.shared_view), so theirs are built once; `ref` and `number` are parameters.
def _version_query(actor: Actor, *, by_number: bool, details: bool) -> sa.Select[Any]:
    return for_viewer(
        actor,
        ("open_version", by_number, details),
        lambda visible: _build_version_query(visible, by_number=by_number, details=details),
    )


def _prepared_version_query(store: Store, actor: Actor, *, details: bool) -> Prepared | None:
    """The current version's statement for those same shared visibility rules, prepared once for the
    store and run straight on the driver (see obert.storage.prepared): every datastore read and every page
    with a table opens a version, and SQLAlchemy's execution cost several times SQLite's own work."""
    return prepared_for_viewer(
        store,
        actor,
        ("open_version", details),
        lambda visible: _build_version_query(visible, by_number=False, details=details),
    )


def _build_version_query(
    visible: sa.ColumnElement[bool], *, by_number: bool, details: bool
) -> sa.Select[Any]:
    wanted = resource_versions.c.id == datastore_tables.c.current_version_id
    if by_number:
        # A held version is nobody's to read until a publisher releases it.
        wanted = sa.and_(
            resource_versions.c.resource_id == resources.c.id,
            resource_versions.c.number == sa.bindparam("number"),
            resource_versions.c.state.not_in(UNPUBLISHED),
        )
    ref = sa.bindparam("ref", type_=sa.String())
    return (
        sa.select(
            resources.c.id.label("rid"),
            resources.c.name.label("rname"),
            datastore_tables.c.current_version_id,
            *(
                resource_versions.c
                if details
                else [c for c in resource_versions.c if c.name not in ("report", "geo")]
            ),
            small_count_rules.c.min_count.label("protect_min"),
            small_count_rules.c.count_columns.label("protect_columns"),
        )
        .select_from(
            resources.join(datasets, datasets.c.id == resources.c.dataset_id)
            .outerjoin(datastore_tables, datastore_tables.c.resource_id == resources.c.id)
            .outerjoin(resource_versions, wanted)
            .outerjoin(small_count_rules, small_count_rules.c.resource_id == resources.c.id)
        )
        .where(sa.or_(resources.c.id == ref, resources.c.name == ref), LIVE_RESOURCE, visible)
    )


def table_status(*, store: Store, actor: Actor, ref: str) -> TableStatus:
    """A table's state. Its last error and latest job's details (what held a version back: which
    columns hold personal data) are for the people of the dataset's organisation, as in held.py; others
    see the job's state only."""
    resource = get_resource(store=store, actor=actor, ref=ref)
    with store.read() as conn:
        owner = sa.select(datasets.c.organization_id).where(datasets.c.id == resource.dataset_id)
        insider = actor.can_see_private_of(conn.execute(owner).scalar())
        state = table_state(conn, resource.id)
        protection = protection_of(conn, resource.id)
        count = conn.execute(
            sa.select(sa.func.count()).where(resource_versions.c.resource_id == resource.id)
        ).scalar_one()
        # enqueue_ingest keys every ingest job of a resource by "ingest:<resource id>:…".
        job_id = conn.execute(
            sa.select(jobs.c.id)
            .where(jobs.c.kind == INGEST_JOB, jobs.c.dedupe_key.like(f"ingest:{resource.id}:%"))
            .order_by(jobs.c.created_at.desc())
            .limit(1)
        ).scalar()
    job = get_job(store, job_id=job_id) if job_id else None
    if not insider:
        state = replace(state, last_error=None)
        job = job and replace(job, progress=None, result=None, error=None)
    return TableStatus(resource, state, int(count), job, protection)


def latest_ingests(*, store: Store, actor: Actor, dataset: Dataset) -> dict[str, Job]:
    """The latest ingest job of each of `dataset`'s resources, in one query. As in `table_status`, what a
    job found or why it failed is for the people of the dataset's organisation; others see its state."""
    ids = [r.id for r in dataset.resources]
    if not ids:
        return {}
    keyed = sa.or_(*(jobs.c.dedupe_key.like(f"ingest:{rid}:%") for rid in ids))
    with store.read() as conn:
        rows = conn.execute(
            sa.select(jobs).where(jobs.c.kind == INGEST_JOB, keyed).order_by(jobs.c.created_at.desc())
        ).all()
    insider = actor.can_see_private_of(dataset.organization.id if dataset.organization else None)
    found: dict[str, Job] = {}
    for row in rows:
        rid = str(row.dedupe_key).split(":")[1]  # enqueue_ingest keys "ingest:<resource id>:…"
        if rid not in found:
            job = job_from_row(row)
            found[rid] = job if insider else replace(job, progress=None, result=None, error=None)
    return found


def diff_versions(
    *,
    store: Store,
    actor: Actor,
    tables: TableStore,
    ref: str,
    old: int,
    new: int,
    key: list[str] | None = None,
) -> DiffResult:
    """What changed from version `old` to version `new` of the table `ref` (both published, now or before).

    A table of statistics about people is refused: a diff's row samples would show the counts its rows
    and exports hide."""
    before = open_version(store=store, actor=actor, tables=tables, ref=ref, version=old, details=False)
    after = open_version(store=store, actor=actor, tables=tables, ref=ref, version=new, details=False)
    if after.protection.statistics_about_people:
        raise Invalid(
            msg("statistics about people cannot be diffed"),
            errors=[
                FieldError(
                    "resource", msg("{resource_name} hides small counts", resource_name=after.resource_name)
                )
            ],
        )
    return diff(before.path, after.path, key=key)


def sql_name(resource_name: str) -> str:
    """The table name a resource has in SQL queries: its name with hyphens as underscores."""
    return resource_name.replace("-", "_")


def sql_tables(*, store: Store, actor: Actor, tables: TableStore, sql: str) -> dict[str, Path]:
    """The current versions of the tables `sql` names, keyed by SQL name.

    A name that belongs to a table the caller may not see is refused as unknown, exactly like a name
    that belongs to nothing, so a query cannot even learn that a private table exists.
    """
    words = set(_WORD.findall(sql))
    candidates = words | {w.replace("_", "-") for w in words}
    if not candidates:
        return {}
    base = (
        sa.select(
            resources.c.name,
            resource_versions.c.path,
            visible_to(actor).label("visible"),
            small_count_rules.c.resource_id.label("protected"),
        )
        .select_from(
            resources.join(datasets, datasets.c.id == resources.c.dataset_id)
            .join(datastore_tables, datastore_tables.c.resource_id == resources.c.id)
            .join(resource_versions, resource_versions.c.id == datastore_tables.c.current_version_id)
            .outerjoin(small_count_rules, small_count_rules.c.resource_id == resources.c.id)
        )
        .where(resources.c.name.in_(sorted(candidates)), LIVE_RESOURCE)
    )
    with store.read() as conn:
        rows = conn.execute(base).all()
    found: dict[str, Path] = {}
    for row in rows:
        name = sql_name(row.name)
        if name not in words:
            continue
        if not row.visible:
            continue  # as if it did not exist: run_sql then answers exactly as for a missing name
        if row.protected is not None:
            # SQL could compute any small count; these tables answer through rows and aggregate only.
            raise Invalid(
                msg("statistics about people cannot be queried with SQL"),
                errors=[
                    FieldError("sql", msg("{name} hides small counts: use its rows or aggregate", name=name))
                ],
            )
        found[name] = tables.file(row.path)
    if not found:
        raise Invalid(
            msg("the query names no published table"),
            errors=[FieldError("sql", msg("use resource names (hyphens as underscores) as table names"))],
        )
    return found


def query_sql(
    *,
    store: Store,
    actor: Actor,
    settings: Settings,
    tables: TableStore,
    sql: str,
    dialect: str = "duckdb",
    row_ids: bool = False,
) -> RowsPage:
    """Run one read-only SELECT over the current versions of the tables the caller may see, within the
    time, row and byte budgets of `settings` (see obert.datastore.sql). `dialect` is the SQL it is
    written in (sqlglot's name: "postgres" for CKAN clients); with `row_ids` each table starts with
    its row number (CKAN's `_id`)."""
    found = sql_tables(store=store, actor=actor, tables=tables, sql=sql)
    return run_sql(
        sql,
        tables=found,
        timeout_s=settings.sql_timeout_seconds,
        max_rows=settings.sql_max_rows,
        max_bytes=settings.sql_max_bytes,
        dialect=dialect,
        row_ids=row_ids,
    )


def job_status(*, store: Store, actor: Actor, job_id: str) -> Job:
    """A job, for the account that asked for it and for site administrators; NotFound for anyone else."""
    job = get_job(store, job_id=job_id)
    if actor.sysadmin or (actor.user_id is not None and actor.user_id == job.created_by):
        return job
    raise NotFound(msg("no job '{job_id}'", job_id=job_id))


def request_ingest(*, store: Store, actor: Actor, ref: str, source: str, format: str | None = None) -> str:
    """Queue a fresh ingest of the resource's upload or download URL (editors only); returns the job id."""
    if source not in ("upload", "url"):
        raise Invalid(msg("unknown source"), errors=[FieldError("source", msg("use 'upload' or 'url'"))])
    resource = get_resource(store=store, actor=actor, ref=ref)
    with store.begin() as conn:
        require_editor(actor, load_dataset(conn, actor, resource.dataset_id))
        if source == "upload" and not resource.upload:
            raise Invalid(msg("the resource has no uploaded file"), errors=[FieldError("source", "upload")])
        if source == "url" and not resource.download_url:
            raise Invalid(msg("the resource has no download URL"), errors=[FieldError("source", "url")])
        sha = resource.checksum.removeprefix("sha256:") if source == "upload" and resource.checksum else None
        return enqueue_ingest(
            conn,
            resource_id=resource.id,
            source=source,
            sha256=sha,
            created_by=actor.user_id,
            format=format,
        )


@dataclass(frozen=True, slots=True)
class QueueHarvestedIngest:
    """Queue harvested tabular resources for the datastore (the harvester's IngestRequester)."""

    store: Store

    def __call__(self, *, dataset_id: str, resource_id: str) -> None:
        resource = get_resource(store=self.store, actor=SYSTEM, ref=resource_id)
        source = "upload" if resource.upload else "url"
        if source == "url" and not resource.download_url:
            return
        request_ingest(store=self.store, actor=SYSTEM, ref=resource.id, source=source)
