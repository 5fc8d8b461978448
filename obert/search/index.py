"""Querying the search index: finding, counting and facetting the datasets a viewer may see
(obert.search.typeahead suggests for the search box; obert.search.writing keeps the index).

Every function takes the caller's connection, and so reads the catalogue's own transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import fields, replace
from operator import itemgetter
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import CompoundSelect, FromClause, Select, Subquery

from obert.i18n.text import QueryTerm, phrase_sequences, query_terms
from obert.search import cache, counts, gathered, snapshot
from obert.search.backends import ROW_FACETS_BELOW, PostgresTSV, SQLiteFTS, backend_for
from obert.search.facets import FacetRequest, count_listed, ids_of
from obert.search.model import Hits, SearchQuery, Viewer
from obert.storage.tables.search import CODE_SHIFT, FACET_IDS_COLUMN, facet_code
from obert.storage.tables.search import search_doc_values as doc_values
from obert.storage.tables.search import search_documents as docs
from obert.storage.tables.search import search_facets as facets
from obert.storage.tables.search import search_values as facet_values

# Where matches carry their rows (PostgreSQL), more matches than this are not all ranked: this many
# most recently modified ones are, and come first by relevance; the rest follow, newest first (see
# _recent_page).
RANK_WINDOW = 1000
# SQLite's search_documents.facet_ids (migration 0013), which the shared schema leaves out.
_FACET_IDS = sa.literal_column(f"{docs.name}.{FACET_IDS_COLUMN}", sa.Text)


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
    """One page of the datasets matching `query` that `viewer` may see, with the total and facet counts.

    The answer is shared with later callers (kept, see cache): do not change it."""
    terms = query_terms(query.q)
    if not terms:
        return _browse(conn, viewer, query)
    # The same search again under the same index version (a facet ticked and unticked, a reader going
    # back, a popular search) is the kept answer: keyed by the version and by what the reader may see.
    version = cache.version(conn)
    key = None if version is None else ("find", version, viewer, _key(query))
    if key is not None and (kept := cache.found(conn, key)) is not None:
        return cast(Hits, kept)
    hits = replace(_find_words(conn, viewer, query, terms), version=version)
    if key is not None:
        cache.keep_found(conn, key, hits)
    return hits


def _key(query: SearchQuery) -> tuple[Any, ...]:
    """Every part of `query`, hashable (filters as sorted tuples)."""
    parts = []
    for part in fields(query):
        value = getattr(query, part.name)
        if isinstance(value, Mapping):
            value = tuple(sorted((name, tuple(values)) for name, values in value.items()))
        elif isinstance(value, list | tuple):
            value = tuple(value)
        parts.append(value)
    return tuple(parts)


def _find_words(conn: Connection, viewer: Viewer, query: SearchQuery, terms: Sequence[QueryTerm]) -> Hits:
    backend = backend_for(conn)
    if isinstance(backend, SQLiteFTS):
        return _gathered(conn, backend, viewer, query, terms)
    # PostgreSQL: count and facets first, from one unranked matching set, then the page, ranked within a
    # window of the most recent matches, which the same statement lists (see _recent_page).
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
        assert hits is not None
        if ranker:
            if recent is None:
                recent = _recent(conn, viewer, query, hits, window)
            ids = _recent_page(conn, ranker, query, terms, relaxed, recent)
            if len(ids) < query.limit and count > len(recent):
                # The page reaches past the window: the matches after it follow, newest first.
                start = max(query.offset, len(recent))
                after = _recent(conn, viewer, query, hits, query.offset + query.limit)[start:]
                ids += _dataset_ids(conn, after)
        else:
            ids = [row[0] for row in _page(conn, viewer, query, hits)]
    return Hits(ids, count, facet_counts, relaxed)


def _gathered(
    conn: Connection, backend: SQLiteFTS, viewer: Viewer, query: SearchQuery, terms: Sequence[QueryTerm]
) -> Hits:
    """SQLite: from the index's snapshot (obert.search.gathered) when there is one of this version; else
    one statement (_gathering) finds the visible, filtered matches, ranks them once (bm25, in
    FTS5) and returns their count, the page and every match's facet value ids, read with the
    search_documents row that visibility needs anyway: no match's facet rows are looked up."""
    kept = snapshot.current(conn)
    if kept is not None:
        return gathered.find(conn, backend=backend, snapshot=kept, viewer=viewer, query=query, terms=terms)
    relevance = query.effective_sort == "relevance"
    count, listed, page = 0, None, []
    for relaxed in (False, True) if len(terms) > 1 else (False,):
        # Nobody wrote every word: rather than nothing, show what has some of them, best first.
        hits = backend.hits(terms, any_term=relaxed, titles_only=False, ranked=relevance)
        rows = conn.execute(_gathering(viewer, query, hits)).all()
        count, listed = next((n, ids) for doc_id, n, ids in rows if doc_id is None)
        shown = sorted((row for row in rows if row[0] is not None), key=itemgetter(1))
        page = [dataset_id for _doc_id, _position, dataset_id in shown]
        if count:
            break
    plain = backend.hits(terms, any_term=relaxed, titles_only=False, ranked=False)
    facet_counts = _listed_counts(conn, viewer, query, plain, listed)
    return Hits(page, count, facet_counts, relaxed)


