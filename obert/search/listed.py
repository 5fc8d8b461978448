"""A listing's words, count, facets and best matches from one statement over the matches' own rows
(PostgreSQL): CKAN's package_search with words, when nothing but the words and who may see decides
what is listed.

Each match of PostgresTSV.hits carries its state, visibility, publisher, facet value ids and CKAN's
keyword ids (migrations 0012, 0027), so the matches are found once, counted, faceted and ranked without
reading their search_documents, datasets or value rows; only the page's few are read by key afterwards.
The page's order is the caller's (rank first, then its own columns): this returns every match ranked
as well as the last one it needs, ties included, so the caller's order over them is exactly its order
over all matches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.selectable import Subquery

from obert.search.facets import KEYWORD, Counts, FacetRequest, count_ids, ids_of
from obert.search.index import visible
from obert.search.model import Viewer
from obert.storage.tables.search import CODE_SHIFT, KEYWORD_IDS_COLUMN, facet_code
from obert.storage.tables.search import search_doc_values as doc_values

_KEYWORDS_FROM = facet_code(KEYWORD) << CODE_SHIFT
_COUNT, _VALUE, _LEADER = 0, 1, 2  # the kinds of the statement's rows


@dataclass(frozen=True, slots=True)
class RowListing:
    count: int
    leaders: list[tuple[int, float]]  # (doc_id, rank) of the best matches, best first, ties included
    facets: Counts


def on_rows(hits: Subquery, request: FacetRequest | None) -> bool:
    """Whether these matches carry the rows `list_on_rows` reads, and its counts answer `request`:
    keywords only as CKAN counts them (once per word, whatever its languages)."""
    if KEYWORD_IDS_COLUMN not in hits.c or "facet_ids" not in hits.c:
        return False
    return request is None or KEYWORD not in request.names or request.lang is None


def list_on_rows(
    conn: Connection,
    hits: Subquery,
    *,
    viewer: Viewer,
    published: bool,
    public: bool,
    request: FacetRequest | None,
    leaders: int,
    worst_first: bool = False,
) -> RowListing:
    """The matches of `hits` that `viewer` may see (only published ones with `published`, only public
    ones with `public`): their number, `request`'s facets, and the `leaders` best by rank (the worst with
    `worst_first`) with every match ranked as the last of them. `hits` must be ranked when `leaders`."""
    where = [visible(viewer, hits)]
    if published:
        where.append(hits.c.state == "published")
    if public:
        where.append(hits.c.visibility == "public")
    names = list(request.names) if request is not None else []
    columns: list[Any] = [hits.c.doc_id, hits.c.facet_ids, hits.c[KEYWORD_IDS_COLUMN]]
    if leaders:
        columns.append(hits.c.rank)
    matching = sa.select(*columns).where(*where).cte("matching").prefix_with("MATERIALIZED")
    parts: list[Any] = [
        sa.select(
            sa.literal(_COUNT), sa.func.count().cast(sa.BigInteger), sa.null().cast(sa.Float)
        ).select_from(matching)
    ]
    ids = _value_ids(matching, names)
    if ids is not None:
        # The values of the facets asked for, and of any between them, are counted (count_ids leaves the
        # others out of the few thousand counts): a filter on each value before the grouping cost more
        # than hashing it, and its estimate (a few dozen rows of 500,000) had the planner sort them all.
        value = sa.select(sa.func.unnest(ids).label("value_id")).select_from(matching).subquery("ids")
        counted = sa.select(sa.literal(_VALUE), value.c.value_id, sa.func.count().cast(sa.Float)).group_by(
            value.c.value_id
        )
        parts.append(counted)
    if leaders:
        order = matching.c.rank.desc() if worst_first else matching.c.rank
        best = (
            sa.select(matching.c.doc_id, matching.c.rank)
            .order_by(order)
            .fetch(leaders, with_ties=True)
            .subquery("best")
        )
        parts.append(sa.select(sa.literal(_LEADER), best.c.doc_id.cast(sa.BigInteger), best.c.rank))
    count, found_ids, found_counts, best_rows = 0, [], [], []
    for kind, key, n in conn.execute(sa.union_all(*parts)):
        if kind == _COUNT:
            count = int(key)
        elif kind == _VALUE:
            found_ids.append(int(key))
            found_counts.append(int(n))
        else:
            best_rows.append((int(key), float(n)))
    best_rows.sort(key=lambda row: -row[1] if worst_first else row[1])
    facets: Counts = {name: [] for name in names}
    if request is not None and found_ids:
        values = np.array(found_ids, dtype=np.int64)
        numbers = np.array(found_counts, dtype=np.int64)
        facets = count_ids(conn, request, values, numbers, one_language=True)  # keyword_ids: '*' only
    return RowListing(count, best_rows, facets)


def _value_ids(matching: Any, names: Sequence[str]) -> Any:
    """Each match's value ids of the facets `names`, as one array expression (None for no facet)."""
    if not names:
        return None
    below = [name for name in names if name != KEYWORD]
    keywords = None
    if KEYWORD in names:
        # A row of an earlier release has no keyword ids (NULL): its document's keyword rows instead,
        # every language's (count_ids keeps the ones counted once per word). COALESCE reads them only then.
        looked_up = (
            sa.select(sa.func.array_agg(doc_values.c.value_id))
            .where(doc_values.c.doc_id == matching.c.doc_id, doc_values.c.value_id >= _KEYWORDS_FROM)
            .scalar_subquery()
        )
        keywords = sa.func.coalesce(matching.c[KEYWORD_IDS_COLUMN], looked_up)
    if not below:
        return keywords
    facets = ids_of(matching.c.facet_ids, below)
    if keywords is None:
        return facets
    return facets.op("||")(keywords)
