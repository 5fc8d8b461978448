"""Prometheus metrics, one registry per portal so tests and several apps in a process stay apart.

What an operator alerts on: requests by route template and status, refusals (401/403/413/429), search and
datastore latency, jobs by kind and outcome with their durations and lease expiries, the queue's depth,
ingests (rows, bytes, seconds, held), harvest items by outcome, and the database pool.

`obert serve --workers N` sets PROMETHEUS_MULTIPROC_DIR (prometheus_client's own switch, read when the
library is imported) before its web processes start: each process then writes its values to files there
and any process's /metrics reports the sum, one view of all of them.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
JOB_BUCKETS = (0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600)
REFUSALS = frozenset({401, 403, 413, 429, 431})

# Refusals made before any application sees the request (the HTTP protocol's 431 for an oversized head)
# carry this route label.
BEFORE_ROUTING = "(before routing)"

QueueCounts = Callable[[], Iterable[tuple[str, str, int]]]  # (kind, state, jobs) of queued/running jobs


@dataclass
class Metrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.requests = Counter(
            "obert_http_requests", "HTTP requests served", ["method", "route", "status"], registry=r
        )
        self.latency = Histogram(
            "obert_http_request_seconds",
            "Time to serve an HTTP request",
            ["route"],
            registry=r,
            buckets=REQUEST_BUCKETS,
        )
        self.refusals = Counter(
            "obert_http_refusals",
            "Requests refused: 401 no or bad credentials, 403 forbidden, 413 too large, 429 over budget, "
            "431 request head too large (before routing)",
            ["status", "route"],
            registry=r,
        )
        self.search_latency = Histogram(
            "obert_search_seconds",
            "Time to answer a catalogue search (native API, CKAN package_search, the search page)",
            ["face"],
            registry=r,
            buckets=REQUEST_BUCKETS,
        )
        self.datastore_latency = Histogram(
            "obert_datastore_seconds",
            "Time to answer a datastore read (rows, aggregates, SQL, exports, features, datastore_search)",
            ["operation"],
            registry=r,
            buckets=REQUEST_BUCKETS,
        )
        self.jobs = Counter(
            "obert_jobs",
            "Jobs run, by kind and outcome (done, failed, lease_lost)",
            ["kind", "state"],
            registry=r,
        )
        self.job_seconds = Histogram(
            "obert_job_seconds", "Time a job ran", ["kind"], registry=r, buckets=JOB_BUCKETS
        )
        self.lease_expiries = Counter(
            "obert_job_lease_expiries",
            "Jobs taken over because their holder's lease ran out (a worker died or stalled)",
            ["kind"],
            registry=r,
        )
        self.ingests = Counter(
            "obert_ingests",
            "Ingests, by outcome (published, held, unchanged, failed)",
            ["outcome"],
            registry=r,
        )
        self.ingest_rows = Counter("obert_ingest_rows", "Rows read into new table versions", registry=r)
        self.ingest_bytes = Counter("obert_ingest_bytes", "Bytes of the files ingests read", registry=r)
        self.ingest_seconds = Histogram(
            "obert_ingest_seconds", "Time an ingest took", registry=r, buckets=JOB_BUCKETS
        )
        self.harvest_items = Counter(
            "obert_harvest_items",
            "Harvested records, by outcome (created, updated, unchanged, failed, deleted, skipped)",
            ["outcome"],
            registry=r,
        )
        self.db_pool = Gauge(
            "obert_db_pool_connections",
            "Database connections of the pool: in use, and open (in use or idle), summed over live processes",
            ["state"],
            registry=r,
            multiprocess_mode="livesum",
        )
        self._collectors: list[Collector] = []
        _LIVE[id(self)] = self

    def watch_queue(self, counts: QueueCounts) -> None:
        """Report the queue's depth (queued and running jobs by kind), read from the database at scrape."""
        collector = _QueueCollector(counts)
        self.registry.register(collector)
        self._collectors.append(collector)

    def exposition(self) -> bytes:
        """The Prometheus text of this process, or of every process when in multiprocess mode."""
        if not os.environ.get(MULTIPROC_ENV):
            return generate_latest(self.registry)
        combined = CollectorRegistry()
        MultiProcessCollector(combined)  # type: ignore[no-untyped-call]
        for collector in self._collectors:  # the queue is read from the database: once is enough
            combined.register(collector)
        return generate_latest(combined)


_LIVE: weakref.WeakValueDictionary[int, Metrics] = weakref.WeakValueDictionary()


def count_refused_head() -> None:
    """Count a request refused by the HTTP protocol before any application saw it (431: the request line
    and headers too large), in the metrics of every portal of this process (a server has one)."""
    for metrics in list(_LIVE.values()):
        metrics.refusals.labels("431", BEFORE_ROUTING).inc()


class _QueueCollector(Collector):
    def __init__(self, counts: QueueCounts) -> None:
        self._counts = counts

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            "obert_jobs_in_queue", "Jobs waiting or running, by kind and state", labels=["kind", "state"]
        )
        try:
            rows = list(self._counts())
        except Exception:  # the database is away: /health/ready says so; the scrape still answers
            rows = []
        for kind, state, jobs in rows:
            family.add_metric([kind, state], jobs)
        yield family
