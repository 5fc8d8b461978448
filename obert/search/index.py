"""The search index: writing documents inside the caller's transaction, and querying them.

Every function takes the caller's connection, so the catalogue updates the index in the same
transaction as the change itself and a rollback undoes both: the index cannot drift from the catalogue.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import CompoundSelect, FromClause, Select, Subquery

from obert.i18n.text import QueryTerm, index_text, query_terms
from obert.search import cache
from obert.search.backends import ROW_FACETS_BELOW, PostgresTSV, backend_for
from obert.search.model import HAS_API, Hits, SearchDocument, SearchQuery, Viewer
from obert.storage.tables.search import CODE_SHIFT, facet_code
from obert.storage.tables.search import search_doc_values as doc_values
from obert.storage.tables.search import search_documents as docs
from obert.storage.tables.search import search_facets as facets
from obert.storage.tables.search import search_values as facet_values

_VALUE_CHARS = 200
_FACET_COLUMNS = f"{facets.name} (doc_id, facet, value, lang)"
_INSERT_FACETS = f"INSERT INTO {_FACET_COLUMNS} VALUES (?, ?, ?, ?)"
_COPY_FACETS = f"COPY {_FACET_COLUMNS} FROM STDIN"
# A page by relevance is first looked for among this many best-ranked matches (see _best_page).
CANDIDATES = 200
# Where matches carry their rows (PostgreSQL), more matches than this are not all ranked: this many
# most recently modified ones are, and come first by relevance; the rest follow, newest first (see
# _recent_page).
RANK_WINDOW = 1000


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
    # Facets first: PostgreSQL's text rows take their facet value ids from them (see backends).
    _insert_facets(conn, [(i, *row) for i, d in zip(doc_ids, documents, strict=True) for row in d.facets])
    backend_for(conn).write(conn, [(i, d.texts) for i, d in zip(doc_ids, documents, strict=True)])
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
    conn.execute(doc_values.delete())  # at once, rather than by each document's ON DELETE CASCADE
    conn.execute(facets.delete())
    conn.execute(docs.delete())
    cache.changed(conn)


def indexed_count(conn: Connection) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(docs)).scalar_one())


def visible(viewer: Viewer, rows: FromClause = docs) -> ColumnElement[bool]:
    """The documents `viewer` may find: the rule of obert.catalog.access.visible_to, on index columns
    (search_documents', or the same columns of the matches that carry them)."""
    public = sa.and_(rows.c.state == "published", rows.c.visibility == "public")
    not_deleted = rows.c.state != "deleted"
    if viewer.sysadmin:
        return not_deleted
    if viewer.organization_ids:
        return sa.and_(not_deleted, sa.or_(public, rows.c.organization_id.in_(viewer.organization_ids)))
    return public


def find(conn: Connection, *, viewer: Viewer, query: SearchQuery) -> Hits:
    """One page of the datasets matching `query` that `viewer` may see, with the total and facet counts."""
    terms = query_terms(query.q)
    if not terms:
        return _browse(conn, viewer, query)
    # Count and facets first, from one unranked matching set; only the page is ranked (and only when
    # there is a page to show). PostgreSQL ranks only a window of the most recent matches, which the
    # same statement lists (see _recent_page).
    backend = backend_for(conn)
    ranker = backend if isinstance(backend, PostgresTSV) and query.effective_sort == "relevance" else None
    window = RANK_WINDOW if ranker else 0
    relaxed = False
    hits = _hits(conn, terms, any_term=False, ranked=False)
    count, facet_counts, recent = _counts(conn, viewer, query, hits, window=window)
    if count == 0 and len(terms) > 1:
        # Nobody wrote every word: rather than nothing, show what has some of them, best first.
        relaxed = True
        hits = _hits(conn, terms, any_term=True, ranked=False)
        count, facet_counts, recent = _counts(conn, viewer, query, hits, window=window)
    ids: list[str] = []
    if count > query.offset:
        if ranker:
            assert hits is not None
            if recent is None:
                recent = _recent(conn, viewer, query, hits, window)
            ids = _recent_page(conn, ranker, query, terms, relaxed, recent)
            if len(ids) < query.limit and count > len(recent):
                # The page reaches past the window: the matches after it follow, newest first.
                start = max(query.offset, len(recent))
                after = _recent(conn, viewer, query, hits, query.offset + query.limit)[start:]
                ids += _dataset_ids(conn, after)
        else:
            hits = _hits(conn, terms, any_term=relaxed, ranked=query.effective_sort == "relevance")
            best = _best_page(conn, viewer, query, hits) if count > _candidates(query) else None
            ids = best if best is not None else [row[0] for row in _page(conn, viewer, query, hits)]
    return Hits(ids, count, facet_counts, relaxed)


def _recent(conn: Connection, viewer: Viewer, query: SearchQuery, hits: Subquery, window: int) -> list[int]:
    """The `window` most recently modified of the visible, filtered matches (doc ids)."""
    select = _matching([hits.c.doc_id], viewer, query, hits, docs_columns=False)
    return list(conn.execute(select.order_by(*_recent_order(hits)).limit(window)).scalars())


def _recent_order(rows: FromClause) -> tuple[Any, ...]:
    return (rows.c.modified.desc(), rows.c.doc_id)


def _dataset_ids(conn: Connection, doc_ids: Sequence[int]) -> list[str]:
    """The dataset ids of these documents, in their order."""
    if not doc_ids:
        return []
    rows = conn.execute(sa.select(docs.c.doc_id, docs.c.dataset_id).where(docs.c.doc_id.in_(list(doc_ids))))
    by_doc: dict[int, str] = {row.doc_id: row.dataset_id for row in rows}
    return [by_doc[d] for d in doc_ids]


def _recent_page(
    conn: Connection,
    backend: PostgresTSV,
    query: SearchQuery,
    terms: Sequence[QueryTerm],
    relaxed: bool,
    recent: Sequence[int],
) -> list[str]:
    """The page by relevance, where matches carry their rows (PostgreSQL), within the RANK_WINDOW most
    recently modified of the visible, filtered matches (`recent`) only: ranking reads a document's whole
    vector, out of line and compressed, and ranking 80,000 matches took most of a second. Within the
    window the order is the whole ranking's (rank, date, name), so with no more matches than that the
    page is exactly the whole ranking's; a page past the window's end comes back short (find goes on)."""
    ranks = backend.ranks(terms, any_term=relaxed, doc_ids=recent)
    select = (
        sa.select(docs.c.dataset_id)
        .select_from(ranks.join(docs, docs.c.doc_id == ranks.c.doc_id))
        .order_by(ranks.c.rank, docs.c.modified.desc(), docs.c.name)
        .limit(query.limit)
        .offset(query.offset)
    )
    return list(conn.execute(select).scalars())


def _candidates(query: SearchQuery) -> int:
    return max(CANDIDATES, 4 * (query.offset + query.limit))


def _best_page(
    conn: Connection, viewer: Viewer, query: SearchQuery, hits: Subquery | None
) -> list[str] | None:
    """The page by relevance, found among the best-ranked matches only (before visibility and filters),
    which spares joining and sorting every match; None when those candidates cannot prove that it is the
    page the whole ranking gives: when the page is not full, or its last rank is not strictly better than
    the worst candidate's (a match left out could tie with it and come first by date or name)."""
    if hits is None or query.effective_sort != "relevance":
        return None
    size = _candidates(query)
    top = sa.select(hits.c.doc_id, hits.c.rank).order_by(hits.c.rank).limit(size).cte("top")
    top = top.prefix_with("MATERIALIZED")
    found = sa.select(sa.func.count()).select_from(top).scalar_subquery()
    worst = sa.select(sa.func.max(top.c.rank)).select_from(top).scalar_subquery()
    columns = [docs.c.dataset_id, top.c.rank, found, worst]
    select = _matching(columns, viewer, query, top).order_by(top.c.rank, docs.c.modified.desc(), docs.c.name)
    rows = conn.execute(select.limit(query.limit).offset(query.offset)).all()
    if not rows:
        return None
    if rows[0][2] < size or (len(rows) == query.limit and rows[-1][1] < rows[0][3]):
        return [row[0] for row in rows]
    return None


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
        count, facet_counts, _ = _counts(conn, viewer, query, None)
        answer = count, facet_counts
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
    backend = backend_for(conn)
    if isinstance(backend, PostgresTSV):
        # Matching words of the title and keywords only makes PostgreSQL read the vector of every
        # document with the words anywhere (seconds for "tra" at a million): it reads those of the
        # RANK_WINDOW most recent of them only, found from the matches' rows.
        anywhere = backend.hits(terms, any_term=False, titles_only=False, ranked=False)
        recent = _recent(conn, viewer, SearchQuery(), anywhere, RANK_WINDOW)
        hits = backend.ranks(terms, any_term=False, doc_ids=recent, titles_only=True)
    else:
        hits = backend.hits(terms, any_term=False, titles_only=True)
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
    hits: FromClause | None,
    *,
    skip: str = "",
    walk: bool = False,
    docs_columns: bool = True,
) -> Select[Any]:
    """`columns` of the matching documents. With `walk`, filters are checked document by document (an
    EXISTS), which lets SQLite follow an index in the page's order instead of collecting every match.
    Without `docs_columns`, where the matches carry their rows (PostgreSQL), search_documents is not
    joined: visibility and filters are decided on the matches' own columns."""
    if hits is not None and not docs_columns and _carries_rows(hits):
        return (
            sa.select(*columns)
            .select_from(hits)
            .where(visible(viewer, hits), *_row_filters(query, hits, skip))
        )
    joined: Any = docs if hits is None else docs.join(hits, hits.c.doc_id == docs.c.doc_id)
    where = [visible(viewer)]
    for facet, chosen in query.filters.items():
        if facet == skip or not chosen:
            continue
        having = _has_value(facet, chosen)
        if walk:
            where.append(sa.exists().where(facets.c.doc_id == docs.c.doc_id, having))
        else:
            where.append(docs.c.doc_id.in_(sa.select(facets.c.doc_id).where(having)))
    return sa.select(*columns).select_from(joined).where(*where)


