"""The search box's type-ahead, two code trees alternated on one database: wall-clock p50 and p95 of each
run, with CPU (this process's and the PostgreSQL server processes' of the database, from /proc, as
bench/harvest.py reads them, in clock ticks: a mean over the run; fairer on a shared machine), their
ratio, and whether both trees offered the same datasets in the same order for every prefix.

    PYTHONPATH=. python bench/suggest_trees.py --url postgresql+psycopg://…/obert_bench_1000000_… \\
        --tree /work/main --tree . --rounds 2 --queries 40

Each run is a process of its own with that tree first on its path, calling what the API's
/api/v1/search/suggest calls (obert.catalog.discovery.suggest_datasets, an anonymous visitor; HTTP left
out) for bench/find.py's prefixes (2–4 letters of a subject's word, the same seed), after three prefixes
to warm what a running server has warm. Nothing is migrated: the database must be one every tree can
read. The machine's load is printed with each run: on a shared machine alternate, and read medians.
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


def prefixes(queries: int) -> tuple[list[str], list[str]]:
    """bench/find.py's prefixes and its three to warm up with."""
    from bench.search import PLACES, SUBJECTS

    rng = random.Random(23)
    words = []
    for _ in range(queries):
        subject, _place = rng.choice(SUBJECTS), rng.choice(PLACES)  # as find.py draws them
        lang = rng.randrange(3)
        words.append(rng.choice([w for w in subject[lang].replace("'", " ").split() if len(w) > 3]))
    typed = [word.lower()[: rng.randint(2, 4)] for word in words]
    other = random.Random(24)
    warm = [(other.choice(SUBJECTS)[0].split()[0], other.choice(PLACES)) for _ in range(3)]
    return typed, [word.lower()[:3] for word, _ in warm]


def child(url: str, queries: int) -> None:
    from bench.harvest import server_cpu
    from obert.auth import ANONYMOUS
    from obert.catalog.discovery import suggest_datasets
    from obert.storage import Store

    store = Store(url)
    typed, warm = prefixes(queries)

    def run(text: str) -> list[list[str | None]]:
        return [[s.kind, s.text, s.name] for s in suggest_datasets(store=store, actor=ANONYMOUS, text=text)]

    for text in warm:
        run(text)
    times, cpus, answers = [], [], []
    load = os.getloadavg()[0]
    for text in typed:
        cpu = time.process_time() + server_cpu(store)
        started = time.perf_counter()
        offered = run(text)
        times.append(time.perf_counter() - started)
        cpus.append(time.process_time() + server_cpu(store) - cpu)
        answers.append([text, offered])
    digest = hashlib.sha256(json.dumps(answers).encode()).hexdigest()
    print(json.dumps({"times": times, "cpus": cpus, "answers": answers, "digest": digest, "load": load}))


def p(times: list[float], q: float) -> float:
    ordered = sorted(times)
    return ordered[round(q * (len(ordered) - 1))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--tree", action="append", required=True, help="a checkout of obert (twice or more)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.url, args.queries)
        return
    trees = [str(Path(t).resolve()) for t in args.tree]
    p50s: dict[str, list[float]] = {t: [] for t in trees}
    p95s: dict[str, list[float]] = {t: [] for t in trees}
    # The server's CPU is counted in clock ticks (10 ms): only a run's sum, or its mean, means anything.
    cpus: dict[str, list[float]] = {t: [] for t in trees}
    answers: dict[str, list[list[object]]] = {}
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
            p95s[tree].append(p(out["times"], 0.95))
            cpus[tree].append(statistics.mean(out["cpus"]))
            answers.setdefault(tree, out["answers"])
            times = out["times"]
            print(
                f"round {n + 1} {tree}: p50 {p(times, 0.5):7.1f} ms p95 {p(times, 0.95):7.1f} ms "
                f"max {max(times) * 1000:7.1f} ms; "
                f"CPU {statistics.mean(out['cpus']) * 1000:5.1f} ms a prefix "
                f"(load {out['load']:.1f}; answers {out['digest'][:12]})"
            )
    first = trees[0]
    for tree in trees[1:]:
        same = sum(a == b for a, b in zip(answers[first], answers[tree], strict=True))
        p50 = statistics.median(p50s[tree]) / statistics.median(p50s[first])
        p95 = statistics.median(p95s[tree]) / statistics.median(p95s[first])
        cpu = statistics.median(cpus[tree]) / statistics.median(cpus[first])
        print(
            f"{tree} against {first}: p50 ×{p50:.2f}, p95 ×{p95:.2f}, CPU ×{cpu:.2f} "
            "(medians of the rounds); "
            f"the same suggestions for {same} of {len(answers[first])} prefixes"
        )


if __name__ == "__main__":
    main()
