"""Facet counts of the whole catalogue, and of it with one filter value, kept as the index is written.

Browsing without words asks how many of all visible datasets (or of those with one theme, or of one
publisher) have each facet value: counting that from the documents reads a large share of the catalogue
on every request (seconds at a million datasets). search_counts holds the answers instead, as sums that
every write of the index adjusts in the same transaction (`adjust`), so they are exact whenever a reader
sees the index, in every process, with no cache to invalidate.

Rows are (filter_id, value_id): documents with both values, filter_id 0 meaning no filter and value_id 0
the documents themselves. Filters are values of facets below the keywords (a dataset has a handful of
those and dozens of keywords): pairs with keywords are kept for filter 0 only. Each row counts the
published public documents (`public`) and the documents not deleted (`live`): what an anonymous visitor
and what an administrator may see. Other viewers (members of organisations) are counted from the
documents, as any query this module cannot answer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from obert.search import cache
from obert.search.facets import FacetRequest
from obert.search.model import ANY_LANGUAGE
from obert.storage.tables.search import (
    CODE_SHIFT,
    FACET_CODES,
    TSV_TABLE,
    facet_code,
    search_counts,
    search_values,
)

Column = Literal["public", "live"]
Counts = dict[str, list[tuple[str, int]]]
KEYWORD = "keyword"
# Value ids at or above this are keywords' (see obert.storage.tables.search).
KEYWORDS_FROM = FACET_CODES[KEYWORD] << CODE_SHIFT

# One statement, the same on both engines: the chosen documents' value ids (and 0 for the document
# itself), paired with each of their values below the keywords (and 0), summed per pair and added to the
# rows, in key order so that concurrent writers lock rows in the same order. {chosen} picks the documents
# (on search_documents, as d).
_ADJUST = f"""
WITH counted AS (
    SELECT d.doc_id, CASE WHEN d.state = 'published' AND d.visibility = 'public' THEN 1 ELSE 0 END AS pub
    FROM search_documents d WHERE {{chosen}} AND d.state <> 'deleted'
),
ids AS (
    SELECT v.doc_id, v.value_id FROM search_doc_values v JOIN counted c ON c.doc_id = v.doc_id
    UNION ALL SELECT doc_id, 0 FROM counted
)
INSERT INTO {search_counts.name} (filter_id, value_id, public, live)
SELECT f.value_id, i.value_id, :sign * sum(c.pub), :sign * count(*)
FROM ids f JOIN ids i ON i.doc_id = f.doc_id JOIN counted c ON c.doc_id = f.doc_id
WHERE f.value_id < {KEYWORDS_FROM} AND (f.value_id = 0 OR i.value_id < {KEYWORDS_FROM})
GROUP BY f.value_id, i.value_id
ORDER BY f.value_id, i.value_id
ON CONFLICT (filter_id, value_id) DO UPDATE SET
    public = {search_counts.name}.public + excluded.public, live = {search_counts.name}.live + excluded.live
"""
# PostgreSQL: the same sums from the documents' search_tsv rows (as d), which hold their state, visibility
# and the ids of their values below the keywords (facet_ids, 0012): pairs are unnested from that array per
# document (a batch of 2,000 makes ~200,000) rather than joined from the value rows, in a third of the time.
_ADJUST_POSTGRES = f"""
WITH counted AS (
    SELECT doc_id, facet_ids, CASE WHEN state = 'published' AND visibility = 'public' THEN 1 ELSE 0 END AS pub
    FROM {TSV_TABLE} d WHERE {{chosen}} AND state <> 'deleted'
),
pairs AS (
    SELECT 0::bigint AS filter_id, v.value_id, c.pub FROM counted c JOIN search_doc_values v USING (doc_id)
    UNION ALL SELECT 0, 0, pub FROM counted
    UNION ALL SELECT f, 0, pub FROM counted, unnest(facet_ids) AS f
    UNION ALL SELECT f, v, pub FROM counted, unnest(facet_ids) AS f, unnest(facet_ids) AS v
)
INSERT INTO {search_counts.name} (filter_id, value_id, public, live)
SELECT filter_id, value_id, :sign * sum(pub), :sign * count(*) FROM pairs
GROUP BY filter_id, value_id
ORDER BY filter_id, value_id
ON CONFLICT (filter_id, value_id) DO UPDATE SET
    public = {search_counts.name}.public + excluded.public, live = {search_counts.name}.live + excluded.live
"""
_LISTED = {
    "postgresql": "d.doc_id = ANY(CAST(:ids AS integer[]))",
    "sqlite": "d.doc_id IN (SELECT value FROM json_each(:ids))",
}
_RANGE = "d.doc_id >= :low AND d.doc_id < :high"
# Documents counted by one statement of `recount`: a rebuild's, in steps.
RECOUNT_STEP = 50_000


def _statement(conn: Connection, chosen: str) -> sa.TextClause:
    template = _ADJUST_POSTGRES if conn.dialect.name == "postgresql" else _ADJUST
    return sa.text(template.replace("{chosen}", chosen))


def adjust(conn: Connection, doc_ids: Sequence[int], *, sign: Literal[1, -1]) -> None:
    """Count these documents in (1: after their rows and values are written) or out (-1: before they are
    removed). A document's state and visibility at that moment decide which counts it is in."""
    if not doc_ids:
        return
    dialect = conn.dialect.name
    chosen = _LISTED.get(dialect)
    if chosen is None:
        raise NotImplementedError(dialect)
    ids: object = list(doc_ids) if dialect == "postgresql" else json.dumps(list(doc_ids))
    conn.execute(_statement(conn, chosen), {"ids": ids, "sign": sign})


