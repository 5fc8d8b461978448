"""Harvest sources: create, read, list, patch, delete. Site administrators and the editors of a source's
organisation manage it; sources that read the server itself (a folder, an SQL database) are for site
administrators only, since they reach what no web user should."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from obert.auth import Actor
from obert.catalog.common import merge_patch, validated
from obert.catalog.organizations import editable_organization_id
from obert.errors import Conflict, FieldError, Forbidden, Invalid, NotFound, Unauthorized, msg
from obert.harvest.models import Source, SourceInput, SourceType, parse_interval
from obert.storage import Store
from obert.storage.tables.catalog import organizations
from obert.storage.tables.harvest import dataset_sources, harvest_items, harvest_runs, harvest_sources

WEB_TYPES = (SourceType.CKAN, SourceType.DCAT, SourceType.SOCRATA, SourceType.ODS)


def create_source(*, store: Store, actor: Actor, data: SourceInput) -> Source:
    _check_shape(actor, data)
    stamp = datetime.now(UTC)
    source_id = str(uuid.uuid4())
    with store.begin() as conn:
        org_id = editable_organization_id(conn, actor, data.organization, what="a harvest source")
        if conn.execute(sa.select(harvest_sources.c.id).where(harvest_sources.c.name == data.name)).first():
            raise Conflict(
                msg("a harvest source named '{name}' already exists", name=data.name),
                errors=[FieldError("name", msg("already taken"))],
            )
        conn.execute(
            harvest_sources.insert().values(
                id=source_id, organization_id=org_id, created_at=stamp, updated_at=stamp, **_columns(data)
            )
        )
        return _load(conn, source_id)


def get_source(*, store: Store, actor: Actor, ref: str) -> Source:
    with store.read() as conn:
        source = _load(conn, ref)
    _check_edit(actor, source.organization_id)
    return source


def list_sources(*, store: Store, actor: Actor) -> list[Source]:
    _require_staff(actor)
    query = _select().order_by(harvest_sources.c.name)
    if not actor.sysadmin:
        query = query.where(harvest_sources.c.organization_id.in_(_edited_orgs(actor)))
    with store.read() as conn:
        return [_to_model(r) for r in conn.execute(query)]


def patch_source(*, store: Store, actor: Actor, ref: str, patch: Mapping[str, Any]) -> Source:
    current = get_source(store=store, actor=actor, ref=ref)
    data = validated(SourceInput, merge_patch(current.as_input(), patch))
    _check_shape(actor, data)
    with store.begin() as conn:
        org_id = editable_organization_id(conn, actor, data.organization, what="a harvest source")
        if (
            data.name != current.name
            and conn.execute(
                sa.select(harvest_sources.c.id).where(harvest_sources.c.name == data.name)
            ).first()
        ):
            raise Conflict(msg("a harvest source named '{name}' already exists", name=data.name))
        values = _columns(data)
        if data.type != current.type or data.url != current.url or data.config != current.config:
            values["cursor"] = None  # a different listing: the next run starts from the beginning
        conn.execute(
            harvest_sources.update()
            .where(harvest_sources.c.id == current.id)
            .values(organization_id=org_id, updated_at=datetime.now(UTC), **values)
        )
        return _load(conn, current.id)


def delete_source(*, store: Store, actor: Actor, ref: str) -> None:
    """Forget the source and its reports. Its datasets stay in the catalogue, as they are."""
    current = get_source(store=store, actor=actor, ref=ref)
    with store.begin() as conn:
        run_ids = sa.select(harvest_runs.c.id).where(harvest_runs.c.source_id == current.id)
        conn.execute(harvest_items.delete().where(harvest_items.c.run_id.in_(run_ids)))
        conn.execute(harvest_runs.delete().where(harvest_runs.c.source_id == current.id))
        conn.execute(dataset_sources.delete().where(dataset_sources.c.source_id == current.id))
        conn.execute(harvest_sources.delete().where(harvest_sources.c.id == current.id))


def due_sources(conn: Connection, now: datetime) -> list[Source]:
    """Enabled sources with an interval whose last run is at least that long ago."""
    rows = conn.execute(
        _select().where(harvest_sources.c.enabled.is_(True), harvest_sources.c.every_seconds.is_not(None))
    ).all()
    return [
        _to_model(r)
        for r in rows
        if r.last_run_at is None or (now - r.last_run_at).total_seconds() >= r.every_seconds
    ]


def _check_shape(actor: Actor, data: SourceInput) -> None:
    if data.type in WEB_TYPES or (data.type is SourceType.URLS and not _is_local(data.url)):
        parts = urlsplit(data.url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise Invalid(
                msg("bad source URL"), errors=[FieldError("url", msg("must be an absolute http(s) URL"))]
            )
    elif not actor.sysadmin:
        if data.type is SourceType.SQL:
            raise Forbidden(msg("only site administrators can harvest an SQL database"))
        raise Forbidden(msg("only site administrators can harvest a folder on the server"))
    if data.type is SourceType.SQL and "://" not in data.url:
        raise Invalid(
            msg("bad database URL"),
            errors=[
                FieldError("url", msg("give an SQLAlchemy URL such as postgresql+psycopg://user@host/db"))
            ],
        )


def _is_local(url: str) -> bool:
    return not url.startswith(("http://", "https://"))


def _require_staff(actor: Actor) -> None:
    if not actor.authenticated:
        raise Unauthorized(msg("send an API token to manage harvest sources"))
    if not actor.sysadmin and not _edited_orgs(actor):
        raise Forbidden(msg("only administrators and editors manage harvest sources"))


def _check_edit(actor: Actor, org_id: str | None) -> None:
    _require_staff(actor)
    if not actor.can_edit_in(org_id) and not actor.sysadmin:
        raise Forbidden(msg("you are not an editor of this source's organisation"))


def _edited_orgs(actor: Actor) -> list[str]:
    return [org for org in actor.roles if actor.can_edit_in(org)]


def _columns(data: SourceInput) -> dict[str, Any]:
    return {
        "name": data.name,
        "title": data.title or data.name,
        "type": data.type.value,
        "url": data.url.strip(),
        "config": data.config,
        "every_seconds": parse_interval(data.every) if data.every else None,
        "enabled": data.enabled,
        "auto_ingest": data.auto_ingest,
    }


def _select() -> sa.Select[Any]:
    return sa.select(harvest_sources, organizations.c.name.label("organization_name")).select_from(
        harvest_sources.outerjoin(organizations, organizations.c.id == harvest_sources.c.organization_id)
    )


def _load(conn: Connection, ref: str) -> Source:
    row = conn.execute(
        _select().where(sa.or_(harvest_sources.c.id == ref, harvest_sources.c.name == ref))
    ).first()
    if row is None:
        raise NotFound(msg("no harvest source '{ref}'", ref=ref))
    return _to_model(row)


def _to_model(row: Row[Any]) -> Source:
    return Source(
        id=row.id,
        name=row.name,
        title=row.title,
        type=SourceType(row.type),
        url=row.url,
        organization_id=row.organization_id,
        organization=row.organization_name,
        config=row.config or {},
        every=_interval_text(row.every_seconds),
        enabled=row.enabled,
        auto_ingest=row.auto_ingest,
        cursor=row.cursor,
        last_run_at=row.last_run_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _interval_text(seconds: int | None) -> str | None:
    if seconds is None:
        return None
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
