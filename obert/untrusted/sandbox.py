"""Run a parser on untrusted input in a child process with a hard time budget and a memory limit.

A parser that is fed a bomb may spin in C code, ignore signals, or take the whole heap; run in a job
thread it would hold that thread (and the process's CPU) for as long as it likes. Here it runs in a fresh
child process with a CPU-time limit, an address-space limit, no file writes and no sockets, and the calling
thread waits at most a wall-clock deadline, after which the child and its worker are killed. The caller
gets a clear `Invalid` or `TooLarge` naming the document, and its thread is free again.

Children are forked by a small worker process (`obert.untrusted.worker`) that obert starts with
`subprocess` and keeps for the next document: forking that single-threaded worker is safe and takes a few
milliseconds, whereas forking obert itself (threads, database connections) is not safe, and starting a new
interpreter per document costs a third of a second. Each document still gets a process of its own, so one
cannot leave anything behind for the next. Results come back as JSON, never as pickles: nothing the child
says can make this process run code.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import math
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from obert.errors import FieldError, Forbidden, Invalid, NotFound, ObertError, TooLarge, Unavailable

_HEADER = struct.Struct("!Q")  # every frame between obert and its worker: an 8-byte length, then the bytes
_STATUS = struct.Struct("!ii")  # the worker's answer starts with the child's exit code and signal
ANSWER_TOO_LARGE = 3  # the worker's exit code for a child whose answer passed `Limits.answer_bytes`
MAX_IDLE_WORKERS = 4
_ERRORS: dict[str, type[ObertError]] = {
    "Invalid": Invalid,
    "TooLarge": TooLarge,
    "Forbidden": Forbidden,
    "NotFound": NotFound,
    "Unavailable": Unavailable,
}


@dataclass(frozen=True, slots=True)
class Limits:
    """What one child may spend: CPU seconds, bytes of memory beyond what it starts with, and the size
    of the JSON answer it may send back."""

    seconds: float = 60.0
    memory: int = 2 * 1024**3
    answer_bytes: int = 256 * 1024**2

    @property
    def wall_seconds(self) -> float:
        # The CPU limit is the budget; the wall clock only catches a child that is starved of CPU on a
        # busy machine or blocked, so it is generous.
        return self.seconds * 2 + 2


def run_bounded(func: Callable[..., Any], *args: Any, limits: Limits, what: str) -> Any:
    """`func(*args)` computed in a child process, as the JSON value it returns.

    `func` is a module-level function of picklable arguments returning a JSON-able value; an `ObertError`
    it raises (Invalid, TooLarge…) is raised here. When the child outlasts `limits.seconds` it is killed
    and `Invalid` says that `what` took too long to read; `TooLarge` when it needs more memory than
    `limits.memory`.
    """
    request = pickle.dumps(
        (func.__module__, func.__qualname__, args, limits), protocol=pickle.HIGHEST_PROTOCOL
    )
    worker = _pool.take()
    try:
        exit_code, signal_number, answer = worker.ask(request, timeout=limits.wall_seconds)
    except TimeoutError:
        _pool.drop(worker)
        raise _too_slow(what, limits) from None
    except (OSError, EOFError, struct.error) as exc:
        _pool.drop(worker)
        raise Invalid(f"{what} could not be read: the reader stopped unexpectedly ({exc})") from None
    _pool.give_back(worker)
    if signal_number in (signal.SIGXCPU, signal.SIGKILL):
        raise _too_slow(what, limits)
    if exit_code == ANSWER_TOO_LARGE:
        raise TooLarge(f"{what} could not be read: its reader answers more than {limits.answer_bytes:,} B")
    if signal_number or exit_code:
        raise Invalid(
            f"{what} could not be read: the reader stopped unexpectedly "
            f"({'signal ' + str(signal_number) if signal_number else 'exit code ' + str(exit_code)}; "
            f"it may have needed more than {limits.memory:,} bytes of memory)"
        )
    return _outcome(answer, what)


def _too_slow(what: str, limits: Limits) -> Invalid:
    return Invalid(
        f"{what} took more than {limits.seconds:g} s to read and was stopped",
        errors=[FieldError("document", "too slow to parse: a parser bomb, or far too large a document")],
    )


def _outcome(answer: bytes, what: str) -> Any:
    try:
        reply = json.loads(answer)
    except ValueError:
        raise Invalid(f"{what} could not be read: the reader's answer is not JSON") from None
    if "ok" in reply:
        return reply["ok"]
    error = reply.get("error") or {}
    kind = _ERRORS.get(str(error.get("kind")), Invalid)
    fields = [FieldError(str(f), str(m)) for f, m in error.get("errors") or []]
    message = str(error.get("message") or "")
    raise kind(message if error.get("own") else f"{what} could not be read: {message}", errors=fields)


class _Worker:
    """One `obert.untrusted.worker` process: sent a request, it forks a child to compute it."""

    def __init__(self) -> None:
        env = dict(os.environ)
        # The worker must import the same obert (and the same test modules) as this process.
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "obert.untrusted.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            start_new_session=True,  # its own process group: killing it takes its child too
        )

    def alive(self) -> bool:
        return self.process.poll() is None

    def ask(self, request: bytes, *, timeout: float) -> tuple[int, int, bytes]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(_HEADER.pack(len(request)) + request)
        self.process.stdin.flush()
        deadline = time.monotonic() + timeout
        fd = self.process.stdout.fileno()
        size = _HEADER.unpack(_read(fd, _HEADER.size, deadline))[0]
        frame = _read(fd, size, deadline)
        exit_code, signal_number = _STATUS.unpack_from(frame)
        return exit_code, signal_number, frame[_STATUS.size :]

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()  # the worker ends when its input does
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()
        if self.process.stdout is not None:
            self.process.stdout.close()


def _read(fd: int, size: int, deadline: float) -> bytes:
    chunks: list[bytes] = []
    left = size
    while left:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
            raise TimeoutError
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError("the worker ended")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


class _Pool:
    """Idle workers, so a harvest of many pages starts the interpreter once; and the busy ones, so that
    none outlives obert (a job thread left running at shutdown must not leave its parser behind)."""

    def __init__(self) -> None:
        self._idle: list[_Worker] = []
        self._busy: set[_Worker] = set()
        self._lock = threading.Lock()
        self._pid = os.getpid()

    def take(self) -> _Worker:
        with self._lock:
            if os.getpid() != self._pid:  # a forked copy of obert: its parent's workers are not its own
                self._idle, self._busy, self._pid = [], set(), os.getpid()
            while self._idle:
                worker = self._idle.pop()
                if worker.alive():
                    self._busy.add(worker)
                    return worker
        worker = _Worker()
        with self._lock:
            self._busy.add(worker)
        return worker

    def give_back(self, worker: _Worker) -> None:
        with self._lock:
            self._busy.discard(worker)
            if worker.alive() and len(self._idle) < MAX_IDLE_WORKERS:
                self._idle.append(worker)
                return
        worker.close()

    def drop(self, worker: _Worker) -> None:
        with self._lock:
            self._busy.discard(worker)
        worker.kill()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
            busy, self._busy = self._busy, set()
        for worker in busy:
            worker.kill()
        for worker in idle:
            worker.close()


_pool = _Pool()
atexit.register(_pool.close)


def cpu_limit(seconds: float) -> int:
    """The whole CPU seconds a child is allowed (RLIMIT_CPU counts in seconds)."""
    return max(1, math.ceil(seconds))
