"""Version rows: what makes a written Parquet file a served table version, in one transaction."""

from __future__ import annotations

import dataclasses
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from obert.auth import audit
from obert.errors import Conflict, from_record, message_record
from obert.ingest.result import IngestResult
from obert.storage import Store
from obert.storage.tables.datastore import datastore_tables, resource_versions
from obert.storage.tablestore import TableStore
from obert.tableservice.announce import OBJECT_TYPE, announce
from obert.tableservice.gate import PERSONAL_DATA, PERSONAL_DATA_IN_FILE, Hold
from obert.tableservice.schema_diff import columns_of

READY = "ready"
SUPERSEDED = "superseded"
HELD = "held"  # written, but kept from publication by a gate until someone clears each of its holds
PURGED = "purged"  # was held; its file was deleted once a cleaned copy had been published for long enough
UNPUBLISHED = (HELD, PURGED)  # states nobody may read a table of
# The activity rows (object type `resource_version`) of a version kept held and of a held one purged.
HOLD_ACTION = "hold"
PURGE_ACTION = "purge"


@dataclass(frozen=True, slots=True)
class Version:
    id: str
    resource_id: str
    number: int
    state: str
    path: str  # relative to the data dir
    source_name: str | None
    sha256: str
    byte_size: int
    row_count: int
    report: dict[str, Any]
    geo: dict[str, Any]
    created_at: datetime
    created_by: str | None
    job_id: str | None
    derived_from: str | None = None  # the version it was made from; None when read from the file itself
    file_sha256: str | None = None  # the Parquet file's own checksum (None: written before it was kept)
    file_bytes: int | None = None


@dataclass(frozen=True, slots=True)
class TableState:
    """How a resource's table stands: the version it serves (if any) and its last failed ingest."""

    current: Version | None
    last_error: str | None
    last_job_id: str | None
    primary_key: tuple[str, ...] = ()  # the columns that identify a row (datastore_create's primary_key)


def new_version_id() -> str:
    return str(uuid.uuid4())


def report_json(result: IngestResult) -> dict[str, Any]:
    """The ingest result as JSON (non-finite numbers, which JSON cannot hold, become null)."""
    # The file's parts beyond the table are raw values: they are checked, never kept.
    data: dict[str, Any] = _finite(dataclasses.asdict(dataclasses.replace(result, left_out=())))
    del data["left_out"]
    # Each warning as a message id and parameters too, to be given in each reader's language.
    data["warning_messages"] = [message_record(w) for w in result.warnings]
    return data


def report_warnings(report: dict[str, Any]) -> list[str]:
    """What the ingest noted about a version's file (rows padded or left out, suppressed values), as
    `Message`s where the report kept them."""
    records = report.get("warning_messages") or []
    warnings = report.get("warnings") or []
    return [from_record(w, records[i] if i < len(records) else None) or w for i, w in enumerate(warnings)]


@dataclass(frozen=True, slots=True)
class KeptPart:
    """A part of a version's source file that the table does not hold and that keeps the file from the
    public: where it is (a `Message` where the report kept one) and what was found in it (masked)."""

    where: str
    findings: list[dict[str, Any]]  # column, kind, severity, matched, scanned, examples (masked)
    checked: bool = True  # False: too large to be checked whole


def kept_parts(report: dict[str, Any]) -> list[KeptPart]:
    """Why the file a version was read from is kept from the public, part by part (none: it is not)."""
    held = report.get(report_key(PERSONAL_DATA_IN_FILE)) or {}
    parts = [
        KeptPart(
            from_record(part.get("where"), part.get("where_message")) or "",
            list((part.get("decision") or {}).get("blocking") or []),
        )
        for part in held.get("parts") or []
    ]
    for part in held.get("unread") or []:
        parts.append(KeptPart(from_record(part.get("where"), part.get("where_message")) or "", [], False))
    return parts


