"""Real HTTP servers on 127.0.0.1 for tests of outbound calls: `serving` runs any request handler on a
spare port; `receiver` records what it is sent and answers with the statuses a test queues (then 200), or
per path for the link checker."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    requests: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)  # answered in order, then 200


@contextmanager
def serving(handler: Callable[..., BaseHTTPRequestHandler], *, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve `handler` on a spare port of 127.0.0.1 in a thread; yields the base URL (with `host` in it)."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@contextmanager
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            state.requests.append(Received(self.command, self.path, dict(self.headers.items()), body))
            status, payload, content_type = self._route()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        def _route(self) -> tuple[int, bytes, str]:
            if self.path.startswith("/slow"):
                time.sleep(2)
                return 200, b"late", "text/plain"
            if self.path.startswith("/missing"):
                return 404, b"no such file", "text/plain"
            if self.path.startswith("/nohead"):
                return (
                    (405, b"", "text/plain") if self.command == "HEAD" else (200, b"a,b\n1,2\n", "text/csv")
                )
            if self.path.startswith("/data.csv"):
                return 200, b"a,b\n1,2\n" * 100, "text/csv"
            status = state.statuses.pop(0) if state.statuses else 200
            return status, b"oops" if status >= 400 else b"thanks", "text/plain"

        do_GET = do_POST = do_HEAD = _answer

        def log_message(self, *args: object) -> None:
            pass

    with serving(Handler) as url:
        state.url = url
        yield state
