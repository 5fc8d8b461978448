"""Functions the sandbox tests run in a child process (they must be importable by name)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
from pathlib import Path

from obert.errors import FieldError, TooLarge


def add(a: int, b: int) -> dict[str, int]:
    return {"sum": a + b, "pid": os.getpid()}


def spin() -> None:
    while True:
        pass


def ignore_signals_and_spin() -> None:
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGXCPU):
        signal.signal(sig, signal.SIG_IGN)
    while True:
        pass


def eat_memory() -> None:
    hoard = []
    while True:
        hoard.append(bytearray(16 * 1024 * 1024))


def connect(port: int) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=2) as conn:
        conn.sendall(b"GET / HTTP/1.0\r\n\r\n")
    return "connected"


def write(path: str) -> int:
    with contextlib.suppress(OSError):
        Path(path).write_text("written by a parser")
    return Path(path).stat().st_size if Path(path).exists() else -1


def refuse() -> None:
    raise TooLarge("the document is too large", errors=[FieldError("document", "12 GB")])


def crash() -> None:
    os.kill(os.getpid(), signal.SIGSEGV)


def answer(size: int) -> str:
    return "x" * size
