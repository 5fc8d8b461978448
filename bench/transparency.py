"""Transparency benchmark: how long feeds, webhook dispatch and usage counting take on a busy log.

usage: PYTHONPATH=. .venv/bin/python bench/transparency.py [--updates 5000] [--subscriptions 50]

Loads the demo catalogue into a fresh SQLite data dir, writes `--updates` metadata changes (spread over
the ten datasets, one in five made on a private copy), then times: the portal, publisher, theme and
saved-search Atom feeds (50 entries); dispatching every event to `--subscriptions` webhook subscriptions
(delivery rows and jobs written, nothing sent); and the per-request cost of the usage counter.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from obert.app import create_app
from obert.auth import SYSTEM
from obert.auth.users import create_user
from obert.catalog import datasets
from obert.catalog.models import DatasetInput
from obert.demo import load_demo
from obert.notify import webhooks
from obert.portal import build_portal
from obert.settings import Settings
from obert.stats.counter import UsageCounter
from obert.storage.tables.transparency import subscriptions
from obert.web.usage import classify


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--updates", type=int, default=5000)
    parser.add_argument("--subscriptions", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(mode="test", data_dir=Path(tmp), base_url="http://bench")
        portal = build_portal(settings)
        load_demo(portal)
        names = [d.name for d in datasets.list_datasets(store=portal.store, actor=SYSTEM, limit=100).items]
        first = datasets.get_dataset(store=portal.store, actor=SYSTEM, ref=names[1])
        hidden = first.as_input() | {"name": "private-copy", "visibility": "private"}
        datasets.create_dataset(store=portal.store, actor=SYSTEM, data=DatasetInput.model_validate(hidden))
        started = time.perf_counter()
        for n in range(args.updates):
            name = "private-copy" if n % 5 == 0 else names[n % len(names)]
            datasets.patch_dataset(store=portal.store, actor=SYSTEM, ref=name, patch={"version": str(n)})
        print(f"{args.updates} updates written in {time.perf_counter() - started:.1f} s")

        client = TestClient(create_app(settings, portal=portal))
        for url in (
            "/feeds/datasets.atom",
            "/feeds/organization/estadistica.atom",
            "/feeds/theme/ENVI.atom",
            "/feeds/search.atom?q=qualitat+aire",
            "/feeds/dataset/private-copy.atom",
        ):
            times = []
            for _ in range(5):
                t0 = time.perf_counter()
                status = client.get(url).status_code
                times.append(time.perf_counter() - t0)
            print(f"GET {url}: {status}, median {statistics.median(times) * 1000:.1f} ms")

        user = create_user(store=portal.store, name="bench", password="correct horse battery")
        now = datetime.now(UTC) - timedelta(days=1)
        with portal.store.begin() as conn:
            for n in range(args.subscriptions):
                conn.execute(
                    subscriptions.insert().values(
                        id=f"sub-{n}",
                        owner_id=user.id,
                        target_type="dataset" if n % 2 else "organization",
                        target={"dataset_id": first.id} if n % 2 else {"organization_id": "none"},
                        url="https://example.org/hook",
                        secret="s",
                        active=True,
                        consecutive_failures=0,
                        created_at=now,
                        updated_at=now,
                    )
                )
        config = webhooks.WebhookConfig("http://bench", 10, 8, 20)
        started = time.perf_counter()
        queued = steps = 0
        while True:
            with portal.store.begin() as conn:
                later = datetime.now(UTC) + timedelta(minutes=1)
                step = webhooks.dispatch_events(conn, now=later, config=config)
            steps += 1
            queued += step.queued
            if not step.more:
                break
        print(
            f"dispatch: {queued} deliveries queued from {args.updates} log rows and {args.subscriptions} "
            f"subscriptions in {time.perf_counter() - started:.2f} s ({steps} transactions)"
        )

        counter = UsageCounter()
        paths = ["/dataset/accidents-gu-bcn", "/api/v1/datasets/x", "/datasets", "/static/obert.css"]
        rounds = 100_000
        t0 = time.perf_counter()
        for n in range(rounds):
            target = classify(paths[n % 4])
            if target:
                counter.add(target[0], target[1], target[2])
        print(f"usage counting: {(time.perf_counter() - t0) / rounds * 1e6:.2f} µs per request")
        portal.close()


if __name__ == "__main__":
    main()