def _gathering(viewer: Viewer, query: SearchQuery, hits: Subquery) -> CompoundSelect[Any]:
    """A row (None, count, the facet value ids of every match, space-separated) and a row (doc id,
    position, dataset id) for each match on the page."""
    columns = [docs.c.doc_id, hits.c.rank, docs.c.modified, docs.c.name, _FACET_IDS.label("facet_ids")]
    matching = _matching(columns, viewer, query, hits).cte("matching").prefix_with("MATERIALIZED")
    total = sa.select(sa.null(), sa.func.count(), sa.func.group_concat(matching.c.facet_ids, " "))
    # The page (a top-k sort, cheap), numbered in the same order over its own rows: a union's rows come
    # in no promised order.
    shown = (
        sa.select(matching.c.doc_id, matching.c.rank, matching.c.modified, matching.c.name)
        .order_by(*_order(query, matching.c.rank, matching))
        .limit(query.limit)
        .offset(query.offset)
        .subquery("shown")
    )
    position = sa.func.row_number().over(order_by=_order(query, shown.c.rank, shown))
    page = sa.select(shown.c.doc_id, position, docs.c.dataset_id).join_from(
        shown, docs, docs.c.doc_id == shown.c.doc_id
    )
    return sa.union_all(total.select_from(matching), page)


def _recent(conn: Connection, viewer: Viewer, query: SearchQuery, hits: Subquery, window: int) -> list[int]:
    """The `window` most recently modified of the visible, filtered matches (doc ids)."""
    select = _matching([hits.c.doc_id], viewer, query, hits, docs_columns=False)
    return list(conn.execute(select.order_by(*recent_order(hits)).limit(window)).scalars())


def recent_order(rows: FromClause) -> tuple[Any, ...]:
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
    # Rank comes first in the page's order: the page is among the best offset + limit by rank, ties at
    # the last included, and only those are joined to search_documents (by key) for their dates and
    # names. Joined with all the ranked ones, the planner hashed the whole of search_documents (a
    # sequential scan of every document: 56 ms of a 156 ms statement at 100,000).
    best = (
        sa.select(ranks.c.doc_id, ranks.c.rank)
        .order_by(ranks.c.rank)
        .fetch(query.offset + query.limit, with_ties=True)
        .subquery("best")
    )
    select = (
        sa.select(docs.c.dataset_id)
        .select_from(best.join(docs, docs.c.doc_id == best.c.doc_id))
        .order_by(best.c.rank, docs.c.modified.desc(), docs.c.name)
        .limit(query.limit)
        .offset(query.offset)
    )
    return list(conn.execute(select).scalars())


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
    version, agree = cache.state(conn)
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
        kept = _kept_question(viewer, query) if agree else None
        if kept is not None:
            answer = counts.read(conn, kept)
        else:
            count, facet_counts, _ = _counts(conn, viewer, query, None)
            answer = count, facet_counts
        if version:
            cache.keep(conn, key, answer)
    return answer


def _kept_question(viewer: Viewer, query: SearchQuery) -> counts.Question | None:
    """The question of a browse that the kept counts (obert.search.counts) answer, if they can: what
    an anonymous visitor or an administrator sees, with at most one filter value."""
    if viewer.sysadmin:
        column: counts.Column = "live"
    elif not viewer.organization_ids:
        column = "public"
    else:
        return None
    able, chosen = counts.answerable(query.filters, query.facets)
    if not able:
        return None
    return counts.Question(
        column, tuple(query.facets), lang=query.lang, limit=query.facet_limit, chosen=chosen
    )


def matching(
    conn: Connection,
    *,
    viewer: Viewer,
    text: str,
    prefix_last: bool = True,
    fields: Sequence[str] = (),
    phrase: bool = False,
) -> Select[Any]:
    """A SELECT of the ids of the datasets `viewer` may see whose text matches `text` (all words, the
    last one as a prefix with `prefix_last`; with `phrase`, the words in a row; only in `fields` of
    backends.FIELDS when given): for callers that filter, sort and page in SQL themselves, such as CKAN's
    package_search."""
    if phrase:
        groups = phrase_sequences(text)
        if not groups:
            return sa.select(docs.c.dataset_id).where(sa.false())
        phrased = backend_for(conn).phrase_hits(groups, fields=fields)
        return _matching([docs.c.dataset_id], viewer, SearchQuery(), phrased)
    terms = query_terms(text, prefix_last=prefix_last)
    if not terms:
        return sa.select(docs.c.dataset_id).where(sa.false())
    hits = backend_for(conn).hits(terms, any_term=False, titles_only=False, ranked=False, fields=fields)
    return _matching([docs.c.dataset_id], viewer, SearchQuery(), hits)


