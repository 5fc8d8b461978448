"""Public pages and API lists over a large catalogue: what one anonymous request costs at 100k datasets.

    PYTHONPATH=. .venv/bin/python bench/search.py --sizes 100000 --build-only --workdir /tmp/big
    PYTHONPATH=. .venv/bin/python bench/pages_at_scale.py --url sqlite:////tmp/big/bench-100000.db [PATH ...]

Serves the catalogue at `--url` (an indexed obert database, as bench/search.py builds it) through the
ASGI app in this process, as an anonymous visitor, and asks each path `--runs` times: the first answer's
wall time (cold caches of this process), then the median wall and CPU time of the others, and the size of
the answer. Any page or list whose cost grows with the whole catalogue stands out at this size: it is how
the sitemap (37 s of CPU), the freshness list (41 s) and the home page's theme counts (0.5 s) were found.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mix_cpu import BIG, AsgiClient

from obert.app import create_app
from obert.portal import build_portal
from obert.settings import Settings

PATHS = (
    "/ca/",
    "/ca/datasets",
    "/ca/datasets?q=aigua",
    "/ca/organizations",
    "/ca/stats",
    "/sitemap.xml",
    "/sitemap/1.xml",
    "/api/3/action/package_list",
    "/api/3/action/tag_list",
    "/api/3/action/organization_list?all_fields=true",
    "/api/3/action/package_search?rows=10",
    "/api/3/action/package_autocomplete?q=aig",
    "/api/3/action/current_package_list_with_resources?limit=10",
    "/api/v1/datasets?limit=20",
    "/api/v1/organizations",
    "/api/v1/search/suggest?q=aig",
    "/api/v1/freshness",
    "/api/v1/quality",
    "/catalog.ttl?page=1",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--url", required=True, help="an indexed obert database (bench/search.py --workdir)")
    parser.add_argument(
        "--runs", type=int, default=3, help="requests of each path (the first is reported apart)"
    )
    parser.add_argument(
        "paths", nargs="*", help=f"paths to ask (default: {len(PATHS)} public pages and lists)"
    )
    args = parser.parse_args()
    settings = Settings(
        mode="demo",
        data_dir=Path(tempfile.mkdtemp(prefix="obert-pages-at-scale-")),
        secret_key=secrets.token_urlsafe(32),
        job_threads=0,
        rate_limit_reads=BIG,
        rate_limit_writes=BIG,
        rate_limit_sql=BIG,
        database_url=args.url,
    )
    client = AsgiClient(create_app(settings, portal=build_portal(settings)))
    try:
        for path in args.paths or PATHS:
            wall: list[float] = []
            cpu: list[float] = []
            for _ in range(max(args.runs, 2)):
                started, started_cpu = time.perf_counter(), time.process_time()
                answer = client.get(path)
                wall.append(time.perf_counter() - started)
                cpu.append(time.process_time() - started_cpu)
            then, then_cpu = statistics.median(wall[1:]) * 1000, statistics.median(cpu[1:]) * 1000
            print(
                f"{answer.status_code} first {wall[0] * 1000:8.0f} ms, then wall {then:8.1f} ms"
                f" CPU {then_cpu:8.1f} ms {len(answer.content):>11,} B  {path}",
                flush=True,
            )
    finally:
        client.close()


if __name__ == "__main__":
    main()