def _carries_rows(hits: FromClause) -> bool:
    """Whether these matches carry their documents' rows (PostgresTSV.hits) rather than ids only."""
    return "facet_ids" in hits.c


def _has_value(facet: str, chosen: Iterable[str]) -> ColumnElement[bool]:
    """search_facets rows of one of these values of `facet` (values of a facet are alternatives)."""
    return sa.and_(facets.c.facet == facet, facets.c.value.in_(list(chosen)))


def _row_filters(query: SearchQuery, hits: FromClause, skip: str) -> list[ColumnElement[bool]]:
    """Filters on the matches' facet value ids (keywords, which those leave out, on search_facets)."""
    where: list[ColumnElement[bool]] = []
    for facet, chosen in query.filters.items():
        if facet == skip or not chosen:
            continue
        if facet_code(facet) << CODE_SHIFT >= ROW_FACETS_BELOW:
            where.append(hits.c.doc_id.in_(sa.select(facets.c.doc_id).where(_has_value(facet, chosen))))
            continue
        # The chosen values' ids, found once (NULL when none is known: nothing matches).
        ids = sa.select(sa.func.array_agg(facet_values.c.value_id)).where(
            facet_values.c.facet == facet, facet_values.c.value.in_(list(chosen))
        )
        where.append(hits.c.facet_ids.op("&&")(ids.scalar_subquery()))
    return where


