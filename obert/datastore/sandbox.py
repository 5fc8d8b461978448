"""Worker processes that run public SQL where the operating system bounds memory and time.

DuckDB's memory limit covers its buffers, not the strings and lists that functions build, and its
interrupt is only looked at between steps: a query can plan for minutes (each lateral alias doubling
the expression tree) or build gigabytes of strings (one subquery doubling them per level) inside the
server. So the query runs in a child process whose address space is capped (`RLIMIT_AS`: an allocation
past it fails and DuckDB reports out-of-memory), and which is killed if it has not answered shortly
after the time limit. A killed or dead worker is replaced; the server itself never grows.

Workers are reused, one query at a time each; each query still gets a fresh DuckDB connection. Parent
and worker speak length-prefixed frames over the worker's stdin and stdout: the job as JSON in, an
acknowledgement, a JSON header and the rows' JSON out (no pickle: the worker runs untrusted queries).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import select
import struct
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

from obert.errors import (
    BadRequest,
    Conflict,
    FieldError,
    Forbidden,
    Invalid,
    NotFound,
    ObertError,
    TooLarge,
    Unavailable,
)

_LENGTH = struct.Struct(">I")
STARTUP_SECONDS = 30.0  # a cold worker imports DuckDB and pyarrow: about a second on an idle machine
ADDRESS_SPACE_BYTES = 512 * 1024**2  # above what a fresh worker has mapped
TOO_LONG = "the query took too long and was stopped"
_ERRORS: dict[str, type[ObertError]] = {
    cls.__name__: cls for cls in (BadRequest, Conflict, Forbidden, Invalid, NotFound, TooLarge, Unavailable)
}


@dataclass(frozen=True, slots=True)
class SqlJob:
    """One checked query and its limits, as sent to a worker."""

    sql: str
    tables: dict[str, str]  # view name → absolute path of its Parquet version
    timeout_s: float
    max_rows: int
    max_bytes: int
    memory_limit: str
    threads: int = 2
    row_ids: bool = False  # each table's row number as a first column (datastore.schema.ROW_ID)


@dataclass(frozen=True, slots=True)
class SqlAnswer:
    fields: list[tuple[str, str]]  # column name, DuckDB type
    rows_json: bytes  # a JSON array of row objects
    count: int
    truncated: bool


def write_frame(stream: IO[bytes], payload: bytes) -> None:
    stream.write(_LENGTH.pack(len(payload)) + payload)
    stream.flush()


def read_frame(stream: IO[bytes]) -> bytes | None:
    """The next frame, or None at end of input (blocking: for the worker)."""
    head = stream.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        return None
    (size,) = _LENGTH.unpack(head)
    body = stream.read(size)
    return body if len(body) == size else None


def error_header(exc: ObertError) -> dict[str, Any]:
    return {
        "ok": False,
        "kind": type(exc).__name__,
        "message": exc.message,
        "errors": [[e.field, e.message] for e in exc.errors],
    }


def _error_from(header: dict[str, Any]) -> ObertError:
    cls = _ERRORS.get(str(header.get("kind")), Unavailable)
    errors = [FieldError(str(f), str(m)) for f, m in header.get("errors", [])]
    return cls(str(header.get("message", "the SQL engine failed")), errors=errors)


def _header(frame: bytes) -> dict[str, Any]:
    try:
        header = json.loads(frame)
    except ValueError as exc:
        raise _Dead from exc
    if not isinstance(header, dict) or (header.get("ok") and not isinstance(header.get("fields"), list)):
        raise _Dead
    return header


class _Dead(Exception):
    """The worker closed its output: it died."""


class _Late(Exception):
    """The worker did not answer by the deadline."""


class _Worker:
    def __init__(self, address_space: int) -> None:
        package_root = str(Path(__file__).resolve().parents[2])
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "TZ", "TMPDIR")}
        # The same obert as this process, whether installed or run from a checkout.
        env["PYTHONPATH"] = os.pathsep.join([package_root, *filter(None, [os.environ.get("PYTHONPATH")])])
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "obert.datastore.sql_worker", str(address_space)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            cwd="/",
            start_new_session=True,  # a Ctrl-C meant for the server does not interrupt a query
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self._in = self.proc.stdin
        self._out = self.proc.stdout.fileno()
        self.jobs = 0

    def send(self, payload: bytes) -> None:
        try:
            write_frame(self._in, payload)
        except (BrokenPipeError, OSError) as exc:
            raise _Dead from exc

    def receive(self, deadline: float, limit: int) -> bytes:
        head = self._read(_LENGTH.size, deadline)
        (size,) = _LENGTH.unpack(head)
        if size > limit:
            raise _Dead  # not what a worker sends: do not read it
        return self._read(size, deadline)

    def _read(self, size: int, deadline: float) -> bytes:
        chunks: list[bytes] = []
        missing = size
        while missing:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self._out], [], [], remaining)[0]:
                raise _Late
            chunk = os.read(self._out, min(missing, 1 << 20))
            if not chunk:
                raise _Dead
            chunks.append(chunk)
            missing -= len(chunk)
        return b"".join(chunks)

    def close(self) -> None:
        """Ask the worker to leave (end of its input), then make sure it has."""
        with contextlib.suppress(OSError):
            self._in.close()
        try:
            self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.kill()
        self._close_pipes()

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()
        self._close_pipes()

    def _close_pipes(self) -> None:
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


class SqlSandbox:
    """A pool of at most `max_workers` SQL worker processes; `run` is safe from many threads."""

    def __init__(
        self,
        *,
        max_workers: int = 4,
        keep_idle: int = 2,
        max_jobs: int = 500,
        address_space: int = ADDRESS_SPACE_BYTES,
    ) -> None:
        self._max_workers = max_workers
        self._keep_idle = keep_idle
        self._max_jobs = max_jobs  # a worker is replaced after this many queries (allocator drift)
        self._address_space = address_space
        self._idle: list[_Worker] = []
        self._live = 0
        self._cond = threading.Condition()
        self._closed = False

    def run(self, job: SqlJob) -> SqlAnswer:
        """Run `job` in a worker: its rows, or the ObertError that the query earned."""
        worker = self._acquire(time.monotonic() + job.timeout_s)
        reusable = False
        try:
            self._start(worker, job)
            deadline = time.monotonic() + job.timeout_s + 0.5 + job.timeout_s / 4
            header = _header(worker.receive(deadline, limit=1 << 20))
            worker.jobs += 1
            reusable = not header.get("retire") and worker.jobs < self._max_jobs
            if not header.get("ok"):
                raise _error_from(header)
            rows = worker.receive(deadline, limit=job.max_bytes + 1024)
            return SqlAnswer(
                fields=[(str(n), str(t)) for n, t in header["fields"]],
                rows_json=rows,
                count=int(header["count"]),
                truncated=bool(header["truncated"]),
            )
        except _Late as exc:
            reusable = False
            worker.kill()
            raise Invalid(
                TOO_LONG, errors=[FieldError("sql", "time limit exceeded; add filters or a LIMIT")]
            ) from exc
        except _Dead as exc:
            reusable = False
            worker.kill()
            raise TooLarge(
                "the query needed more memory than allowed",
                errors=[
                    FieldError("sql", "the SQL engine stopped while running it; add filters or aggregate")
                ],
            ) from exc
        finally:
            self._release(worker, reusable)

    def _start(self, worker: _Worker, job: SqlJob) -> None:
        """Hand `job` to `worker` and wait until it has taken it (a cold worker first starts up)."""
        try:
            worker.send(json.dumps(asdict(job)).encode())
            worker.receive(time.monotonic() + STARTUP_SECONDS, limit=64)
        except (_Dead, _Late) as exc:
            worker.kill()
            raise Unavailable("the SQL engine did not start; try again in a moment") from exc

    def close(self) -> None:
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._live -= len(idle)
        for worker in idle:
            worker.close()

    def _acquire(self, deadline: float) -> _Worker:
        with self._cond:
            while True:
                if self._closed:
                    raise Unavailable("the SQL engine is shutting down")
                while self._idle:
                    worker = self._idle.pop()
                    if worker.proc.poll() is None:
                        return worker
                    self._live -= 1  # it died while idle (the OOM killer, an operator): forget it
                    worker.kill()
                if self._live < self._max_workers:
                    self._live += 1
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise Unavailable("too many SQL queries are running; try again in a moment")
                self._cond.wait(remaining)
        try:
            return _Worker(self._address_space)
        except OSError as exc:
            with self._cond:
                self._live -= 1
                self._cond.notify()
            raise Unavailable("cannot start the SQL engine") from exc

    def _release(self, worker: _Worker, reusable: bool) -> None:
        with self._cond:
            keep = reusable and not self._closed and len(self._idle) < self._keep_idle
            if keep:
                self._idle.append(worker)
            else:
                self._live -= 1
            self._cond.notify()
        if not keep and worker.proc.poll() is None:
            worker.close()


_default: SqlSandbox | None = None
_default_lock = threading.Lock()


def default_sandbox() -> SqlSandbox:
    """The process's shared pool, started on first use and closed when the interpreter exits."""
    global _default
    with _default_lock:
        if _default is None:
            _default = SqlSandbox()
            atexit.register(_default.close)
        return _default
