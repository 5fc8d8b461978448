"""The link checker: do the external URLs of resources (those obert does not serve itself) still answer?

A HEAD request first; servers that refuse HEAD (405, 501, some 403/404s from CDNs) get a GET of which
only a few bytes are read. Everything goes through the SSRF-guarded client. The latest result per URL is
kept, with when it started failing; `link_status` is the small read the quality score uses.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from obert.auth import SYSTEM, Actor
from obert.catalog.access import load_dataset
from obert.catalog.common import now
from obert.catalog.models import Dataset, State, Visibility
from obert.errors import ObertError
from obert.http import HttpClient, Response
from obert.jobs import Job, JobContext, JobHandler, enqueue
from obert.storage import Store
from obert.storage.tables.catalog import datasets, resources
from obert.storage.tables.transparency import link_checks

KIND = "linkcheck"
PROBE_BYTES = 512
# Answers to HEAD that often mean "HEAD is not supported here" rather than "the link is broken".
_RETRY_WITH_GET = frozenset({403, 404, 405, 406, 501})


@dataclass(frozen=True, slots=True)
class LinkStatus:
    url: str
    ok: bool
    status: int | None
    final_url: str | None
    content_type: str | None
    content_length: int | None
    latency_ms: int | None
    error: str | None
    checked_at: datetime
    failing_since: datetime | None


def url_key(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()


def link_status(conn_or_store: Connection | Store, url: str) -> LinkStatus | None:
    """The latest check of `url`, or None if it was never checked."""
    query = sa.select(link_checks).where(link_checks.c.id == url_key(url))
    if isinstance(conn_or_store, Store):
        with conn_or_store.read() as conn:
            row = conn.execute(query).first()
    else:
        row = conn_or_store.execute(query).first()
    return _to_status(row) if row else None


def external_urls(dataset: Dataset, base_url: str) -> list[str]:
    """The dataset's resource URLs that point outside obert, each once."""
    own = base_url.rstrip("/") + "/"
    urls = []
    for res in dataset.resources:
        if res.upload:
            continue
        for url in (res.access_url, res.download_url):
            if url and not url.startswith(own) and url not in urls:
                urls.append(url)
    return urls


def check_url(http: HttpClient, url: str, *, timeout: float) -> dict[str, Any]:
    """One check of one URL, as the columns of its link_checks row (never raises for a bad link)."""
    started = time.perf_counter()
    try:
        response = http.send("HEAD", url, timeout=timeout)
        if response.status in _RETRY_WITH_GET:
            started = time.perf_counter()
            response = http.send("GET", url, timeout=timeout, read_bytes=PROBE_BYTES)
    except ObertError as exc:
        return {
            "ok": False,
            "status": None,
            "final_url": None,
            "content_type": None,
            "content_length": None,
            "latency_ms": _ms(started),
            "error": exc.message,
        }
    return _result(response, started)


def _result(response: Response, started: float) -> dict[str, Any]:
    length = response.headers.get("content-length")
    ok = 200 <= response.status < 400
    return {
        "ok": ok,
        "status": response.status,
        "final_url": response.url,
        "content_type": (response.headers.get("content-type") or "")[:200] or None,
        "content_length": int(length) if length and length.isdigit() else None,
        "latency_ms": _ms(started),
        "error": None if ok else f"HTTP {response.status}",
    }


def _ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)


def record_check(conn: Connection, url: str, result: dict[str, Any], *, at: datetime) -> None:
    key = url_key(url)
    previous = conn.execute(
        sa.select(link_checks.c.failing_since, link_checks.c.ok).where(link_checks.c.id == key)
    ).first()
    failing_since = None
    if not result["ok"]:
        failing_since = (
            previous.failing_since if previous and not previous.ok and previous.failing_since else at
        )
    values = {**result, "url": url, "checked_at": at, "failing_since": failing_since}
    if previous:
        conn.execute(link_checks.update().where(link_checks.c.id == key).values(**values))
    else:
        conn.execute(link_checks.insert().values(id=key, **values))


def check_dataset_links(
    *, store: Store, http: HttpClient, dataset_id: str, base_url: str, timeout: float
) -> dict[str, Any]:
    """Check every external URL of one dataset; returns how many were checked and how many failed."""
    with store.read() as conn:
        dataset = load_dataset(conn, SYSTEM, dataset_id)
    urls = external_urls(dataset, base_url)
    failed = 0
    for url in urls:
        result = check_url(http, url, timeout=timeout)
        failed += not result["ok"]
        with store.begin() as conn:
            record_check(conn, url, result, at=now())
    return {"checked": len(urls), "failed": failed}


def dataset_links(
    *, store: Store, actor: Actor, ref: str, base_url: str
) -> list[tuple[str, LinkStatus | None]]:
    """Each external URL of a dataset `actor` may see, with its latest check."""
    with store.read() as conn:
        dataset = load_dataset(conn, actor, ref)
        return [(url, link_status(conn, url)) for url in external_urls(dataset, base_url)]


def request_check(*, store: Store, dataset_id: str, created_by: str | None = None) -> str:
    with store.begin() as conn:
        return enqueue_check(conn, dataset_id, created_by=created_by)


def enqueue_check(conn: Connection, dataset_id: str, *, created_by: str | None = None) -> str:
    return enqueue(
        conn,
        kind=KIND,
        payload={"dataset_id": dataset_id},
        dedupe_key=f"linkcheck:{dataset_id}",
        max_attempts=2,
        created_by=created_by,
    )


def enqueue_all(conn: Connection, _now: datetime) -> None:
    """The daily task: one check job per public dataset that links outside obert."""
    has_links = sa.exists().where(
        resources.c.dataset_id == datasets.c.id,
        resources.c.state == "active",
        resources.c.upload.is_(None),
        sa.or_(resources.c.access_url.is_not(None), resources.c.download_url.is_not(None)),
    )
    ids = conn.execute(
        sa.select(datasets.c.id).where(
            datasets.c.state == State.PUBLISHED.value,
            datasets.c.visibility == Visibility.PUBLIC.value,
            has_links,
        )
    ).scalars()
    for dataset_id in ids:
        enqueue_check(conn, dataset_id)


def check_handler(store: Store, http: HttpClient, *, base_url: str, timeout: float) -> JobHandler:
    def handle(job: Job, ctx: JobContext) -> dict[str, Any] | None:
        return check_dataset_links(
            store=store,
            http=http,
            dataset_id=str(job.payload["dataset_id"]),
            base_url=base_url,
            timeout=timeout,
        )

    return handle


def _to_status(row: Row[Any]) -> LinkStatus:
    return LinkStatus(
        url=row.url,
        ok=row.ok,
        status=row.status,
        final_url=row.final_url,
        content_type=row.content_type,
        content_length=row.content_length,
        latency_ms=row.latency_ms,
        error=row.error,
        checked_at=row.checked_at,
        failing_since=row.failing_since,
    )