def commit_version(
    store: Store,
    *,
    version_id: str,
    resource_id: str,
    result: IngestResult,
    source_name: str | None,
    created_by: str | None,
    job_id: str | None,
    holds: Sequence[Hold] = (),
    derived_from: str | None = None,
) -> Version:
    """Make the already written file the resource's current version: number it, supersede the old one,
    and announce it in the activity log.

    With `holds` (the gates' findings), the version is numbered and kept, but not published: the version
    served before stays served, each hold's findings are kept in the version's report (the personal-data
    gate's under ``privacy``, any other under its reason) and the reasons still open under ``holds``.
    A hold on the file alone (``Hold.table`` False) does not keep the version back: its reason is the
    version's ``file_holds``, and tableservice.originals keeps the file from the public.
    """
    now = datetime.now(UTC)
    with store.begin() as conn:
        number = (
            conn.execute(
                sa.select(sa.func.max(resource_versions.c.number)).where(
                    resource_versions.c.resource_id == resource_id
                )
            ).scalar()
            or 0
        ) + 1
        report = report_json(result)
        for hold in holds:
            report[report_key(hold.reason)] = hold.findings
        waiting = [h.reason for h in holds if h.table]
        if waiting:
            report["holds"] = waiting
        # The table goes out; the file it was read from stays the editors' (see tableservice.originals).
        kept = [h.reason for h in holds if not h.table] or None
        # Written held, then published in this same transaction when nothing holds it: nobody sees between.
        conn.execute(
            resource_versions.insert().values(
                id=version_id,
                resource_id=resource_id,
                number=number,
                state=HELD,
                path=TableStore.stored_path(resource_id, version_id),
                source_name=source_name,
                sha256=result.sha256,
                byte_size=result.byte_size,
                row_count=result.row_count,
                report=report,
                geo=report["geo"],
                created_at=now,
                created_by=created_by,
                job_id=job_id,
                derived_from=derived_from,
                file_sha256=result.table_sha256 or None,
                file_bytes=result.table_bytes or None,
                file_holds=kept,
            )
        )
        if not waiting:
            _publish(conn, version_id, actor_id=created_by, now=now)
        else:
            # Logged too, though nothing is published: a version held back can withdraw the file it was
            # read from (see tableservice.originals), and whatever follows the log (the SPARQL graph's
            # download links) must hear of that in this same transaction.
            audit.append(
                conn,
                at=now,
                actor_id=created_by,
                action=HOLD_ACTION,
                object_type=OBJECT_TYPE,
                object_id=resource_id,
                after={"version": number, "holds": report["holds"]},
            )
        made = _version(conn, sa.select(resource_versions).where(resource_versions.c.id == version_id))
    assert made is not None  # inserted just above, in the same transaction
    return made


def report_key(reason: str) -> str:
    """Where a hold's findings live in a version's report."""
    return "privacy" if reason == PERSONAL_DATA else reason


def pending_holds(version: Version) -> tuple[str, ...]:
    """The reasons a held version still waits for (versions held before reasons existed: personal data)."""
    if version.state != HELD:
        return ()
    return tuple(version.report.get("holds", [PERSONAL_DATA]))


def clear_hold(
    store: Store, *, version_id: str, reason: str, findings: dict[str, Any], actor_id: str | None
) -> Version:
    """Mark `reason` as dealt with (its findings updated to say how); the version is published once no
    reason is left, and stays held otherwise."""
    now = datetime.now(UTC)
    with store.begin() as conn:
        held = _version(conn, sa.select(resource_versions).where(resource_versions.c.id == version_id))
        if held is None or reason not in pending_holds(held):
            raise Conflict(f"the version is not held back for {reason.replace('_', ' ')}")
        left = [r for r in pending_holds(held) if r != reason]
        conn.execute(
            resource_versions.update()
            .where(resource_versions.c.id == version_id)
            .values(report={**held.report, report_key(reason): findings, "holds": left})
        )
        if not left:
            _publish(conn, version_id, actor_id=actor_id, now=now)
        made = _version(conn, sa.select(resource_versions).where(resource_versions.c.id == version_id))
    assert made is not None
    return made


def publish_held(
    store: Store, *, version_id: str, privacy: dict[str, Any], actor_id: str | None = None
) -> Version:
    """Clear a version's personal-data hold (its findings are now covered): published unless it still
    waits for another reason."""
    return clear_hold(store, version_id=version_id, reason=PERSONAL_DATA, findings=privacy, actor_id=actor_id)


def _publish(conn: Connection, version_id: str, *, actor_id: str | None, now: datetime) -> None:
    """Serve `version_id`: the version served before is superseded, and the publication announced."""
    version = _version(conn, sa.select(resource_versions).where(resource_versions.c.id == version_id))
    assert version is not None
    previous = table_state(conn, version.resource_id).current
    conn.execute(
        resource_versions.update()
        .where(resource_versions.c.resource_id == version.resource_id, resource_versions.c.state == READY)
        .values(state=SUPERSEDED)
    )
    conn.execute(resource_versions.update().where(resource_versions.c.id == version_id).values(state=READY))
    _point(conn, version.resource_id, current=version_id, error=None, job_id=version.job_id, now=now)
    announce(
        conn,
        resource_id=version.resource_id,
        number=version.number,
        columns=columns_of(version.report),
        previous=columns_of(previous.report) if previous is not None else None,
        actor_id=actor_id,
        now=now,
    )


def record_failure(store: Store, *, resource_id: str, error: str, job_id: str | None) -> None:
    """Note a failed ingest; the version served before stays served."""
    now = datetime.now(UTC)
    with store.begin() as conn:
        current = conn.execute(
            sa.select(datastore_tables.c.current_version_id).where(
                datastore_tables.c.resource_id == resource_id
            )
        ).scalar()
        _point(conn, resource_id, current=current, error=error[:4000], job_id=job_id, now=now)


