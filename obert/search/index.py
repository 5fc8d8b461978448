"""The search index: writing documents inside the caller's transaction, and querying them.

Every function takes the caller's connection, so the catalogue updates the index in the same
transaction as the change itself and a rollback undoes both: the index cannot drift from the catalogue.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import Select, Subquery

from obert.i18n.text import QueryTerm, index_text, query_terms
from obert.search import cache
from obert.search.backends import backend_for
from obert.search.model import HAS_API, Hits, SearchDocument, SearchQuery, Viewer
from obert.storage.tables.search import search_documents as docs
from obert.storage.tables.search import search_facets as facets

_VALUE_CHARS = 200
_FACET_COLUMNS = f"{facets.name} (doc_id, facet, value, lang)"
_INSERT_FACETS = f"INSERT INTO {_FACET_COLUMNS} VALUES (?, ?, ?, ?)"
_COPY_FACETS = f"COPY {_FACET_COLUMNS} FROM STDIN"


class AnalysedDocument(NamedTuple):
    """A document as the index stores it: its search_documents row (without doc_id), its four analysed
    texts (title, keywords, description, other) and its facet rows (facet, value, lang). `analyse` makes
    it without a database, so a rebuild can analyse in worker processes while it writes (a tuple: cheap
    to send back)."""

    dataset_id: str
    row: tuple[str, str, str, str, str | None, datetime]  # dataset_id, name, state, visibility, org, modified
    texts: tuple[str, str, str, str]
    facets: tuple[tuple[str, str, str], ...]


def analyse(doc: SearchDocument) -> AnalysedDocument:
    row = (doc.dataset_id, doc.name, doc.state, doc.visibility, doc.organization_id, doc.modified)
    return AnalysedDocument(doc.dataset_id, row, _texts(doc), _facet_rows(doc))


def write_documents(conn: Connection, documents: Sequence[SearchDocument]) -> None:
    """Index `documents`, replacing what was indexed for the same datasets."""
    write_analysed(conn, [analyse(d) for d in documents])


def write_analysed(conn: Connection, documents: Sequence[AnalysedDocument]) -> None:
    """Store analysed documents, replacing what was indexed for the same datasets."""
    if not documents:
        return
    dataset_ids = [d.dataset_id for d in documents]
    remove_documents(conn, dataset_ids)
    columns = ("dataset_id", "name", "state", "visibility", "organization_id", "modified")
    conn.execute(docs.insert(), [dict(zip(columns, d.row, strict=True)) for d in documents])
    # Read back rather than RETURNING, which SQLite's driver makes one INSERT per row (a tenth of a
    # rebuild).
    found = conn.execute(
        sa.select(docs.c.dataset_id, docs.c.doc_id).where(docs.c.dataset_id.in_(dataset_ids))
    )
    assigned: dict[str, int] = {row.dataset_id: row.doc_id for row in found}
    doc_ids = [assigned[i] for i in dataset_ids]
    backend_for(conn).write(conn, [(i, d.texts) for i, d in zip(doc_ids, documents, strict=True)])
    _insert_facets(conn, [(i, *row) for i, d in zip(doc_ids, documents, strict=True) for row in d.facets])
    cache.changed(conn)


def _insert_facets(conn: Connection, rows: Sequence[tuple[int, str, str, str]]) -> None:
    # About twenty rows a document: straight to the driver, without building a dict and binding each
    # (a fifth of a rebuild's time through SQLAlchemy). PostgreSQL copies them in.
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        driver: Any = conn.connection.dbapi_connection  # psycopg's own: COPY is not in the DB-API
        with driver.cursor() as cursor, cursor.copy(_COPY_FACETS) as copy:
            for row in rows:
                copy.write_row(row)
    else:
        conn.exec_driver_sql(_INSERT_FACETS, list(rows))


def remove_documents(conn: Connection, dataset_ids: Sequence[str]) -> None:
    """Take these datasets out of the index (no error for ones that are not in it)."""
    if not dataset_ids:
        return
    doc_ids = list(conn.execute(sa.select(docs.c.doc_id).where(docs.c.dataset_id.in_(dataset_ids))).scalars())
    if not doc_ids:
        return
    backend_for(conn).delete(conn, doc_ids)
    conn.execute(facets.delete().where(facets.c.doc_id.in_(doc_ids)))
    conn.execute(docs.delete().where(docs.c.doc_id.in_(doc_ids)))
    cache.changed(conn)


def clear(conn: Connection) -> None:
    """Empty the index (before a rebuild)."""
    backend_for(conn).clear(conn)
    conn.execute(facets.delete())
    conn.execute(docs.delete())
    cache.changed(conn)


def indexed_count(conn: Connection) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(docs)).scalar_one())


def visible(viewer: Viewer) -> ColumnElement[bool]:
    """The documents `viewer` may find: the rule of obert.catalog.access.visible_to, on index columns."""
    public = sa.and_(docs.c.state == "published", docs.c.visibility == "public")
    not_deleted = docs.c.state != "deleted"
    if viewer.sysadmin:
        return not_deleted
    if viewer.organization_ids:
        return sa.and_(not_deleted, sa.or_(public, docs.c.organization_id.in_(viewer.organization_ids)))
    return public


def find(conn: Connection, *, viewer: Viewer, query: SearchQuery) -> Hits:
    """One page of the datasets matching `query` that `viewer` may see, with the total and facet counts."""
    terms = query_terms(query.q)
    if not terms:
        return _browse(conn, viewer, query)
    relaxed = False
    ids, count = _ranked_page(conn, viewer, query, terms, any_term=False)
    if count == 0 and len(terms) > 1:
        # Nobody wrote every word: rather than nothing, show what has some of them, best first.
        relaxed = True
        ids, count = _ranked_page(conn, viewer, query, terms, any_term=True)
    unranked = _hits(conn, terms, any_term=relaxed, ranked=False)
    facet_counts = _facet_counts(conn, viewer, query, unranked) if count else {f: [] for f in query.facets}
    return Hits(ids, count, facet_counts, relaxed)


def _ranked_page(
    conn: Connection, viewer: Viewer, query: SearchQuery, terms: Sequence[QueryTerm], *, any_term: bool
) -> tuple[list[str], int]:
    # The page's query also counts every match (a window over all rows, computed before the LIMIT), so
    # the words are looked up once for both; only a page past the end needs a count of its own.
    hits = _hits(conn, terms, any_term=any_term, ranked=True)
    rows = _page(conn, viewer, query, hits, counted=True)
    if rows:
        return [row[0] for row in rows], int(rows[0][1])
    return [], _count(conn, viewer, query, _hits(conn, terms, any_term=any_term, ranked=False))


def _browse(conn: Connection, viewer: Viewer, query: SearchQuery) -> Hits:
    count, facet_counts = _browse_counts(conn, viewer, query)
    ids: list[str] = []
    if count > query.offset:
        # When most documents match, walking the sort order's index and checking each document finds a
        # page sooner than sorting every match; when few do, sorting them is cheaper.
        total = count if not query.filters else _browse_counts(conn, viewer, SearchQuery())[0]
        walk = count * count > (query.offset + query.limit) * total
        ids = [row[0] for row in _page(conn, viewer, query, None, walk=walk)]
    return Hits(ids, count, {name: list(values) for name, values in facet_counts.items()})


def _browse_counts(conn: Connection, viewer: Viewer, query: SearchQuery) -> cache.Answer:
    # Without words, the same few questions (everything, one theme, one publisher) come again and again,
    # and each costs a pass over a large share of the catalogue: their counts are cached (see cache).
    version = cache.version(conn)
    key = (
        version,
        viewer.sysadmin,
        viewer.organization_ids,
        tuple(sorted((name, tuple(sorted(values))) for name, values in query.filters.items() if values)),
        tuple(query.facets),
        query.lang,
        query.facet_limit,
    )
    answer = cache.lookup(conn, key) if version else None
    if answer is None:
        count = _count(conn, viewer, query, None)
        facet_counts = _facet_counts(conn, viewer, query, None) if count else {f: [] for f in query.facets}
        answer = (count, facet_counts)
        if version:
            cache.keep(conn, key, answer)
    return answer


def matching(conn: Connection, *, viewer: Viewer, text: str) -> Select[Any]:
    """A SELECT of the ids of the datasets `viewer` may see whose text matches `text` (all words): for
    callers that filter, sort and page in SQL themselves, such as CKAN's package_search."""
    hits = _hits(conn, query_terms(text), any_term=False, ranked=False)
    if hits is None:
        return sa.select(docs.c.dataset_id).where(sa.false())
    return _matching([docs.c.dataset_id], viewer, SearchQuery(), hits)


