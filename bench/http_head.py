"""What the request-head limit costs per request: uvicorn's httptools protocol (no limit), obert's
HeadLimitedHttpTools (obert/serving.py) and uvicorn's h11 (limit built in), serving the real app.

    PYTHONPATH=. .venv/bin/python bench/http_head.py [--requests 4000] [--rounds 5] [--path /health/live]

Each round starts one server per protocol in turn (same data dir, access log off) and sends `--requests`
keep-alive requests from one client connection; a request's cost is the server process's CPU time
(user + system, from /proc) divided by the requests, and its latency is measured at the client. The
rounds interleave the protocols so drift on a shared machine falls on all of them alike; the figures are
medians over rounds.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PROTOCOLS = {
    "httptools": "httptools",
    "obert": "obert.serving:HeadLimitedHttpTools",
    "h11": "h11",
}
SERVER = """
import sys, uvicorn
uvicorn.run("obert.cli:web_app", factory=True, port=int(sys.argv[1]), http=sys.argv[2],
            h11_max_incomplete_event_size=64 * 1024, log_level="warning", access_log=False)
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _run(protocol: str, data_dir: Path, path: str, requests: int) -> tuple[float, float]:
    """(server CPU µs per request, client median latency µs) for one server of `protocol`."""
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "OBERT_DATA_DIR": str(data_dir),
        "OBERT_SECRET_KEY": "a-bench-secret-that-is-long-enough",
        "OBERT_JOB_THREADS": "0",
        "OBERT_RATE_LIMITS_ENABLED": "false",
    }
    proc = subprocess.Popen([sys.executable, "-c", SERVER, str(port), protocol], env=env)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health/live", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{protocol}: the server did not start")
            time.sleep(0.1)
        request = (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: bench/http_head\r\n"
            "Accept: application/json\r\nAccept-Language: ca,es;q=0.8,en;q=0.5\r\n\r\n"
        ).encode()
        with socket.create_connection(("127.0.0.1", port)) as conn:
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            reader = conn.makefile("rb")
            for _ in range(200):  # warm up: imports, caches
                _roundtrip(conn, reader, request)
            latencies = []
            cpu_before = _cpu_seconds(proc.pid)
            for _ in range(requests):
                started = time.perf_counter()
                _roundtrip(conn, reader, request)
                latencies.append(time.perf_counter() - started)
            cpu = _cpu_seconds(proc.pid) - cpu_before
        return cpu / requests * 1e6, statistics.median(latencies) * 1e6
    finally:
        proc.terminate()
        proc.wait(15)


def _roundtrip(conn: socket.socket, reader: object, request: bytes) -> None:
    conn.sendall(request)
    length = 0
    while True:
        line = reader.readline()  # type: ignore[attr-defined]
        if line in (b"\r\n", b""):
            break
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    if reader.read(length) is None:  # type: ignore[attr-defined]
        raise RuntimeError("connection closed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--path", default="/health/live")
    args = parser.parse_args()
    cpu: dict[str, list[float]] = {name: [] for name in PROTOCOLS}
    latency: dict[str, list[float]] = {name: [] for name in PROTOCOLS}
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(args.rounds):
            for name, protocol in PROTOCOLS.items():
                c, lat = _run(protocol, Path(tmp), args.path, args.requests)
                cpu[name].append(c)
                latency[name].append(lat)
                print(f"round {round_ + 1} {name:9} cpu {c:7.1f} µs/request  latency p50 {lat:7.1f} µs")
    base_cpu, base_lat = statistics.median(cpu["httptools"]), statistics.median(latency["httptools"])
    print(f"\nmedians over {args.rounds} rounds of {args.requests} requests to {args.path}:")
    for name in PROTOCOLS:
        c, lat = statistics.median(cpu[name]), statistics.median(latency[name])
        print(
            f"{name:9} server cpu {c:7.1f} µs/request ({c / base_cpu:.2f}× httptools)  "
            f"client latency p50 {lat:7.1f} µs ({lat / base_lat:.2f}×)"
        )


if __name__ == "__main__":
    main()
