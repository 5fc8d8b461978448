"""CKAN package_search against a bare SQLite FTS5 query of the same words, in the same run.

    PYTHONPATH=. python bench/ckan_search.py                          # SQLite, 100k datasets
    PYTHONPATH=. python bench/ckan_search.py --sizes 10000 --queries 50   # a quick run
    PYTHONPATH=. python bench/ckan_search.py --url sqlite:////tmp/w/bench-100000.db   # an index built
                                                   # by bench/search.py --workdir /tmp/w (queries only)

The catalogue is bench/search.py's synthetic trilingual one. package_search runs as the CKAN face runs
it, less HTTP and the package dicts: its parameters read by obert.api.ckan.search (q through luqum,
sort, 3 facets: organization, res_format, tags), then obert.catalog.listing.browse_datasets (count,
page of 10 and facet counts in SQL, words through the search index). The bare query is FTS5 alone:
the 10 best rows by bm25 for the same analysed words (every word must match), no visibility, no count,
no facets. The ratio is what the CKAN face costs on top of the text index.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
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
from obert.search.backends import _fts5_term
from obert.storage import Store, migrate
from obert.storage.tables.search import FTS_TABLE

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
    match = " AND ".join(_fts5_term(t) for t in query_terms(text, prefix_last=False))
    sql = sa.text(
        f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :m ORDER BY bm25({FTS_TABLE}) LIMIT 10"
    )
    with store.read() as conn:
        return len(conn.execute(sql, {"m": match}).all())


def timed(run: Callable[[Store, str], int], store: Store, texts: list[str]) -> list[float]:
    for text in texts[:3]:  # warm what a running server has warm
        run(store, text)
    out = []
    for text in texts:
        started = time.perf_counter()
        run(store, text)
        out.append(time.perf_counter() - started)
    return out


def report(size: int, store: Store, queries: int) -> None:
    rng = random.Random(size)
    texts = [words(rng) for _ in range(queries)]
    # Interleaved rounds, so that the machine's load falls on both alike.
    ckan_times: list[float] = []
    bare_times: list[float] = []
    for start in range(0, queries, 10):
        chunk = texts[start : start + 10]
        bare_times += timed(bare, store, chunk)
        ckan_times += timed(ckan, store, chunk)
    p50_ckan, p50_bare = statistics.median(ckan_times) * 1000, statistics.median(bare_times) * 1000
    p95_ckan = sorted(ckan_times)[int(0.95 * (len(ckan_times) - 1))] * 1000
    p95_bare = sorted(bare_times)[int(0.95 * (len(bare_times) - 1))] * 1000
    print(
        f"sqlite {size:>9,} datasets, {queries} queries: package_search (3 facets) p50 {p50_ckan:.1f} ms "
        f"p95 {p95_ckan:.1f} ms; bare FTS5 p50 {p50_bare:.2f} ms p95 {p95_bare:.2f} ms; "
        f"ratio p50 ×{p50_ckan / p50_bare:.1f}, p95 ×{p95_ckan / p95_bare:.1f}"
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
