"""An oversized request head (request line and headers) is refused by the real `obert serve`, fast and
before the application runs, while other clients go on being served.

uvicorn's httptools protocol has no limit of its own: without one, a 100 MB header held the server for
about half a minute and four at once stalled it."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 32 * 1024


@dataclass(frozen=True)
class Server:
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A private `obert serve`, as an operator starts it (its own data dir, one process)."""
    data = tmp_path_factory.mktemp("serve")
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "OBERT_DATA_DIR": str(data),
        "OBERT_SECRET_KEY": "a-header-limit-test-secret-long-enough",
        "OBERT_MAX_HEADER_BYTES": str(LIMIT),
        "OBERT_JOB_THREADS": "0",
        "OBERT_ACCESS_LOG": "false",
    }
    log = data / "serve.log"
    argv = [sys.executable, "-c", "from obert.cli import app; app()", "serve", "--port", str(port)]
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log.read_text()
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/health/live", timeout=1).status_code == 200:
                    break
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        yield Server(port, log)
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _send_head(port: int, head_start: bytes, filler: bytes, total: int) -> tuple[bytes, float]:
    """Send `head_start`, then `total` bytes of `filler` without ever ending the head; return what the
    server answered (empty if nothing) and the seconds it took."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        sent = 0
        try:
            conn.sendall(head_start)
            chunk = filler * (64 * 1024 // len(filler))
            while sent < total:
                conn.sendall(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server stopped reading: its answer is waiting
        answer = b""
        with contextlib.suppress(TimeoutError, ConnectionResetError):
            conn.settimeout(5)
            while chunk := conn.recv(65536):
                answer += chunk
    return answer, time.monotonic() - started


def test_an_oversized_header_gets_431_at_once(server: Server) -> None:
    answer, seconds = _send_head(
        server.port, b"GET /api/v1/datasets HTTP/1.1\r\nHost: x\r\nX-Big: ", b"a", 4 * 1024**2
    )
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
    assert b"larger than" in answer
    assert seconds < 5


def test_an_oversized_request_line_gets_431_too(server: Server) -> None:
    answer, _ = _send_head(server.port, b"GET /api/v1/datasets?q=", b"x", 4 * 1024**2)
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]


def test_many_headers_that_add_up_past_the_limit_are_refused(server: Server) -> None:
    answer, _ = _send_head(server.port, b"GET / HTTP/1.1\r\nHost: x\r\n", b"X-A: 1234567890\r\n", 1024**2)
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]


def test_a_head_under_the_limit_is_served(server: Server) -> None:
    cookie = "c=" + "v" * (LIMIT // 2)
    response = httpx.get(f"{server.url}/api/v1/datasets", headers={"Cookie": cookie}, timeout=10)
    assert response.status_code == 200


def test_a_body_after_a_small_head_is_not_counted_as_head(server: Server) -> None:
    # The head and a body far larger than the head limit arrive together: the body is not the head.
    body = b'{"sql": "' + b"x" * (LIMIT * 4) + b'"}'
    head = (
        b"POST /api/v1/datastore/sql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as conn:
        conn.sendall(head + body)
        answer = conn.recv(65536)
    assert not answer.startswith(b"HTTP/1.1 431"), answer[:200]


def test_four_attackers_at_once_do_not_stall_other_clients(server: Server) -> None:
    answers: list[bytes] = []

    def attack() -> None:
        answer, _ = _send_head(server.port, b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: ", b"a", 16 * 1024**2)
        answers.append(answer)

    attackers = [threading.Thread(target=attack) for _ in range(4)]
    for thread in attackers:
        thread.start()
    try:
        started = time.monotonic()
        response = httpx.get(f"{server.url}/api/v1/datasets", timeout=10)
        assert response.status_code == 200
        assert time.monotonic() - started < 2
    finally:
        for thread in attackers:
            thread.join(30)
    assert [a[:13] for a in answers] == [b"HTTP/1.1 431 "] * 4


def test_each_request_of_a_kept_alive_connection_has_the_whole_limit(server: Server) -> None:
    cookie = "c=" + "v" * (LIMIT * 3 // 4)
    with httpx.Client(base_url=server.url, timeout=10) as client:
        codes = [client.get("/api/v1/datasets", headers={"Cookie": cookie}).status_code for _ in range(3)]
    assert codes == [200, 200, 200]


def test_refused_heads_are_counted_in_the_metrics(server: Server) -> None:
    # The application never sees these requests, yet an operator alerting on refusals must.
    for _ in range(2):
        answer, _ = _send_head(server.port, b"GET /api/v1/datasets?q=", b"x", LIMIT * 2)
        assert answer.startswith(b"HTTP/1.1 431 ")
    text = httpx.get(f"{server.url}/metrics", timeout=10).text
    counted = [
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("obert_http_refusals_total{") and '"(before routing)"' in line and '"431"' in line
    ]
    assert counted and counted[0] >= 2
