"""The search box's type-ahead: the datasets whose title or keywords start like what the reader typed,
from the in-memory snapshot on SQLite, from the rows' own title vectors on PostgreSQL (migration 0025)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.selectable import Subquery

from obert.i18n.text import QueryTerm, query_terms
from obert.search import gathered, snapshot
from obert.search.backends import PostgresTSV, SQLiteFTS, backend_for
from obert.search.index import recent_order, visible
from obert.search.model import Viewer
from obert.storage.tables.search import TERMS_TABLE, TSV_TABLE
from obert.storage.tables.search import search_documents as docs

# The type-ahead ranks this many of the most recently modified documents whose title or keywords match.
SUGGEST_WINDOW = 1000


def suggest(conn: Connection, *, viewer: Viewer, text: str, limit: int = 8) -> list[str]:
    """Ids of the datasets whose title or keywords start like `text` (the search box's type-ahead)."""
    terms = query_terms(text)
    if not terms:
        return []
    backend = backend_for(conn)
    if isinstance(backend, SQLiteFTS) and (kept := snapshot.current(conn)) is not None:
        return gathered.suggest(conn, backend=backend, snapshot=kept, viewer=viewer, terms=terms, limit=limit)
    if isinstance(backend, PostgresTSV):
        return _suggest_titled(conn, backend, viewer, terms, limit)
    hits = backend.hits(terms, any_term=False, titles_only=True)
    query = (
        sa.select(docs.c.dataset_id)
        .select_from(docs.join(hits, hits.c.doc_id == docs.c.doc_id))
        .where(visible(viewer))
        .order_by(hits.c.rank, docs.c.modified.desc(), docs.c.name)
        .limit(limit)
    )
    return list(conn.execute(query).scalars())


def _suggest_titled(
    conn: Connection, backend: PostgresTSV, viewer: Viewer, terms: Sequence[QueryTerm], limit: int
) -> list[str]:
    """PostgreSQL's type-ahead: of the SUGGEST_WINDOW most recently modified visible documents whose title
    or keywords hold the words, the best `limit` by rank, then date, then name. Documents are tested and
    ranked on their rows' own title vectors (migration 0025), never on their whole vectors, which are out
    of line and compressed (a TOAST read each: 1,000 of them cost ~100 ms at a million documents)."""
    way, words = _way(conn, backend, viewer, terms)
    window: Subquery
    if way == "words":
        window = backend.newest_titled(terms, SUGGEST_WINDOW, words=words)
    else:
        titled = backend.titled(terms, through_vectors=way == "vectors")
        window = (
            sa.select(titled.c.doc_id, titled.c.modified, titled.c.titles)
            .where(visible(viewer, titled))
            .order_by(*recent_order(titled))
            .limit(SUGGEST_WINDOW)
            .subquery("candidates")
        )
    rank = sa.literal_column(backend.title_rank(f"{window.name}.titles", terms), sa.Float)
    # The best by rank and date, ties at the last place included, are all that names can order: only
    # those are looked up in search_documents.
    best = (
        sa.select(window.c.doc_id, window.c.modified, rank.label("rank"))
        .order_by(rank, window.c.modified.desc())
        .fetch(limit, with_ties=True)
        .subquery("best")
    )
    query = (
        sa.select(docs.c.dataset_id)
        .select_from(best.join(docs, docs.c.doc_id == best.c.doc_id))
        .order_by(best.c.rank, best.c.modified.desc(), docs.c.name)
        .limit(limit)
    )
    return list(conn.execute(query).scalars())


Way = Literal["walk", "words", "vectors"]

# A typed word whose prefix starts at most this many of the public titles' words reads the newest
# SUGGEST_WINDOW documents of each of those words from their index (at most this many times the window's
# entries), whatever how common they are.
WORDS_AT_MOST = 32


def _way(
    conn: Connection, backend: PostgresTSV, viewer: Viewer, terms: Sequence[QueryTerm]
) -> tuple[Way, list[str] | None]:
    """How the type-ahead finds its window, and, for one typed word, the title words it stands for.
    Anonymous visitors (the published public documents, the only ones with an index of their newest rows
    and of their title words, migration 0029): one word being typed that starts few of the titles' words
    reads the newest entries of each ("words", with the words: at most SUGGEST_WINDOW entries a word,
    however common). Otherwise (several words, or a prefix of many), as before 0029: walk the newest rows
    testing each ("walk") or start from the documents with every word ("vectors", the whole vectors' GIN
    index: an intersection, which the words' index would make only by reading every entry of each word),
    whichever reads less: the vocabulary's document counts (search_terms) bound how many documents have
    them all, M of N; a walk reads about N / M rows per match it keeps, the GIN index M rows, so it walks
    when M * M > SUGGEST_WINDOW * N (twice, as about half of the documents with a word have it in their
    title or keywords). Other viewers: "vectors"."""
    if viewer.sysadmin or viewer.organization_ids:
        return "vectors", None
    if len(terms) == 1 and (found := backend.title_words(conn, terms[0], WORDS_AT_MOST)) is not None:
        return "words", found
    bounds = []
    params: dict[str, Any] = {}
    for n, term in enumerate(terms):
        exact = f"term = ANY(:alternatives{n})"
        params[f"alternatives{n}"] = list(term.alternatives)
        if term.prefix:
            # Terms starting with the prefix sort from it up to the prefix with its last letter's next
            # (exactly in the "C" order of PostgreSQL's default for obert; near enough for an estimate in
            # a language's order).
            exact += f" OR (term >= :prefix{n} AND term < :above{n})"
            params[f"prefix{n}"] = term.prefix
            params[f"above{n}"] = term.prefix[:-1] + chr(ord(term.prefix[-1]) + 1)
        bounds.append(f"(SELECT coalesce(sum(docs), 0) FROM {TERMS_TABLE} WHERE {exact})")
    statement = (
        f"SELECT least({', '.join(bounds)}), "
        f"(SELECT reltuples FROM pg_class WHERE oid = '{TSV_TABLE}'::regclass)"
    )
    most, total = conn.execute(sa.text(statement), params).one()
    walk = float(most) * float(most) > 2 * SUGGEST_WINDOW * max(float(total), 1.0)
    return ("walk" if walk else "vectors"), None