def _count(conn: Connection, viewer: Viewer, query: SearchQuery, hits: Subquery | None) -> int:
    return int(conn.execute(_matching([sa.func.count()], viewer, query, hits)).scalar_one())


def _page(
    conn: Connection,
    viewer: Viewer,
    query: SearchQuery,
    hits: Subquery | None,
    *,
    walk: bool = False,
) -> list[Any]:
    """Rows of (dataset_id,) for one page."""
    order: list[Any]
    sort = query.effective_sort
    if sort == "relevance" and hits is not None:
        order = [hits.c.rank, docs.c.modified.desc(), docs.c.name]
    elif sort == "name":
        order = [docs.c.name]
    else:
        order = [docs.c.modified.desc(), docs.c.name]
    select = _matching([docs.c.dataset_id], viewer, query, hits, walk=walk).order_by(*order)
    return list(conn.execute(select.limit(query.limit).offset(query.offset)))


def _counts(
    conn: Connection, viewer: Viewer, query: SearchQuery, hits: Subquery | None, *, window: int = 0
) -> tuple[int, dict[str, list[tuple[str, int]]], list[int] | None]:
    """How many documents match, and counts per value of each requested facet, in SQL (never over all
    rows in Python); with `window`, also the doc ids of that many most recent matches (_recent) when the
    same statement could find them (else None).

    Within a facet, values are alternatives (OR), so a facet's own filter is left out when counting it:
    ticking "Transport" still shows how many "Environment" would add. Facets nobody filters on share one
    statement, which also counts the matches: the matching documents are found once for both.
    """
    result: dict[str, list[tuple[str, int]]] = {name: [] for name in query.facets}
    filtered = [f for f in query.facets if query.filters.get(f)]
    unfiltered = [f for f in query.facets if f not in filtered]
    lateral = conn.dialect.name == "postgresql"
    recent: list[int] | None = None
    if unfiltered:
        count = 0
        select, windowed = _facet_select(
            unfiltered, "", viewer, query, hits, with_count=True, lateral=lateral, window=window
        )
        recent = [] if windowed else None
        for facet, value, n, position in sorted(conn.execute(select), key=lambda row: (row[0] or "", row[3])):
            if facet is not None:
                result[facet].append((value, int(n)))
            elif position == 0:
                count = int(n)
            elif recent is not None:
                recent.append(int(n))  # a window row: n is a doc id, in the window's order
    else:
        count = _count(conn, viewer, query, hits)
    for name in filtered if count else []:
        select, _ = _facet_select([name], name, viewer, query, hits, lateral=lateral)
        for facet, value, n, _position in conn.execute(select):
            result[facet].append((value, int(n)))
    return count, result, recent