def take_turn(conn: Connection) -> None:
    """Wait for the other writers of the index (PostgreSQL), before this transaction touches any row
    they share: every counted write adjusts the row of all documents (0, 0) and search_terms' rows of
    common words, and two writers taking those in different orders (one counting out an old version
    first, the other writing words first) would deadlock. Taking the row of all documents first puts
    them in one order; they already waited on each other for it."""
    if conn.dialect.name == "postgresql":
        # The row is made when missing (a new index): otherwise the first writers would find none to wait on.
        conn.execute(
            sa.text(
                f"INSERT INTO {search_counts.name} (filter_id, value_id, public, live) VALUES (0, 0, 0, 0) "
                "ON CONFLICT (filter_id, value_id) DO NOTHING"
            )
        )
        conn.execute(
            sa.select(search_counts.c.filter_id)
            .where(search_counts.c.filter_id == 0, search_counts.c.value_id == 0)
            .with_for_update()
        )


def recount(conn: Connection) -> None:
    """Count every indexed document afresh (a rebuild writes its batches uncounted, then counts once:
    the sums of whole ranges of documents cost a fraction of adding each batch's to the rows)."""
    clear(conn)
    last = conn.execute(sa.text("SELECT max(doc_id) FROM search_documents")).scalar()
    statement = _statement(conn, _RANGE)
    for low in range(0, int(last or 0) + 1, RECOUNT_STEP):
        conn.execute(statement, {"low": low, "high": low + RECOUNT_STEP, "sign": 1})


def clear(conn: Connection) -> None:
    conn.execute(search_counts.delete())


@dataclass(frozen=True, slots=True)
class Question:
    """What a browse without words asks: counts of `names` among the documents `column` counts, with
    the one value `chosen` (facet, value) when given; keywords in language `lang` (ANY_LANGUAGE: each
    word once)."""

    column: Column
    names: Sequence[str]
    lang: str
    limit: int
    mincount: int = 1
    chosen: tuple[str, str] | None = None


def answerable(
    filters: Mapping[str, Sequence[str]], names: Sequence[str]
) -> tuple[bool, tuple[str, str] | None]:
    """Whether these counts answer a browse with these filters and facets, and its one (facet, value)
    filter if it has one. They do not for several filters or values, a keyword filter, or keywords
    counted under a filter."""
    active = [(facet, values) for facet, values in filters.items() if values]
    if not active:
        return True, None
    if len(active) > 1 or len(active[0][1]) != 1:
        return False, None
    facet, (value,) = active[0]
    if facet == KEYWORD or KEYWORD in names:
        return False, None
    return True, (facet, value)


def read(conn: Connection, question: Question) -> tuple[int, Counts]:
    """How many documents match and the first `limit` values of each facet by count (ties by value),
    those counted at least `mincount` times. A facet's own filter is left out when it is counted (values
    of a facet are alternatives), as obert.search.index counts them; with no match, no facet is counted."""
    column = search_counts.c[question.column]
    filter_id = 0
    if question.chosen is not None:
        facet, value = question.chosen
        found = conn.execute(
            sa.select(search_values.c.value_id).where(
                search_values.c.facet == facet, search_values.c.value == value, search_values.c.lang == ""
            )
        ).scalar()
        if found is None:
            return 0, {name: [] for name in question.names}
        filter_id = int(found)
    total = conn.execute(
        sa.select(column).where(search_counts.c.filter_id == filter_id, search_counts.c.value_id == 0)
    ).scalar()
    count = int(total or 0)
    result: Counts = {name: [] for name in question.names}
    if not count:
        return 0, result
    for name in question.names:
        own = question.chosen is not None and question.chosen[0] == name
        result[name] = _values(conn, question, name, 0 if own else filter_id)
    return count, result


def _values(conn: Connection, question: Question, name: str, filter_id: int) -> list[tuple[str, int]]:
    column = search_counts.c[question.column]
    code = facet_code(name)
    where = [
        search_counts.c.filter_id == filter_id,
        search_counts.c.value_id > code << CODE_SHIFT,
        search_counts.c.value_id < (code + 1) << CODE_SHIFT,
        column >= max(question.mincount, 1),
        search_values.c.facet == name,  # codes can be shared (facets without one of their own)
    ]
    if name == KEYWORD:
        where.append(search_values.c.lang == question.lang)
    select = (
        sa.select(search_values.c.value, column)
        .select_from(search_counts.join(search_values, search_values.c.value_id == search_counts.c.value_id))
        .where(*where)
        .order_by(column.desc(), search_values.c.value)
        .limit(question.limit)
    )
    return [(str(value), int(n)) for value, n in conn.execute(select)]


def usable(conn: Connection) -> bool:
    """Whether the counts agree with the index as `conn`'s transaction sees it. They do unless a writer
    that does not keep them (a process of a release before 0024, during an upgrade) wrote the index since
    they were last made; then every count is taken from the documents until `obert reindex` makes them
    again."""
    return cache.state(conn)[1]


def public_catalogue(conn: Connection, request: FacetRequest | None) -> tuple[int, Counts]:
    """How many published public documents the index holds, and the facet counts `request` asks of all
    of them (keywords in its language, or once each in any): what a listing of the whole public
    catalogue shows whoever asks. Ties are in the order obert.search.facets gives them."""
    question = Question(
        "public",
        tuple(request.names) if request else (),
        lang=request.keyword_lang if request else ANY_LANGUAGE,
        limit=request.limit if request else 0,
        mincount=request.mincount if request else 1,
    )
    count, found = read(conn, question)
    return count, {
        name: sorted(values, key=lambda pair: (-pair[1], pair[0])) for name, values in found.items()
    }