def suggest(conn: Connection, *, viewer: Viewer, text: str, limit: int = 8) -> list[str]:
    """Ids of the datasets whose title or keywords start like `text` (the search box's type-ahead)."""
    terms = query_terms(text)
    if not terms:
        return []
    hits = backend_for(conn).hits(terms, any_term=False, titles_only=True)
    query = (
        sa.select(docs.c.dataset_id)
        .select_from(docs.join(hits, hits.c.doc_id == docs.c.doc_id))
        .where(visible(viewer))
        .order_by(hits.c.rank, docs.c.modified.desc(), docs.c.name)
        .limit(limit)
    )
    return list(conn.execute(query).scalars())


def _hits(conn: Connection, terms: Sequence[QueryTerm], *, any_term: bool, ranked: bool) -> Subquery | None:
    if not terms:
        return None
    return backend_for(conn).hits(terms, any_term=any_term, titles_only=False, ranked=ranked)


def _matching(
    columns: Sequence[Any],
    viewer: Viewer,
    query: SearchQuery,
    hits: Subquery | None,
    *,
    skip: str = "",
    walk: bool = False,
) -> Select[Any]:
    """`columns` of the matching documents. With `walk`, filters are checked document by document (an
    EXISTS), which lets SQLite follow an index in the page's order instead of collecting every match."""
    joined: Any = docs if hits is None else docs.join(hits, hits.c.doc_id == docs.c.doc_id)
    where = [visible(viewer)]
    for facet, values in query.filters.items():
        if facet == skip or not values:
            continue
        having = sa.and_(facets.c.facet == facet, facets.c.value.in_(list(values)))
        if walk:
            where.append(sa.exists().where(facets.c.doc_id == docs.c.doc_id, having))
        else:
            where.append(docs.c.doc_id.in_(sa.select(facets.c.doc_id).where(having)))
    return sa.select(*columns).select_from(joined).where(*where)


