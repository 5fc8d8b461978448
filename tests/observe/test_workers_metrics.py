"""`obert serve --workers 2`: a scrape of /metrics, whichever process answers it, counts the requests
every process served (prometheus_client's multiprocess mode, set up by the command)."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REQUESTS = 24


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        body: bytes = response.read()
        return body


def _served(metrics: str) -> float:
    pattern = r'^obert_http_requests_total\{[^}]*route="/health/live"[^}]*\} (\S+)$'
    return sum(float(v) for v in re.findall(pattern, metrics, flags=re.MULTILINE))


def test_one_scrape_counts_the_requests_of_every_web_process(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "OBERT_DATA_DIR": str(tmp_path / "data"),
        "OBERT_SECRET_KEY": "a-test-secret-that-is-long-enough-for-the-doctor",
        "OBERT_JOB_THREADS": "0",
        "OBERT_ACCESS_LOG": "false",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    command = [sys.executable, "-c", "from obert.cli import app; app()", "serve", "--workers", "2"]
    server = subprocess.Popen(
        [*command, "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                _get(base + "/health/live")
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "obert serve did not start"
                time.sleep(0.2)
        served, pids = 1, set()
        # The second process may start a moment after the first: ask until both have answered.
        while len(pids) < 2 or served < REQUESTS:
            pids.add(json.loads(_get(base + "/health/live"))["pid"])
            served += 1
            assert served < 400, "one process answered every request"
        # A request is counted just after its answer is sent: give the last one a moment.
        settled = time.monotonic() + 5
        while _served(_get(base + "/metrics").decode()) < served and time.monotonic() < settled:
            time.sleep(0.05)
        scrapes = [_served(_get(base + "/metrics").decode()) for _ in range(6)]
    finally:
        server.terminate()
        server.wait(30)
    assert scrapes == [float(served)] * len(scrapes), scrapes


def test_a_job_worker_serves_its_own_metrics_when_given_a_port(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "OBERT_DATA_DIR": str(tmp_path / "data"),
        "OBERT_SECRET_KEY": "a-test-secret-that-is-long-enough-for-the-doctor",
        "OBERT_WORKER_METRICS_PORT": str(port),
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    command = [sys.executable, "-c", "from obert.cli import app; app()", "worker", "--threads", "1"]
    worker = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                metrics = _get(f"http://127.0.0.1:{port}/metrics").decode()
                break
            except OSError:
                assert time.monotonic() < deadline and worker.poll() is None, "obert worker did not start"
                time.sleep(0.2)
    finally:
        worker.terminate()
        worker.wait(60)
    assert "# TYPE obert_jobs_total counter" in metrics
    assert "# TYPE obert_job_lease_expiries_total counter" in metrics
    assert "obert_http_requests_total{" not in metrics  # a worker serves no requests of its own
