"""CPU of route matching per request path: every route in order (Starlette's loop) against the routes of
the path's first segment (obert.routing), on the app create_app builds.

    PYTHONPATH=. .venv/bin/python bench/routing.py [--n 3000]

Times only the matching loop (what picks the route), with `time.process_time()`, and prints each path's
microseconds, the number of top-level routes tried and the ratio.
"""

from __future__ import annotations

import argparse
import secrets
import tempfile
import time
from pathlib import Path
from typing import Any

from starlette.routing import BaseRoute, Match

from obert.app import create_app
from obert.routing import SegmentDispatch
from obert.settings import Settings

PATHS = (
    "/",
    "/datasets",
    "/dataset/arbrat-viari",
    "/dataset/a/resource/b",
    "/api/v1/datastore/x/rows",
    "/api/v1/datastore/x/export.csv",
    "/api/3/action/datastore_search",
    "/api/v1/datasets",
    "/health/live",
)


def first_match(routes: list[BaseRoute], path: str) -> int:
    scope: dict[str, Any] = {"type": "http", "method": "GET", "path": path, "root_path": "", "headers": []}
    for tried, route in enumerate(routes, 1):
        if route.matches(scope)[0] == Match.FULL:
            return tried
    return len(routes)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=3000)
    args = parser.parse_args()
    settings = Settings(mode="test", data_dir=Path(tempfile.mkdtemp()), secret_key=secrets.token_urlsafe(32))
    app = create_app(settings)
    dispatch = app.router.middleware_stack
    assert isinstance(dispatch, SegmentDispatch)
    every = list(app.router.routes)
    for path in PATHS:
        timed = {}
        for label, pick in (("all", lambda p: every), ("indexed", dispatch.index.candidates)):
            started = time.process_time()
            for _ in range(args.n):
                tried = first_match(pick(path), path)
            timed[label] = ((time.process_time() - started) / args.n * 1e6, tried)
        (a, ta), (b, tb) = timed["all"], timed["indexed"]
        print(
            f"{path:34} all {a:7.1f} us ({ta:2} tried)  indexed {b:6.1f} us ({tb:2} tried)  ratio {b / a:.2f}"
        )


if __name__ == "__main__":
    main()