def _count(conn: Connection, viewer: Viewer, query: SearchQuery, hits: Subquery | None) -> int:
    return int(conn.execute(_matching([sa.func.count()], viewer, query, hits)).scalar_one())


def _page(
    conn: Connection,
    viewer: Viewer,
    query: SearchQuery,
    hits: Subquery | None,
    *,
    walk: bool = False,
    counted: bool = False,
) -> list[Any]:
    """Rows of (dataset_id,) for one page, or (dataset_id, count of all matches) when `counted`."""
    order: list[Any]
    sort = query.effective_sort
    if sort == "relevance" and hits is not None:
        order = [hits.c.rank, docs.c.modified.desc(), docs.c.name]
    elif sort == "name":
        order = [docs.c.name]
    else:
        order = [docs.c.modified.desc(), docs.c.name]
    columns = [docs.c.dataset_id, *([sa.func.count().over()] if counted else [])]
    select = _matching(columns, viewer, query, hits, walk=walk).order_by(*order)
    return list(conn.execute(select.limit(query.limit).offset(query.offset)))


def _facet_counts(
    conn: Connection, viewer: Viewer, query: SearchQuery, hits: Subquery | None
) -> dict[str, list[tuple[str, int]]]:
    """Counts per value of each requested facet, in SQL (never over all rows in Python).

    Within a facet, values are alternatives (OR), so a facet's own filter is left out when counting it:
    ticking "Transport" still shows how many "Environment" would add. Facets nobody filters on share one
    grouped query.
    """
    result: dict[str, list[tuple[str, int]]] = {name: [] for name in query.facets}
    filtered = [f for f in query.facets if query.filters.get(f)]
    unfiltered = [f for f in query.facets if f not in filtered]
    groups = [(unfiltered, "")] if unfiltered else []
    groups += [([name], name) for name in filtered]
    for names, skip in groups:
        for facet, value, count in conn.execute(_facet_select(names, skip, viewer, query, hits)):
            result[facet].append((value, int(count)))
    return result


def _facet_select(
    names: Sequence[str], skip: str, viewer: Viewer, query: SearchQuery, hits: Subquery | None
) -> Select[Any]:
    # Materialised so the database starts from the (few) matching documents and looks up their facet
    # rows, instead of walking every row of a facet and checking each document (SQLite's choice).
    matching = _matching([docs.c.doc_id], viewer, query, hits, skip=skip).cte("matching")
    matching = matching.prefix_with("MATERIALIZED")
    count = sa.func.count()
    rank = sa.func.row_number().over(partition_by=facets.c.facet, order_by=(count.desc(), facets.c.value))
    per_value = (
        sa.select(facets.c.facet, facets.c.value, count.label("n"), rank.label("position"))
        .select_from(facets.join(matching, matching.c.doc_id == facets.c.doc_id))
        .where(
            facets.c.facet.in_(list(names)),
            # Keywords are counted in the reader's language: the same word in three is three entries.
            sa.or_(facets.c.facet != "keyword", facets.c.lang == query.lang),
        )
        .group_by(facets.c.facet, facets.c.value)
        .subquery("per_value")
    )
    return (
        sa.select(per_value.c.facet, per_value.c.value, per_value.c.n)
        .where(per_value.c.position <= query.facet_limit)
        .order_by(per_value.c.facet, per_value.c.n.desc(), per_value.c.value)
    )


def _texts(doc: SearchDocument) -> tuple[str, str, str, str]:
    keywords = ((lang, kw) for lang, values in doc.keywords.items() for kw in values)
    other = index_text([*doc.other, *((None, name) for name in doc.column_names)])
    return (index_text(doc.title), index_text(keywords), index_text(doc.description), other)


def _facet_rows(doc: SearchDocument) -> tuple[tuple[str, str, str], ...]:
    seen: set[tuple[str, str, str]] = set()
    for facet, values in doc.facets.items():
        seen.update((facet, v[:_VALUE_CHARS], "") for v in values if v)
    for lang, values in doc.keywords.items():
        seen.update(("keyword", v.strip()[:_VALUE_CHARS], lang[:8]) for v in values if v.strip())
    if doc.has_api:
        seen.add(("has_api", HAS_API, ""))
    return tuple(sorted(seen))
