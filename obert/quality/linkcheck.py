"""Link checks: ask each external access and download URL for its status, keep the answers, and read
them back for scoring. They run as background jobs (kind `link_check`), never inside a request."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from obert.auth import SYSTEM, Actor
from obert.catalog.access import require_writer
from obert.catalog.common import MAX_PAGE
from obert.catalog.listing import BrowseQuery, browse_datasets
from obert.catalog.models import Dataset
from obert.errors import Forbidden, ObertError
from obert.jobs import Job, JobContext, JobHandler, enqueue
from obert.quality.links import KnownStatuses
from obert.storage import Store
from obert.storage.tables.quality import link_checks

KIND = "link_check"
Checker = Callable[[str], int]  # a URL -> the HTTP status it answers with; raises ObertError if none


def external_urls(dataset: Dataset) -> set[str]:
    """The URLs of `dataset`'s resources that obert does not serve itself."""
    urls: set[str] = set()
    for resource in dataset.resources:
        if resource.upload:
            continue
        urls.update(u for u in (resource.access_url, resource.download_url) if u)
    return urls


def check_links(
    *, store: Store, checker: Checker, urls: Iterable[str], ctx: JobContext | None = None
) -> dict[str, int | None]:
    """Check every URL and store what it answered; returns url -> status (None: no answer)."""
    todo = sorted(set(urls))
    results: dict[str, int | None] = {}
    for done, url in enumerate(todo):
        status: int | None
        try:
            status, error = checker(url), None
        except ObertError as exc:  # refused by the SSRF guard, unreachable, timed out...
            status, error = None, exc.message
        results[url] = status
        _store(store, url, status, error)
        if ctx is not None:
            ctx.progress(done + 1, len(todo), url)
    return results


def stored_statuses(*, store: Store) -> KnownStatuses:
    """Every stored link check result (one small row per external URL of the catalogue)."""
    with store.read() as conn:
        rows = conn.execute(sa.select(link_checks.c.url, link_checks.c.status)).all()
    return KnownStatuses({url: status for url, status in rows if status is not None})


def request_link_checks(*, store: Store, actor: Actor) -> str:
    """Queue a check of every external URL in the catalogue; returns the job's id."""
    require_writer(actor)
    if not actor.sysadmin:
        raise Forbidden("only site administrators can start link checks")
    with store.begin() as conn:
        return enqueue(conn, kind=KIND, payload={}, dedupe_key=KIND, created_by=actor.user_id)


def link_check_handler(checker: Checker) -> JobHandler:
    """The job handler checking every external URL of every dataset, through `checker`."""

    def run(job: Job, ctx: JobContext) -> dict[str, Any]:
        urls: set[str] = set()
        offset = 0
        while True:
            page = browse_datasets(
                store=ctx.store,
                actor=SYSTEM,
                query=BrowseQuery(offset=offset, limit=MAX_PAGE, include_drafts=True),
            )
            for dataset in page.items:
                urls |= external_urls(dataset)
            offset += MAX_PAGE
            if offset >= page.count:
                break
        results = check_links(store=ctx.store, checker=checker, urls=urls, ctx=ctx)
        answering = sum(1 for s in results.values() if s is not None and 200 <= s < 400)
        return {"checked": len(results), "answering": answering}

    return run


def _store(store: Store, url: str, status: int | None, error: str | None) -> None:
    key = hashlib.sha256(url.encode()).hexdigest()
    values = {"url": url, "status": status, "error": error, "checked_at": datetime.now(UTC)}
    with store.begin() as conn:
        updated = conn.execute(link_checks.update().where(link_checks.c.url_hash == key).values(**values))
        if updated.rowcount == 0:
            conn.execute(link_checks.insert().values(url_hash=key, **values))