def word_hits(
    conn: Connection, *, text: str, prefix_last: bool = True, fields: Sequence[str] = (), ranked: bool = True
) -> Subquery | None:
    """(doc_id, rank) of the documents with every word of `text` (the last one as a prefix with
    `prefix_last`; only in `fields` when given), a lower rank being better; None when `text` has no words.
    For callers that join the matches to their own rows and decide visibility there (CKAN's listings):
    the words are matched and ranked once, by the engine's weighted score alone (as Solr's score ranks
    CKAN's results), which costs a search of its own per word less than the site's ranking."""
    terms = query_terms(text, prefix_last=prefix_last)
    if not terms:
        return None
    backend = backend_for(conn)
    return backend.hits(
        terms, any_term=False, titles_only=False, ranked=ranked, fields=fields, score_only=True
    )


def relevance(
    conn: Connection, *, text: str, prefix_last: bool = True, any_term: bool = True
) -> Subquery | None:
    """(dataset_id, rank) of the datasets matching any word of `text` (every word, without
    `any_term`: fewer to rank), a lower rank being better: to order by, joined to datasets a caller has
    already filtered (None when `text` has no words)."""
    terms = query_terms(text, prefix_last=prefix_last)
    if not terms:
        return None
    hits = backend_for(conn).hits(terms, any_term=any_term, titles_only=False, ranked=True)
    return (
        sa.select(docs.c.dataset_id, hits.c.rank)
        .select_from(docs.join(hits, hits.c.doc_id == docs.c.doc_id))
        .subquery("relevance")
    )


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
    order = _order(query, None if hits is None else hits.c.rank)
    select = _matching([docs.c.dataset_id], viewer, query, hits, walk=walk).order_by(*order)
    return list(conn.execute(select.limit(query.limit).offset(query.offset)))


def _order(query: SearchQuery, rank: ColumnElement[Any] | None, rows: FromClause = docs) -> list[Any]:
    """The order of `query`'s pages, on `rows`' modified and name columns."""
    sort = query.effective_sort
    if sort == "relevance" and rank is not None:
        return [rank, rows.c.modified.desc(), rows.c.name]
    if sort == "name":
        return [rows.c.name]
    return [rows.c.modified.desc(), rows.c.name]


def _listed_counts(
    conn: Connection, viewer: Viewer, query: SearchQuery, hits: Subquery, listed: str | None
) -> dict[str, list[tuple[str, int]]]:
    """SQLite: the facet counts of the matches whose facet value ids are `listed` (their
    search_documents.facet_ids, space-separated). A facet with a filter of its own is counted over the
    matches without that filter, listed again (see _counts)."""
    result: dict[str, list[tuple[str, int]]] = {name: [] for name in query.facets}
    if not listed:
        return result
    own_filter = [name for name in query.facets if query.filters.get(name)]
    result.update(_value_counts(conn, query, [f for f in query.facets if f not in own_filter], listed))
    for name in own_filter:
        others = _matching([sa.func.group_concat(_FACET_IDS, " ")], viewer, query, hits, skip=name)
        result.update(_value_counts(conn, query, [name], conn.execute(others).scalar()))
    return result


def _value_counts(
    conn: Connection, query: SearchQuery, names: Sequence[str], listed: str | None
) -> dict[str, list[tuple[str, int]]]:
    """Counts per value of each facet of `names` among the value ids `listed` (keywords in the reader's
    language only, as _facet_select counts them)."""
    return count_listed(conn, FacetRequest(names, lang=query.lang, limit=query.facet_limit), listed)


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
        # The values of the facets asked for, and of any between them, are counted, and the join to
        # their names below keeps the ones asked for: a filter on each value before the grouping cost
        # more than hashing it, and its estimate (a few dozen rows of hundreds of thousands) had the
        # planner sort them all, on disk past work_mem.
        ids = sa.select(sa.func.unnest(ids_of(matching.c.facet_ids, names)).label("value_id")).subquery("ids")
        per_id = sa.select(ids.c.value_id, count.label("n")).group_by(ids.c.value_id).subquery("per_id")
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
    recent = sa.select(matching.c.doc_id).order_by(*recent_order(matching)).limit(window).subquery("recent")
    listed = sa.select(sa.null(), sa.null(), recent.c.doc_id, sa.literal(1)).select_from(recent)
    return sa.union_all(select, total, listed), True
