"""Real HTTP servers on 127.0.0.1 for harvest tests and the benchmark: a threaded server answering from a
route function, and a generated CKAN Action API whose packages can be changed between runs."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.receiver import serving

# (path, query) -> (status, headers, body)
Route = Callable[[str, dict[str, str]], tuple[int, dict[str, str], bytes]]


@dataclass
class Server:
    url: str
    hits: list[str] = field(default_factory=list)


@contextmanager
def serve(route: Route, *, host: str = "127.0.0.1") -> Iterator[Server]:
    """Serve `route` on a spare port of 127.0.0.1; `host` is the name put in the URL it yields."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            hits.append(self.path)
            status, headers, body = route(parts.path, query)
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return None

    with serving(Handler, host=host) as url:
        yield Server(url, hits)


def json_body(value: object, status: int = 200) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps(value).encode()


class FakeCkan:
    """A CKAN package_search over generated packages, paged with rows/start, filtered by the
    `metadata_modified:[X TO *]` range harvesters send, and `fl=id` for id-only listings."""

    def __init__(self, count: int, *, resources: int = 2) -> None:
        self.base = datetime(2024, 1, 1, tzinfo=UTC)
        self.packages: dict[str, dict[str, Any]] = {}
        self._ordered: list[dict[str, Any]] | None = None  # sorted once per change, not once per page
        self.clock = 0
        for n in range(count):
            self.add(n, resources=resources)

    def _stamp(self) -> str:
        self.clock += 1
        return (self.base + timedelta(seconds=self.clock)).strftime("%Y-%m-%dT%H:%M:%S.%f")

    def add(self, n: int, *, resources: int = 2) -> None:
        pid = f"00000000-0000-4000-8000-{n:012d}"
        self._ordered = None
        self.packages[pid] = {
            "id": pid,
            "name": f"generated-{n}",
            "title": f"Generated dataset {n}",
            "notes": f"Rows counted in district {n % 10}.",
            "license_id": "cc-by",
            "metadata_created": "2024-01-01T00:00:00.000000",
            "metadata_modified": self._stamp(),
            "tags": [{"name": "generated"}, {"name": f"district-{n % 10}"}],
            "organization": {"name": f"org-{n % 5}", "title": f"Publisher {n % 5}"},
            "extras": [{"key": "batch", "value": str(n // 1000)}],
            "resources": [
                {"name": f"part {r}", "format": "CSV", "url": f"https://data.example.org/{n}/{r}.csv"}
                for r in range(resources)
            ],
        }

    def modify(self, n: int, title: str) -> None:
        pkg = self.packages[f"00000000-0000-4000-8000-{n:012d}"]
        pkg["title"] = title
        pkg["metadata_modified"] = self._stamp()
        self._ordered = None

    def remove(self, n: int) -> None:
        del self.packages[f"00000000-0000-4000-8000-{n:012d}"]
        self._ordered = None

    def route(self, path: str, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        if path != "/api/3/action/package_search":
            return json_body({"success": False, "error": {"message": "Not found"}}, 404)
        if self._ordered is None:
            self._ordered = sorted(self.packages.values(), key=lambda p: (p["metadata_modified"], p["id"]))
        packages = self._ordered
        fq = query.get("fq", "")
        if "metadata_modified:[" in fq:
            since = fq.split("metadata_modified:[", 1)[1].split(" TO", 1)[0].rstrip("Z")
            packages = [p for p in packages if p["metadata_modified"][:19] >= since[:19]]
        start, rows = int(query.get("start", 0)), int(query.get("rows", 10))
        page = packages[start : start + rows]
        if query.get("fl") == "id":
            page = [{"id": p["id"]} for p in page]
        return json_body({"success": True, "result": {"count": len(packages), "results": page}})
