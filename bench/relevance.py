"""Search relevance: MRR and nDCG@10 of judged queries, on SQLite and PostgreSQL, in the same run.

    PYTHONPATH=. python bench/relevance.py                      # the demo catalogue, SQLite (+ PostgreSQL)
    PYTHONPATH=. python bench/relevance.py --generated 100000   # and a generated catalogue of that size
    PYTHONPATH=. python bench/relevance.py --url sqlite:////tmp/bench-100000.db  # generated, already built

The demo set is tests/data/search_relevance.json: 64 queries in Catalan, Spanish and English over the
demo catalogue, each with the datasets a resident would want, graded 2 (asked for) or 1 (related),
judged from the metadata. PostgreSQL runs when OBERT_TEST_POSTGRES_URL is set (a database is created
for the run and dropped).

The generated set is bench/search.py's catalogue (subjects × units × neighbourhoods × years, with
Zipf-drawn keywords), queried as residents would: 60 queries, a subject in one language and a
neighbourhood ("Traffic accidents Gràcia"). A dataset about that subject in that neighbourhood is
graded 2, about that subject elsewhere 1, anything else 0 (judged from how it was generated, from its
Catalan title: "<subject> <unit> a <place> <year>"). As a peer in the same run: the engine's bare
ranking (FTS5 bm25 / ts_rank_cd over any of the words, the field weights only), which is what obert
ranked by before it counted matched words.

MRR: the mean of 1/rank of the first relevant dataset (0 when none is in the first 10). nDCG@10:
gains 2^grade - 1, discounted by log2(rank + 1), over the ideal order of the judged datasets.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from obert.auth import ANONYMOUS
from obert.catalog.discovery import search_datasets
from obert.search import SearchQuery
from obert.storage import Store
from obert.storage.tables.catalog import datasets

ROOT = Path(__file__).resolve().parent.parent
JUDGED = ROOT / "tests" / "data" / "search_relevance.json"
TOP = 10

Judgement = Mapping[str, int]  # dataset name → grade (1 or 2); left out: 0
Ranker = Callable[[str, str], list[str]]  # (query, lang) → dataset names, best first


def judged_queries(path: Path = JUDGED) -> list[dict[str, Any]]:
    queries: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["queries"]
    return queries


def reciprocal_rank(ranked: Sequence[str], judgement: Judgement) -> float:
    return next((1 / rank for rank, name in enumerate(ranked[:TOP], 1) if judgement.get(name, 0) > 0), 0.0)


def ndcg(ranked: Sequence[str], judgement: Judgement) -> float:
    def dcg(grades: Sequence[int]) -> float:
        return sum((2**grade - 1) / math.log2(rank + 1) for rank, grade in enumerate(grades[:TOP], 1))

    ideal = dcg(sorted(judgement.values(), reverse=True))
    return dcg([judgement.get(name, 0) for name in ranked]) / ideal if ideal else 0.0


def score(queries: Sequence[Mapping[str, Any]], rank: Ranker) -> dict[str, Any]:
    """MRR and nDCG@10 of `rank` over `queries` (each with q, lang and relevant), overall and by language,
    with the queries whose first result was not relevant."""
    per: list[tuple[str, float, float]] = []
    misses = []
    for query in queries:
        ranked = rank(query["q"], query["lang"])
        rr, gain = reciprocal_rank(ranked, query["relevant"]), ndcg(ranked, query["relevant"])
        per.append((query["lang"], rr, gain))
        if rr < 1:
            misses.append(f"{query['q']!r} → {ranked[:3]}")
    out: dict[str, Any] = {
        "queries": len(per),
        "mrr": statistics.fmean(rr for _, rr, _ in per),
        "ndcg": statistics.fmean(g for _, _, g in per),
        "misses": misses,
    }
    for lang in sorted({lang for lang, _, _ in per}):
        out[f"mrr_{lang}"] = statistics.fmean(rr for lg, rr, _ in per if lg == lang)
    return out


def obert_ranker(store: Store) -> Ranker:
    """The search page's ranking: discovery.search_datasets, as an anonymous visitor."""

    def rank(q: str, lang: str) -> list[str]:
        query = SearchQuery(q=q, lang=lang, limit=TOP)
        return [d.name for d in search_datasets(store=store, actor=ANONYMOUS, query=query).datasets]

    return rank


