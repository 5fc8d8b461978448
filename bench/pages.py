"""Server time of each page of the residents' site on the demo catalogue, in process (no network).

    PYTHONPATH=. python bench/pages.py [--runs 50]

Prints p50 and p95 in milliseconds per page and language; the target is p50 <= 50 ms for every page.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parents[1]))

from tests.web.demo_site import build_demo_site

TARGET_MS = 50.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        site = build_demo_site(Path(tmp))
        client = TestClient(site.app)
        pages = {
            **site.pages(),
            "map-polygons": site.barris,
            "csv-resource": site.csv,
            "datasets": "/datasets",
        }
        print(f"{'page':<14} {'lang':<4} {'p50 ms':>8} {'p95 ms':>8}  (n={args.runs})")
        worst = 0.0
        for name, path in pages.items():
            for lang in ("ca", "es", "en"):
                url = f"/{lang}{path}"
                client.get(url)  # warm caches (templates, vocabularies, the GeoJSON summary)
                times = []
                for _ in range(args.runs):
                    started = time.perf_counter()
                    response = client.get(url)
                    times.append((time.perf_counter() - started) * 1000)
                    assert response.status_code in (200, 404), (url, response.status_code)
                p50 = statistics.median(times)
                p95 = statistics.quantiles(times, n=20)[18]
                worst = max(worst, p50)
                print(f"{name:<14} {lang:<4} {p50:8.1f} {p95:8.1f}")
        site.portal.close()
    verdict = "OK" if worst <= TARGET_MS else "TOO SLOW"
    print(f"slowest p50: {worst:.1f} ms (target {TARGET_MS:.0f} ms): {verdict}")
    return 0 if worst <= TARGET_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
