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
from obert.api.ckan.read import TAG_LIST_QUERY, package_names, recent_packages_query
from obert.api.ckan.search import search_query
from obert.auth import ANONYMOUS
from obert.catalog.indexing import rebuild_index
from obert.catalog.listing import browse_datasets
from obert.i18n.text import query_terms
from obert.search.backends import _fts5_term, _tsquery
from obert.storage import Store, migrate
from obert.storage.tables.search import FTS_TABLE, TSV_COLUMN, TSV_TABLE, search_facets

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


# The listings, as their actions ask them (package dicts and HTTP left out), and bare queries of the same
# rows: the page straight from the datasets table in its order (no count), and for tag_list every public
# keyword counted by a GROUP BY over the facet rows (what a search engine's facet of the whole catalogue is).
PUBLIC = "state = 'published' AND visibility = 'public'"


def package_list(store: Store, offset: str) -> int:
    return len(package_names(store, ANONYMOUS, Params({"offset": int(offset), "limit": 1000})))


def bare_package_list(store: Store, offset: str) -> int:
    sql = f"SELECT name FROM datasets WHERE {PUBLIC} ORDER BY name LIMIT 1000 OFFSET :offset"
    with store.read() as conn:
        return len(conn.execute(sa.text(sql), {"offset": int(offset)}).all())


def recent(store: Store, _: str) -> int:
    query = recent_packages_query(Params({}))
    return len(browse_datasets(store=store, actor=ANONYMOUS, query=query).items)


def bare_recent(store: Store, _: str) -> int:
    sql = f"SELECT id FROM datasets WHERE {PUBLIC} ORDER BY updated_at DESC, name DESC LIMIT 10"
    with store.read() as conn:
        return len(conn.execute(sa.text(sql)).all())


def tag_list(store: Store, _: str) -> int:
    return len(browse_datasets(store=store, actor=ANONYMOUS, query=TAG_LIST_QUERY).facets["keyword"])


def bare_tag_list(store: Store, _: str) -> int:
    public = PUBLIC.replace(" AND ", " AND d.")
    sql = (
        f"SELECT f.value, count(*) FROM {search_facets.name} f "
        "JOIN search_documents d ON d.doc_id = f.doc_id "
        f"WHERE f.facet = 'keyword' AND f.lang = '*' AND d.{public} GROUP BY f.value"
    )
    with store.read() as conn:
        return len(conn.execute(sa.text(sql)).all())


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


def interleaved(
    ours: Callable[[Store, str], int], theirs: Callable[[Store, str], int], store: Store, texts: list[str]
) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """Rounds of ten of each in turn, so that the machine's load falls on both alike."""
    our_times: list[tuple[float, float]] = []
    bare_times: list[tuple[float, float]] = []
    for start in range(0, len(texts), 10):
        chunk = texts[start : start + 10]
        bare_times += timed(theirs, store, chunk)
        our_times += timed(ours, store, chunk)
    return our_times, bare_times


def p(times: list[tuple[float, float]], which: int, q: float) -> float:
    ordered = sorted(t[which] for t in times)
    return ordered[int(q * (len(ordered) - 1))] * 1000


def line(
    label: str, ours: list[tuple[float, float]], bare_label: str, theirs: list[tuple[float, float]]
) -> str:
    return (
        f"  {label:<40} p50 {p(ours, 0, 0.5):8.1f} ms p95 {p(ours, 0, 0.95):8.1f} ms (CPU p50 "
        f"{p(ours, 1, 0.5):6.1f} ms); bare {bare_label} p50 {p(theirs, 0, 0.5):8.2f} ms p95 "
        f"{p(theirs, 0, 0.95):8.2f} ms (CPU p50 {p(theirs, 1, 0.5):6.2f} ms); ratio p50 "
        f"×{p(ours, 0, 0.5) / p(theirs, 0, 0.5):.1f} wall, "
        f"×{p(ours, 1, 0.5) / max(p(theirs, 1, 0.5), 1e-6):.1f} CPU"
    )


def report(size: int, store: Store, queries: int, *, lists: bool = True) -> None:
    rng = random.Random(size)
    texts = [words(rng) for _ in range(queries)]
    engine = "FTS5" if store.backend == "sqlite" else "tsvector"
    print(f"{store.backend} {size:>9,} datasets, {queries} queries each, load {os.getloadavg()}")
    ours, theirs = interleaved(ckan, bare, store, texts)
    print(line("package_search (3 facets)", ours, engine, theirs))
    if lists:
        with store.read() as conn:
            public = int(conn.execute(sa.text(f"SELECT count(*) FROM datasets WHERE {PUBLIC}")).scalar_one())
        first = ["0"] * queries
        pages = [str(rng.randrange(max(public // 1000, 1)) * 1000) for _ in range(queries)]
        for label, ours_run, theirs_run, args in (
            ("package_list (1000, first page)", package_list, bare_package_list, first),
            ("package_list (1000, a random page)", package_list, bare_package_list, pages),
            ("current_package_list_with_resources", recent, bare_recent, first),
            ("tag_list", tag_list, bare_tag_list, first[: max(queries // 4, 10)]),
        ):
            ours, theirs = interleaved(ours_run, theirs_run, store, args)
            print(line(label, ours, "SQL", theirs))
    print(f"  load after: {os.getloadavg()}")


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