def table_state(conn: Connection, resource_id: str) -> TableState:
    row = conn.execute(
        sa.select(datastore_tables).where(datastore_tables.c.resource_id == resource_id)
    ).first()
    if row is None:
        return TableState(None, None, None)
    current = None
    if row.current_version_id:
        current = _version(
            conn, sa.select(resource_versions).where(resource_versions.c.id == row.current_version_id)
        )
    return TableState(current, row.last_error, row.last_job_id, tuple(row.primary_key or ()))


def set_primary_key(store: Store, *, resource_id: str, key: tuple[str, ...]) -> None:
    """Record the columns that identify a row of the resource's table (an empty key means none)."""
    now = datetime.now(UTC)
    values = {"primary_key": list(key), "updated_at": now}
    with store.begin() as conn:
        done = conn.execute(
            datastore_tables.update().where(datastore_tables.c.resource_id == resource_id).values(**values)
        )
        if not done.rowcount:
            conn.execute(datastore_tables.insert().values(resource_id=resource_id, **values))


def primary_keys(conn: Connection, resource_ids: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """The recorded primary key of each of `resource_ids` that has one."""
    rows = conn.execute(
        sa.select(datastore_tables.c.resource_id, datastore_tables.c.primary_key).where(
            datastore_tables.c.resource_id.in_(list(resource_ids))
        )
    ).all()
    return {row.resource_id: tuple(row.primary_key) for row in rows if row.primary_key}


def drop_current(store: Store, *, resource_id: str, actor_id: str | None) -> Version | None:
    """Stop serving the resource's table (CKAN's datastore_delete without filters); returns what it served.

    The versions stay, superseded, so every earlier version can still be read by number and diffed, and
    the next ingest or datastore_create numbers on after them. The activity log says who removed which.
    """
    now = datetime.now(UTC)
    with store.begin() as conn:
        state = table_state(conn, resource_id)
        if state.current is None:
            return None
        conn.execute(
            resource_versions.update()
            .where(resource_versions.c.resource_id == resource_id, resource_versions.c.state == READY)
            .values(state=SUPERSEDED)
        )
        conn.execute(
            datastore_tables.update()
            .where(datastore_tables.c.resource_id == resource_id)
            .values(current_version_id=None, primary_key=None, last_error=None, updated_at=now)
        )
        audit.append(
            conn,
            at=now,
            actor_id=actor_id,
            action="datastore-delete",
            object_type="resource",
            object_id=resource_id,
            before={"version": state.current.number, "primary_key": list(state.primary_key)},
        )
    return state.current


def version_by_job(conn: Connection, job_id: str) -> Version | None:
    return _version(conn, sa.select(resource_versions).where(resource_versions.c.job_id == job_id))


def newest_held(conn: Connection, resource_id: str) -> Version | None:
    """The resource's newest version when it is held back and was read from the resource's file."""
    newest = _version(
        conn,
        sa.select(resource_versions)
        .where(resource_versions.c.resource_id == resource_id)
        .order_by(resource_versions.c.number.desc())
        .limit(1),
    )
    return newest if newest is not None and newest.state == HELD and newest.derived_from is None else None


def list_versions(conn: Connection, resource_id: str) -> list[Version]:
    rows = conn.execute(
        sa.select(resource_versions)
        .where(resource_versions.c.resource_id == resource_id)
        .order_by(resource_versions.c.number.desc())
    ).all()
    return [version_from_row(r) for r in rows]


def referenced_paths(store: Store) -> set[str]:
    with store.read() as conn:
        return {str(p) for p in conn.execute(sa.select(resource_versions.c.path)).scalars()}


def _point(
    conn: Connection,
    resource_id: str,
    *,
    current: str | None,
    error: str | None,
    job_id: str | None,
    now: datetime,
) -> None:
    values = {"current_version_id": current, "last_error": error, "last_job_id": job_id, "updated_at": now}
    done = conn.execute(
        datastore_tables.update().where(datastore_tables.c.resource_id == resource_id).values(**values)
    )
    if not done.rowcount:
        conn.execute(datastore_tables.insert().values(resource_id=resource_id, **values))


def _version(conn: Connection, query: sa.Select[Any]) -> Version | None:
    row = conn.execute(query).first()
    return None if row is None else version_from_row(row)


def version_from_row(
    row: Row[Any], *, report: dict[str, Any] | None = None, geo: dict[str, Any] | None = None
) -> Version:
    """The version of a `resource_versions` row; `report` and `geo` stand in for columns not selected."""
    return Version(
        id=row.id,
        resource_id=row.resource_id,
        number=row.number,
        state=row.state,
        path=row.path,
        source_name=row.source_name,
        sha256=row.sha256,
        byte_size=row.byte_size,
        row_count=row.row_count,
        report=row.report if report is None else report,
        geo=row.geo if geo is None else geo,
        created_at=row.created_at,
        created_by=row.created_by,
        job_id=row.job_id,
        derived_from=getattr(row, "derived_from", None),
        file_sha256=getattr(row, "file_sha256", None),
        file_bytes=getattr(row, "file_bytes", None),
    )


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value
