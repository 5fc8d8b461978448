"""Link checks as the quality score sees them: the answers the link checker (obert.watch.links) stored,
read back as statuses, and a way for site administrators to have the whole catalogue checked now rather
than at the daily run. The checks themselves run as background jobs, never inside a request."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from obert.auth import Actor
from obert.catalog.access import require_writer
from obert.errors import Forbidden
from obert.quality.links import KnownStatuses
from obert.storage import Store
from obert.storage.tables.transparency import link_checks
from obert.watch.links import enqueue_all


def stored_statuses(*, store: Store) -> KnownStatuses:
    """Every stored link check result (one small row per external URL of the catalogue)."""
    with store.read() as conn:
        rows = conn.execute(sa.select(link_checks.c.url, link_checks.c.status)).all()
    return KnownStatuses({url: status for url, status in rows if status is not None})


def request_link_checks(*, store: Store, actor: Actor) -> None:
    """Queue a check of every public dataset's external URLs (site administrators)."""
    require_writer(actor)
    if not actor.sysadmin:
        raise Forbidden("only site administrators can start link checks")
    with store.begin() as conn:
        enqueue_all(conn, datetime.now(UTC))