def bare_ranker(store: Store) -> Ranker:
    """The engine alone: any of the words, ordered by bm25 / ts_rank_cd with the field weights."""

    def rank(q: str, lang: str) -> list[str]:
        with store.read() as conn:
            ranked = _bare(conn, q)
            if ranked is None:
                return []
            select = (
                sa.select(datasets.c.name)
                .join(ranked, ranked.c.dataset_id == datasets.c.id)
                .where(datasets.c.state == "published", datasets.c.visibility == "public")
                .order_by(ranked.c.rank, datasets.c.name)
                .limit(TOP)
            )
            return list(conn.execute(select).scalars())

    return rank


def _bare(conn: sa.Connection, q: str) -> Any:
    """(dataset_id, rank) by the engine's own ranking function over any word."""
    from obert.i18n.text import query_terms
    from obert.search.backends import _WEIGHTS, FTS_TABLE, TSV_COLUMN, TSV_TABLE, WEIGHTS, backend_for
    from obert.storage.tables.search import search_documents as docs

    terms = query_terms(q, prefix_last=False)
    if not terms:
        return None
    backend = backend_for(conn)
    hits = backend.hits(terms, any_term=True, titles_only=False, ranked=False)
    if conn.dialect.name == "postgresql":
        vectors = sa.table(TSV_TABLE, sa.column("doc_id"), sa.column(TSV_COLUMN)).alias("v")
        query = " | ".join(f"'{alt}'" for t in terms for alt in t.alternatives)
        rank = -sa.func.ts_rank_cd(
            sa.literal_column(_WEIGHTS), vectors.c[TSV_COLUMN], sa.func.to_tsquery("simple", query), 1
        )
        return (
            sa.select(docs.c.dataset_id, rank.label("rank"))
            .select_from(
                hits.join(vectors, vectors.c.doc_id == hits.c.doc_id).join(
                    docs, docs.c.doc_id == hits.c.doc_id
                )
            )
            .subquery("bare")
        )
    del hits
    expression = " OR ".join(f'"{alt}"' for t in terms for alt in t.alternatives)
    weights = ", ".join(str(w) for w in WEIGHTS)
    bare = (
        sa.text(
            f"SELECT rowid AS doc_id, bm25({FTS_TABLE}, {weights}) AS rank "
            f"FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :m"
        )
        .bindparams(m=expression)
        .columns(sa.column("doc_id", sa.Integer), sa.column("rank", sa.Float))
        .subquery("fts")
    )
    return (
        sa.select(docs.c.dataset_id, bare.c.rank)
        .select_from(bare.join(docs, docs.c.doc_id == bare.c.doc_id))
        .subquery("bare")
    )


def generated_queries(store: Store, count: int, seed: int = 0) -> list[dict[str, Any]]:
    """`count` queries of a subject (in one language) and a neighbourhood, judged from the generated
    catalogue's Catalan titles (see the module's docstring)."""
    from bench.search import PLACES, SUBJECTS

    rng = random.Random(seed)
    with store.read() as conn:
        titles = [
            (name, (title or {}).get("ca", ""))
            for name, title in conn.execute(
                sa.select(datasets.c.name, datasets.c.title).where(
                    datasets.c.state == "published", datasets.c.visibility == "public"
                )
            )
        ]
    by_subject: dict[int, list[tuple[str, str]]] = {}
    for name, title in titles:
        for position, subject in enumerate(SUBJECTS):
            if title.startswith(subject[0] + " "):
                by_subject.setdefault(position, []).append((name, title))
                break
    queries = []
    langs = ("ca", "es", "en")
    for n in range(count):
        position, place = rng.randrange(len(SUBJECTS)), rng.choice(PLACES)
        lang = langs[n % 3]
        relevant = {name: 2 if f" a {place} " in title else 1 for name, title in by_subject.get(position, [])}
        queries.append(
            {"lang": lang, "q": f"{SUBJECTS[position][langs.index(lang)]} {place}", "relevant": relevant}
        )
    return queries


