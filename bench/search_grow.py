"""Grow an indexed PostgreSQL bench database of 100,000 datasets (bench/search.py --postgres … --workdir)
tenfold in SQL: the catalogue rows as bench/search.py's `_replicate` copies them, and the index rows
(documents, vectors, facets) copied alongside with new doc_ids, so a 1,000,000-document index exists in
minutes instead of a rebuild of hours on a shared machine. Facet rows go through search_facets, so the
integer tables are filled by its trigger as any write would fill them.

    PYTHONPATH=. python bench/search_grow.py postgresql+psycopg://root@127.0.0.1:5432/obert_bench_100000_…
"""

from __future__ import annotations

import sys
import time

import sqlalchemy as sa

from bench.search import _replicate
from obert.storage import Store

ROW_COLUMNS = "state, visibility, organization_id, modified, facet_ids"


def grow(store: Store) -> None:
    with store.read() as conn:
        top = int(conn.execute(sa.text("SELECT max(doc_id) FROM search_documents")).scalar_one())
    offset = 10 ** len(str(top))  # copy c's doc_ids are the originals' plus c * offset
    for copy in range(1, 10):
        started = time.perf_counter()
        _replicate(store, copy)
        mark, digit, shift = chr(ord("f") + copy), str(copy), copy * offset
        with store.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO search_documents "
                    "(doc_id, dataset_id, name, state, visibility, organization_id, modified) "
                    f"SELECT doc_id + {shift}, "
                    f"substr(dataset_id, 1, 8) || '{mark}' || substr(dataset_id, 10), "
                    f"'dataset-{digit}' || substr(name, 9), state, visibility, organization_id, modified "
                    f"FROM search_documents WHERE doc_id < {offset}"
                )
            )
            # Facets first, then the search rows with all their columns (value ids are the same), as
            # the index writes them.
            conn.execute(
                sa.text(
                    "INSERT INTO search_facets (doc_id, facet, value, lang) "
                    f"SELECT doc_id + {shift}, facet, value, lang FROM search_facets WHERE doc_id < {offset}"
                )
            )
            conn.execute(
                sa.text(
                    f"INSERT INTO search_tsv (doc_id, tsv, {ROW_COLUMNS}) "
                    f"SELECT doc_id + {shift}, tsv, {ROW_COLUMNS} FROM search_tsv WHERE doc_id < {offset}"
                )
            )
        print(f"copy {copy}: {time.perf_counter() - started:.0f} s", flush=True)
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(
            sa.text(
                "SELECT setval(pg_get_serial_sequence('search_documents', 'doc_id'), "
                "(SELECT max(doc_id) FROM search_documents))"
            )
        )
        conn.execute(sa.text("VACUUM ANALYZE"))


if __name__ == "__main__":
    grow(Store(sys.argv[1]))
