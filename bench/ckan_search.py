"""CKAN package_search against a bare SQLite FTS5 query of the same words, in the same run.

    PYTHONPATH=. python bench/ckan_search.py                          # SQLite, 100k datasets
    PYTHONPATH=. python bench/ckan_search.py --sizes 10000 --queries 50   # a quick run
    PYTHONPATH=. python bench/ckan_search.py --url sqlite:////tmp/w/bench-100000.db   # an index built
                                                   # by bench/search.py --workdir /tmp/w (queries only)
    PYTHONPATH=. python bench/ckan_search.py --url postgresql+psycopg://…/obert_bench_1000000_…
                                                   # one kept by bench/search.py --postgres … --workdir

The catalogue is bench/search.py's synthetic trilingual one. package_search runs as the CKAN face runs
it, less HTTP and the package dicts: its parameters read by obert.api.ckan.search (q through luqum,
sort, 3 facets: organization, res_format, tags), then obert.catalog.listing.browse_datasets (count,
page of 10 and facet counts in SQL, words through the search index). The bare query is FTS5 alone:
the 10 best rows by bm25 for the same analysed words (every word must match), no visibility, no count,
no facets (on PostgreSQL: the 10 best rows by ts_rank of the same words, from the same tsvectors). The
ratio is what the CKAN face costs on top of the text index. Times are wall-clock and CPU time of this
process (SQLite runs in it; PostgreSQL's own CPU is not in it), medians, with the machine's load.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from bench.search import PLACES, SUBJECTS, database, generate, vacuum
from obert.api.ckan.params import Params
from obert.api.ckan.search import search_query
from obert.auth import ANONYMOUS
from obert.catalog.indexing import rebuild_index
from obert.catalog.listing import browse_datasets
from obert.i18n.text import query_terms
from obert.search.backends import _fts5_term, _tsquery
from obert.storage import Store, migrate
from obert.storage.tables.search import FTS_TABLE, TSV_COLUMN, TSV_TABLE

FACETS = json.dumps(["organization", "res_format", "tags"])


def words(rng: random.Random) -> str:
    subject, place = rng.choice(SUBJECTS), rng.choice(PLACES)
    lang = rng.randrange(3)
    word = rng.choice([w for w in subject[lang].replace("'", " ").split() if len(w) > 3])
    return f"{word} {place.split()[-1]}"


def ckan(store: Store, text: str) -> int:
    query = search_query(Params({"q": text, "rows": 10, "facet.field": FACETS}))
    return browse_datasets(store=store, actor=ANONYMOUS, query=query).count


def bare(store: Store, text: str) -> int:
    terms = query_terms(text, prefix_last=False)
    if store.backend == "postgresql":
        match = _tsquery(terms, any_term=False, titles_only=False)
        sql = sa.text(
            f"SELECT doc_id FROM {TSV_TABLE}, to_tsquery('simple', :m) AS q WHERE {TSV_COLUMN} @@ q "
            f"ORDER BY ts_rank({TSV_COLUMN}, q) DESC LIMIT 10"
        )
    else:
        match = " AND ".join(_fts5_term(t) for t in terms)
        sql = sa.text(
            f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :m ORDER BY bm25({FTS_TABLE}) LIMIT 10"
        )
    with store.read() as conn:
        return len(conn.execute(sql, {"m": match}).all())


def timed(run: Callable[[Store, str], int], store: Store, texts: list[str]) -> list[tuple[float, float]]:
    """(wall, CPU) seconds of each text, after a few to warm what a running server has warm."""
    for text in texts[:3]:
        run(store, text)
    out = []
    for text in texts:
        started, cpu = time.perf_counter(), time.process_time()
        run(store, text)
        out.append((time.perf_counter() - started, time.process_time() - cpu))
    return out


def report(size: int, store: Store, queries: int) -> None:
    rng = random.Random(size)
    texts = [words(rng) for _ in range(queries)]
    # Interleaved rounds, so that the machine's load falls on both alike.
    ckan_times: list[tuple[float, float]] = []
    bare_times: list[tuple[float, float]] = []
    for start in range(0, queries, 10):
        chunk = texts[start : start + 10]
        bare_times += timed(bare, store, chunk)
        ckan_times += timed(ckan, store, chunk)

    def p(times: list[tuple[float, float]], which: int, q: float) -> float:
        ordered = sorted(t[which] for t in times)
        return ordered[int(q * (len(ordered) - 1))] * 1000

    engine = "FTS5" if store.backend == "sqlite" else "tsvector"
    print(
        f"{store.backend} {size:>9,} datasets, {queries} queries, load {os.getloadavg()[0]:.1f}: "
        f"package_search (3 facets) p50 {p(ckan_times, 0, 0.5):.1f} ms p95 {p(ckan_times, 0, 0.95):.1f} ms "
        f"(CPU p50 {p(ckan_times, 1, 0.5):.1f} ms); bare {engine} p50 {p(bare_times, 0, 0.5):.2f} ms "
        f"p95 {p(bare_times, 0, 0.95):.2f} ms (CPU p50 {p(bare_times, 1, 0.5):.2f} ms); ratio p50 "
        f"×{p(ckan_times, 0, 0.5) / p(bare_times, 0, 0.5):.1f} wall, "
        f"×{p(ckan_times, 1, 0.5) / p(bare_times, 1, 0.5):.1f} CPU"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--url", action="append", default=[], help="an indexed SQLite obert database")
    args = parser.parse_args()
    for url in args.url:
        store = Store(url)
        migrate.upgrade(store)
        with store.read() as conn:
            size = int(conn.execute(sa.text("SELECT count(*) FROM datasets")).scalar_one())
        report(size, store, args.queries)
        store.dispose()
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes if not args.url else []:
            with database(None, Path(tmp), size) as url:
                store = Store(url)
                migrate.upgrade(store)
                generate(store, size, random.Random(size))
                rebuild_index(store=store)
                vacuum(store)
                report(size, store, args.queries)
                store.dispose()


if __name__ == "__main__":
    main()