@contextmanager
def postgres_database(server: str, prefix: str = "obert_relevance") -> Iterator[str]:
    """A database of its own on PostgreSQL server `server`, dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    libpq = make_url(server).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(libpq, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(libpq, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def demo_portal(url: str, workdir: Path) -> Iterator[Store]:
    from obert.demo import load_demo
    from obert.portal import build_portal
    from obert.settings import Settings

    portal = build_portal(
        Settings(mode="test", data_dir=workdir / "data", database_url=url, base_url="http://bench")
    )
    try:
        load_demo(portal)
        yield portal.store
    finally:
        portal.close()


def report(label: str, figures: Mapping[str, Any], target: str = "") -> None:
    langs = " ".join(f"{k[4:]} {v:.3f}" for k, v in figures.items() if k.startswith("mrr_"))
    print(
        f"{label:<44} {figures['queries']:>3} queries  MRR {figures['mrr']:.3f}  "
        f"nDCG@10 {figures['ndcg']:.3f}"
        f"  (MRR by language: {langs}){target}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--generated", type=int, default=0, help="also build a generated catalogue this big")
    parser.add_argument("--url", action="append", default=[], help="a built generated catalogue (repeatable)")
    parser.add_argument("--queries", type=int, default=60, help="queries on a generated catalogue")
    parser.add_argument("--misses", action="store_true", help="list the queries whose first hit is wrong")
    args = parser.parse_args()
    engines = [("sqlite", None)]
    postgres = os.environ.get("OBERT_TEST_POSTGRES_URL")
    if postgres:
        engines.append(("postgresql", postgres))
    load = " ".join(f"{n:.1f}" for n in os.getloadavg())
    print(f"load average: {load} on {os.cpu_count()} cores")
    queries = judged_queries()
    with tempfile.TemporaryDirectory() as tmp:
        for engine, server in engines:
            workdir = Path(tmp) / engine
            with (
                postgres_database(server) if server else _sqlite(workdir) as url,
                demo_portal(url, workdir) as store,
            ):
                for name, ranker in (("obert", obert_ranker(store)), ("bare engine", bare_ranker(store))):
                    figures = score(queries, ranker)
                    target = "  target MRR >= 0.9" if name == "obert" else ""
                    report(f"demo, {engine}, {name}", figures, target)
                    if args.misses:
                        for miss in figures["misses"]:
                            print("   ", miss)
        urls = list(args.url)
        if args.generated:
            urls.append(_build_generated(args.generated, Path(tmp)))
        for url in urls:
            _generated(url, args.queries, args.misses)


@contextmanager
def _sqlite(workdir: Path) -> Iterator[str]:
    workdir.mkdir(parents=True, exist_ok=True)
    yield f"sqlite:///{workdir / 'relevance.db'}"


def _build_generated(size: int, workdir: Path) -> str:
    from bench.search import generate
    from obert.catalog.indexing import rebuild_index
    from obert.storage import migrate

    url = f"sqlite:///{workdir / f'generated-{size}.db'}"
    store = Store(url)
    migrate.upgrade(store)
    started = time.perf_counter()
    generate(store, size, random.Random(size))
    rebuild_index(store=store)
    print(f"built a generated catalogue of {size:,} in {time.perf_counter() - started:.0f} s")
    store.dispose()
    return url


def _generated(url: str, count: int, misses: bool) -> None:
    from obert.storage import migrate

    store = Store(url)
    migrate.upgrade(store)
    with store.read() as conn:
        size = conn.execute(sa.select(sa.func.count()).select_from(datasets)).scalar_one()
    queries = generated_queries(store, count)
    for name, ranker in (("obert", obert_ranker(store)), ("bare engine", bare_ranker(store))):
        figures = score(queries, ranker)
        report(f"generated {size:,}, {store.backend}, {name}", figures)
        if misses:
            for miss in figures["misses"][:10]:
                print("   ", miss)
    store.dispose()


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
