"""Link checks as the quality score sees them: the answers the link checker (obert.watch.links) stored,
read back as statuses, and a way for site administrators to have the whole catalogue checked now rather
than at the daily run. The checks themselves run as background jobs, never inside a request."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from obert.auth import Actor
from obert.catalog.access import require_writer
from obert.errors import Forbidden
from obert.quality.links import KnownStatuses
from obert.storage import Store
from obert.storage.per_engine import PerEngine
from obert.storage.tables.transparency import link_checks
from obert.watch.links import enqueue_all


def stored_statuses(*, store: Store) -> KnownStatuses:
    """Every stored link check result (one small row per external URL of the catalogue)."""
    with store.read() as conn:
        return known_statuses(conn)


def known_statuses(conn: Connection) -> KnownStatuses:
    """The stored link check results as `conn` reads them, kept in this process and read again only
    when the checks changed (their number, or the latest check's time): a catalogue's link checks are a
    row per external URL, which every score and every DCAT page would otherwise read whole."""
    row = conn.execute(sa.select(sa.func.count(), sa.func.max(link_checks.c.checked_at))).one()
    stamp = (int(row[0]), row[1])
    kept = _kept(conn.engine)
    if kept.last is not None and kept.last[0] == stamp:
        return kept.last[1]
    rows = conn.execute(sa.select(link_checks.c.url, link_checks.c.status)).all()
    known = KnownStatuses({url: status for url, status in rows if status is not None})
    kept.last = (stamp, known)
    return known


class _Checks:
    last: tuple[tuple[int, datetime | None], KnownStatuses] | None = None  # (stamp, statuses), set at once


_kept = PerEngine(_Checks)


def request_link_checks(*, store: Store, actor: Actor) -> None:
    """Queue a check of every public dataset's external URLs (site administrators)."""
    require_writer(actor)
    if not actor.sysadmin:
        raise Forbidden("only site administrators can start link checks")
    with store.begin() as conn:
        enqueue_all(conn, datetime.now(UTC))
