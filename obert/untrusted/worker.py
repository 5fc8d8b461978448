"""The worker process of `obert.untrusted.sandbox` (run as `python -m obert.untrusted.worker`).

It reads requests from its standard input, one at a time, and forks a child for each: the child lowers its
own limits (CPU time, address space, no file writes, no core dump), cuts itself off the network, computes,
and writes its JSON answer to a pipe; the worker waits for it and sends back its exit status and answer.
The worker is single-threaded, so forking it is safe; it imports a request's module before forking, so
the next child finds it loaded (and warmed up: see `_warm_up`).
"""

from __future__ import annotations

import gc
import importlib
import json
import os
import pickle
import resource
import signal
import socket
import sys
import traceback
from typing import Any, NoReturn

from obert.errors import ObertError
from obert.untrusted.sandbox import _HEADER, _STATUS, ANSWER_TOO_LARGE, Limits, cpu_limit


def main() -> None:
    warmed: set[str] = set()
    requests = sys.stdin.buffer.fileno()
    answers = os.dup(sys.stdout.buffer.fileno())
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # a stray print must not corrupt the frames
    while True:
        header = _read_exactly(requests, _HEADER.size)
        if header is None:
            return
        request = _read_exactly(requests, _HEADER.unpack(header)[0])
        if request is None:
            return
        module, name, args, limits = pickle.loads(request)  # obert's own request, not the document's
        loaded = importlib.import_module(module)
        if module not in warmed:
            _warm_up(loaded)
            warmed.add(module)
        func = getattr(loaded, name)
        exit_code, signal_number, answer = _fork(func, args, limits, closed=(requests, answers))
        frame = _STATUS.pack(exit_code, signal_number) + answer
        os.write(answers, _HEADER.pack(len(frame)))
        _write_all(answers, frame)


def _warm_up(module: Any) -> None:
    # A module's `warm_up()` loads what its functions load lazily (parser plugins, vocabularies) here,
    # once, so that every child finds it loaded instead of loading it again.
    warm = getattr(module, "warm_up", None)
    if callable(warm):
        try:
            warm()
        except Exception:
            traceback.print_exc()
    gc.collect()
    gc.freeze()  # what is loaded now is never collected: children do not copy its pages to scan them


def _fork(
    func: Any, args: tuple[Any, ...], limits: Limits, *, closed: tuple[int, ...]
) -> tuple[int, int, bytes]:
    readable, writable = os.pipe()
    pid = os.fork()
    if pid == 0:
        for fd in (readable, *closed):  # the child speaks only through its own pipe
            os.close(fd)
        _child(writable, func, args, limits)
    os.close(writable)
    chunks: list[bytes] = []
    size = 0
    too_large = False
    while chunk := os.read(readable, 1 << 20):
        size += len(chunk)
        if size > limits.answer_bytes:
            too_large = True
            os.kill(pid, signal.SIGKILL)
            break
        chunks.append(chunk)
    os.close(readable)
    _, status = os.waitpid(pid, 0)
    if too_large:
        return ANSWER_TOO_LARGE, 0, b""
    if os.WIFSIGNALED(status):
        return 0, os.WTERMSIG(status), b""
    return os.WEXITSTATUS(status), 0, b"".join(chunks)


def _child(out: int, func: Any, args: tuple[Any, ...], limits: Limits) -> NoReturn:
    try:
        _confine(limits)
        try:
            # ASCII escapes: a lone surrogate some parsers let through still travels as JSON
            answer = json.dumps({"ok": func(*args)}).encode()
        except ObertError as exc:
            errors = [[e.field, e.message] for e in exc.errors]
            answer = _error(type(exc).__name__, exc.message, errors, own=True)
        except MemoryError:
            answer = _error("TooLarge", f"reading it needs more than {limits.memory:,} bytes of memory")
        except RecursionError:
            answer = _error("Invalid", "it is nested too deeply")
        except Exception as exc:  # the parser's own failure, whatever its type: this is its boundary
            answer = _error("Invalid", f"{type(exc).__name__}: {str(exc)[:500]}")
        _write_all(out, answer)
    except MemoryError:
        _write_all(out, _error("TooLarge", "reading it needs more memory than it may have"))
    except BaseException:
        traceback.print_exc()
        os._exit(1)
    os._exit(0)


def _error(kind: str, message: str, errors: list[list[str]] | None = None, *, own: bool = False) -> bytes:
    # `own`: the function's message, complete; otherwise obert names the document in front of it.
    error = {"kind": kind, "message": message, "errors": errors or [], "own": own}
    return json.dumps({"error": error}).encode()


def _confine(limits: Limits) -> None:
    seconds = cpu_limit(limits.seconds)
    _lower(resource.RLIMIT_CPU, seconds, seconds + 1)  # SIGXCPU, then SIGKILL
    memory = _address_space() + limits.memory
    _lower(resource.RLIMIT_AS, memory, memory)
    _lower(resource.RLIMIT_CORE, 0, 0)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write fails with EFBIG instead of killing the child
    _lower(resource.RLIMIT_FSIZE, 0, 0)
    sys.dont_write_bytecode = True
    socket.socket = _NoSocket  # type: ignore[misc]
    socket.getaddrinfo = _no_network


def _lower(which: int, soft: int, hard: int) -> None:
    # Never above what the machine already imposes (a container's ulimit): raising it would fail.
    current = resource.getrlimit(which)[1]
    if current != resource.RLIM_INFINITY:
        soft, hard = min(soft, current), min(hard, current)
    resource.setrlimit(which, (soft, hard))


def _address_space() -> int:
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return 0


class _NoSocket(socket.socket):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise PermissionError("a document reader opens no connections")


def _no_network(*args: Any, **kwargs: Any) -> NoReturn:
    raise PermissionError("a document reader opens no connections")


def _read_exactly(fd: int, size: int) -> bytes | None:
    chunks: list[bytes] = []
    while size:
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


if __name__ == "__main__":
    main()