def _facet_select(
    names: Sequence[str],
    skip: str,
    viewer: Viewer,
    query: SearchQuery,
    hits: Subquery | None,
    *,
    with_count: bool = False,
    lateral: bool = False,
    window: int = 0,
) -> tuple[Select[Any] | CompoundSelect[Any], bool]:
    """Rows of (facet, value, count, position) for the first `facet_limit` values of each of `names`
    by count, over the matching documents without the filter on `skip`; `with_count` adds a row
    (None, None, count of the matching documents, 0) and, with `window` where the matches carry their
    rows, rows (None, None, doc id, 1…) of the _recent matches. The flag tells whether it did."""
    # Materialised so the database starts from the (few) matching documents and looks up their facet
    # values, instead of walking every row of a facet and checking each document (SQLite's choice).
    # Values are counted as integers; their names are joined back for the counted values only.
    rows = (
        hits is not None
        and _carries_rows(hits)
        and all(facet_code(name) << CODE_SHIFT < ROW_FACETS_BELOW for name in names)
    )
    windowed = rows and with_count and window > 0
    columns: list[Any] = [hits.c.doc_id, hits.c.facet_ids] if rows and hits is not None else [docs.c.doc_id]
    if windowed and hits is not None:
        columns.append(hits.c.modified)
    matching = _matching(columns, viewer, query, hits, skip=skip, docs_columns=not rows).cte("matching")
    matching = matching.prefix_with("MATERIALIZED")
    # A value id's high bits are its facet's code: the facets asked for are a range of each document's
    # rows (one seek per document, integer comparisons, no lookup per row).
    codes = sorted({facet_code(name) for name in names})
    value_id = doc_values.c.value_id
    wanted = [value_id > codes[0] << CODE_SHIFT, value_id < (codes[-1] + 1) << CODE_SHIFT]
    if codes != list(range(codes[0], codes[-1] + 1)):
        wanted.append(value_id.op(">>")(sa.literal_column(str(CODE_SHIFT))).in_(codes))
    count = sa.func.count()
    if rows:
        # Each match's row holds its value ids (PostgreSQL): no lookup per match at all. unnest() in
        # the select list, not as a lateral FROM item: a function scan per match cost ~10 µs each.
        ids = sa.select(sa.func.unnest(matching.c.facet_ids).label("value_id")).subquery("ids")
        value = ids.c.value_id
        wanted = [value > codes[0] << CODE_SHIFT, value < (codes[-1] + 1) << CODE_SHIFT]
        if codes != list(range(codes[0], codes[-1] + 1)):
            wanted.append(value.op(">>")(sa.literal_column(str(CODE_SHIFT))).in_(codes))
        per_id = sa.select(value, count.label("n")).where(*wanted).group_by(value).subquery("per_id")
    elif lateral:
        # PostgreSQL misjudges how many documents match and would rather hash every value of these
        # facets (half a million rows at 100,000 documents) than look up each match's few: a lateral
        # subquery makes it look them up (OFFSET 0 keeps the planner from flattening it into a join).
        each = sa.select(value_id).where(doc_values.c.doc_id == matching.c.doc_id, *wanted).offset(0)
        found = each.lateral("found")
        pairs = sa.select(found.c.value_id).select_from(matching.join(found, sa.true())).subquery("pairs")
        per_id = sa.select(pairs.c.value_id, count.label("n")).group_by(pairs.c.value_id).subquery("per_id")
    else:
        per_id = (
            sa.select(value_id, count.label("n"))
            .select_from(matching.join(doc_values, matching.c.doc_id == doc_values.c.doc_id))
            .where(*wanted)
            .group_by(value_id)
            .subquery("per_id")
        )
    rank = sa.func.row_number().over(
        partition_by=facet_values.c.facet, order_by=(per_id.c.n.desc(), facet_values.c.value)
    )
    per_value = (
        sa.select(facet_values.c.facet, facet_values.c.value, per_id.c.n, rank.label("position"))
        .select_from(per_id.join(facet_values, facet_values.c.value_id == per_id.c.value_id))
        .where(
            # Codes can be shared (facets without one of their own): the names decide.
            facet_values.c.facet.in_(list(names)),
            # Keywords are counted in the reader's language: the same word in three is three entries.
            sa.or_(facet_values.c.facet != "keyword", facet_values.c.lang == query.lang),
        )
        .subquery("per_value")
    )
    select = sa.select(per_value.c.facet, per_value.c.value, per_value.c.n, per_value.c.position).where(
        per_value.c.position <= query.facet_limit
    )
    if not with_count:
        return select.order_by(per_value.c.facet, per_value.c.position), False
    total = sa.select(
        sa.null().label("facet"), sa.null().label("value"), sa.func.count().label("n"), sa.literal(0)
    ).select_from(matching)
    if not windowed:
        return sa.union_all(select, total), False
    recent = sa.select(matching.c.doc_id).order_by(*_recent_order(matching)).limit(window).subquery("recent")
    listed = sa.select(sa.null(), sa.null(), recent.c.doc_id, sa.literal(1)).select_from(recent)
    return sa.union_all(select, total, listed), True


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
