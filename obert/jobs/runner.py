"""Worker threads that claim jobs, keep their leases alive, and record how each ended."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from obert.errors import ObertError, described
from obert.jobs import queue
from obert.jobs.messages import describe_exception, one_line
from obert.jobs.queue import Job
from obert.jobs.schedule import Periodic, tick
from obert.metrics import Metrics
from obert.requestctx import bind_request_id, unbind
from obert.storage import Store

log = logging.getLogger("obert.jobs")


class LeaseLost(Exception):
    """Another worker took the job over (this one was presumed dead); stop without writing anything."""


class JobHandler(Protocol):
    def __call__(self, job: Job, ctx: JobContext) -> dict[str, Any] | None: ...


# Progress is written to the job's row (renewing its lease) at once the first time, so that a job is seen
# to have started, then at most this often; a report in between is kept and written with the next one or
# with the job's outcome. A job of a few dozen milliseconds (a small upload's ingest) thus writes its first
# report, and its last with its result, instead of a transaction for each of three.
PROGRESS_EVERY_SECONDS = 1.0


@dataclass
class JobContext:
    """What a running handler may use: progress reports (which also renew the lease) and a stop check."""

    store: Store
    job: Job
    worker_id: str
    lease_seconds: float
    stopping: threading.Event
    lost: threading.Event = field(default_factory=threading.Event)
    listener: Callable[[int, int | None, str], None] | None = None  # a foreground command's display
    # When progress was last written (None: not yet), and the progress reported since that is not written.
    written_at: float | None = None
    unwritten: dict[str, Any] | None = None

    def progress(self, done: int, total: int | None = None, message: str = "") -> None:
        report = {"done": done, "total": total, "message": message}
        now = time.monotonic()
        if self.written_at is not None and now - self.written_at < PROGRESS_EVERY_SECONDS:
            self.unwritten = report
        else:
            alive = queue.heartbeat(
                self.store,
                job_id=self.job.id,
                worker_id=self.worker_id,
                lease_seconds=self.lease_seconds,
                progress=report,
            )
            self.written_at, self.unwritten = now, None
            if not alive:
                self.lost.set()
        if self.listener:
            self.listener(done, total, message)
        self.check()

    def check(self) -> None:
        """Raise LeaseLost if another worker owns the job now; handlers call it between steps."""
        if self.lost.is_set():
            raise LeaseLost(self.job.id)


class JobRunner:
    """Runs jobs of the kinds in `handlers` on `threads` worker threads until `stop()`."""

    def __init__(
        self,
        store: Store,
        handlers: Mapping[str, JobHandler],
        *,
        threads: int = 1,
        lease_seconds: float = 60.0,
        poll_seconds: float = 1.0,
        periodic: Sequence[Periodic] = (),
        tick_seconds: float = 30.0,
        name: str | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.store = store
        self.handlers = dict(handlers)
        self.threads = threads
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self.periodic = tuple(periodic)
        self.tick_seconds = tick_seconds
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.metrics = metrics
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._workers: list[threading.Thread] = []
        self._in_hand: dict[str, str] = {}  # worker id -> id of the job it holds
        self._lock = threading.Lock()

    def start(self) -> None:
        for n in range(self.threads):
            worker_id = f"{self.name}:{n}:{uuid.uuid4().hex[:6]}"
            thread = threading.Thread(
                target=self._loop, args=(worker_id, n == 0), name=f"obert-job-{n}", daemon=True
            )
            thread.start()
            self._workers.append(thread)

    def wake(self) -> None:
        """Look for work now rather than at the next poll (called after enqueueing)."""
        self._wake.set()

    def stop(self, grace: float = 30.0) -> list[str]:
        """Claim nothing more, give the jobs in hand `grace` seconds to finish, then hand the rest back
        to the queue so another worker takes them at once. Returns the ids of the jobs handed back.

        A job handed back may still be running in its (daemon) thread until the process exits; it no
        longer holds the lease, so it cannot record an outcome, and handlers are idempotent."""
        self._stopping.set()
        self._wake.set()
        deadline = time.monotonic() + grace
        for thread in self._workers:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._workers.clear()
        with self._lock:
            in_hand = dict(self._in_hand)
        handed_back = []
        for worker_id, job_id in in_hand.items():
            try:
                if queue.release(self.store, job_id=job_id, worker_id=worker_id):
                    handed_back.append(job_id)
                    log.info("job %s handed back to the queue at shutdown", job_id)
            except ObertError as exc:  # the database is away: the lease will run out instead
                log.warning("job %s not handed back: %s", job_id, exc.message)
        return handed_back

    def run_once(self, worker_id: str | None = None) -> bool:
        """Claim and run one due job in this thread; False when there was none (tests, `obert worker`)."""
        worker_id = worker_id or f"{self.name}:once"
        job = queue.claim(
            self.store, worker_id=worker_id, kinds=list(self.handlers), lease_seconds=self.lease_seconds
        )
        if job is None:
            return False
        self._run(job, worker_id)
        return True

    def run_job(
        self, job_id: str, *, listener: Callable[[int, int | None, str], None] | None = None
    ) -> Job | None:
        """Claim the job `job_id` and run it in this thread (`obert harvest run`); None when it is not
        due or another worker holds it. Returns the job as it ended."""
        worker_id = f"{self.name}:fg:{uuid.uuid4().hex[:6]}"
        job = queue.claim(
            self.store,
            worker_id=worker_id,
            kinds=list(self.handlers),
            lease_seconds=self.lease_seconds,
            job_id=job_id,
        )
        if job is None:
            return None
        self._run(job, worker_id, listener)
        return queue.get_job(self.store, job_id=job_id)

    def _loop(self, worker_id: str, ticks: bool) -> None:
        next_tick = 0.0
        while not self._stopping.is_set():
            try:
                if ticks and self.periodic and time.monotonic() >= next_tick:
                    next_tick = time.monotonic() + self.tick_seconds
                    if tick(self.store, self.periodic):
                        self._wake.set()
                ran = self.run_once(worker_id)
            except ObertError as exc:  # the database is away: wait and try again
                log.warning("job worker %s: %s", worker_id, exc.message)
                ran = False
            if not ran:
                self._wake.wait(self.poll_seconds)
                self._wake.clear()

    def _run(
        self, job: Job, worker_id: str, listener: Callable[[int, int | None, str], None] | None = None
    ) -> None:
        with self._lock:
            self._in_hand[worker_id] = job.id
        try:
            if self._stopping.is_set():  # claimed as the runner was stopping: give it straight back
                queue.release(self.store, job_id=job.id, worker_id=worker_id)
                return
            self._handle(job, worker_id, listener)
        finally:
            with self._lock:
                self._in_hand.pop(worker_id, None)

    def _handle(
        self, job: Job, worker_id: str, listener: Callable[[int, int | None, str], None] | None
    ) -> None:
        ctx = JobContext(self.store, job, worker_id, self.lease_seconds, self._stopping, listener=listener)
        done = threading.Event()
        keeper = threading.Thread(target=self._keep_lease, args=(ctx, done), daemon=True)
        keeper.start()
        # The job's log lines carry the id of the request that queued it (or its own id, if none did).
        token = bind_request_id(job.request_id or f"job:{job.id}")
        started = time.perf_counter()
        state, error = "done", None
        if job.taken_over:
            log.warning("job %s (%s): taken over, its holder's lease ran out", job.id, job.kind)
            if self.metrics:
                self.metrics.lease_expiries.labels(job.kind).inc()
        try:
            result = self.handlers[job.kind](job, ctx)
        except LeaseLost:
            state = "lease_lost"
            log.warning("job %s (%s): lease lost, leaving it to its new holder", job.id, job.kind)
        except ObertError as exc:
            # Bad input does not get better by trying again.
            state, error = "failed", _describe(exc)
            unwritten = ctx.unwritten
            queue.fail(
                self.store, job_id=job.id, worker_id=worker_id, error=error, retry=False, progress=unwritten
            )
        except Exception as exc:
            # The traceback (with the server's paths) is for the log; the job keeps one line for people.
            state, error = "failed", describe_exception(exc)
            log.exception("job %s (%s) failed", job.id, job.kind)
            queue.fail(self.store, job_id=job.id, worker_id=worker_id, error=error, progress=ctx.unwritten)
        else:
            queue.complete(
                self.store, job_id=job.id, worker_id=worker_id, result=result, progress=ctx.unwritten
            )
        finally:
            done.set()
            keeper.join()
            self._record(job, state, error, time.perf_counter() - started)
            unbind(token)

    def _record(self, job: Job, state: str, error: str | None, seconds: float) -> None:
        fields = {
            "event": "job",
            "job_id": job.id,
            "kind": job.kind,
            "state": state,
            "attempt": job.attempts,
            "duration_ms": round(seconds * 1000, 1),
            "request_id": job.request_id,
            "error": error,
        }
        extra = {"obert": {k: v for k, v in fields.items() if v is not None}}
        level = logging.WARNING if state != "done" else logging.INFO
        log.log(level, "job %s %s %s in %.0f ms", job.kind, job.id, state, seconds * 1000, extra=extra)
        if self.metrics:
            self.metrics.jobs.labels(job.kind, state).inc()
            self.metrics.job_seconds.labels(job.kind).observe(seconds)

    def _keep_lease(self, ctx: JobContext, done: threading.Event) -> None:
        # Renew at a third of the lease, so one slow renewal never lets the lease run out.
        while not done.wait(self.lease_seconds / 3):
            try:
                alive = queue.heartbeat(
                    self.store, job_id=ctx.job.id, worker_id=ctx.worker_id, lease_seconds=self.lease_seconds
                )
            except ObertError:
                continue
            if not alive:
                ctx.lost.set()
                return


def _describe(exc: ObertError) -> str:
    """The error as people see it (obert.jobs.messages.one_line), still a translatable `Message` when
    one line holds it as it is."""
    text = described(exc)
    shown = one_line(text)
    return text if shown == text else shown
