"""CKAN package_search with words, two code trees alternated on one database: wall-clock p50 and p95 of
each run, their ratio, and whether both trees gave the same answers (count, page and facets of every
query, hashed).

    PYTHONPATH=. python bench/ckan_trees.py --url postgresql+psycopg://…/obert_bench_1000000_… \\
        --tree /work/main --tree . --rounds 2 --queries 20

Each run is a process of its own with that tree first on its path (its obert, its bench.ckan_search), on
bench/ckan_search.py's texts and call (q read by luqum, default sort, 3 facets, 10 rows, package dicts
and HTTP left out), after three texts to warm what a running server has warm. Nothing is migrated: the
database must be one that every tree can read (an additive migration's columns are ignored by a tree
before it). The machine's load is printed with each run: on a shared machine alternate, and read medians.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path


def child(url: str, queries: int) -> None:
    import sqlalchemy as sa

    from bench.ckan_search import FACETS, words
    from obert.api.ckan.params import Params
    from obert.api.ckan.search import search_query
    from obert.auth import ANONYMOUS
    from obert.catalog.listing import browse_datasets
    from obert.storage import Store

    store = Store(url)
    with store.read() as conn:
        size = int(conn.execute(sa.text("SELECT count(*) FROM datasets")).scalar_one())
    rng = random.Random(size)
    texts = [words(rng) for _ in range(queries)]

    def run(text: str) -> object:
        query = search_query(Params({"q": text, "rows": 10, "facet.field": FACETS}))
        return browse_datasets(store=store, actor=ANONYMOUS, query=query)

    for text in texts[:3]:
        run(text)
    times, counts, digest = [], [], hashlib.sha256()
    load = os.getloadavg()[0]
    for text in texts:
        started = time.perf_counter()
        found = run(text)
        times.append(time.perf_counter() - started)
        counts.append(found.count)  # type: ignore[attr-defined]
        names = [d.name for d in found.items]  # type: ignore[attr-defined]
        answer = [text, found.count, names, found.facets]  # type: ignore[attr-defined]
        digest.update(json.dumps(answer, sort_keys=True).encode())
    print(json.dumps({"times": times, "counts": counts, "digest": digest.hexdigest(), "load": load}))


def p(times: list[float], q: float) -> float:
    ordered = sorted(times)
    return ordered[round(q * (len(ordered) - 1))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--tree", action="append", required=True, help="a checkout of obert (twice or more)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--queries", type=int, default=20)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.url, args.queries)
        return
    trees = [str(Path(t).resolve()) for t in args.tree]
    p50s: dict[str, list[float]] = {t: [] for t in trees}
    digests: dict[str, set[str]] = {t: set() for t in trees}
    for n in range(args.rounds):
        for tree in trees:
            command = [
                sys.executable,
                __file__,
                "--child",
                "--tree",
                tree,
                "--url",
                args.url,
                "--queries",
                str(args.queries),
            ]
            env = {**os.environ, "PYTHONPATH": tree}
            out = json.loads(
                subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
            )
            p50s[tree].append(p(out["times"], 0.5))
            digests[tree].add(out["digest"])
            print(
                f"round {n + 1} {tree}: p50 {p(out['times'], 0.5):8.1f} ms "
                f"p95 {p(out['times'], 0.95):8.1f} ms "
                f"(load {out['load']:.1f}; matches p50 {statistics.median(out['counts']):,.0f}, "
                f"max {max(out['counts']):,}; answers {out['digest'][:12]})"
            )
    first = trees[0]
    for tree in trees[1:]:
        ratio = statistics.median(p50s[tree]) / statistics.median(p50s[first])
        same = "the same" if digests[tree] == digests[first] and len(digests[first]) == 1 else "DIFFERENT"
        print(f"{tree} against {first}: p50 ×{ratio:.2f} (medians of the rounds' p50); answers {same}")


if __name__ == "__main__":
    main()
