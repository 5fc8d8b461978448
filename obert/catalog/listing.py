"""Offset-paged, filtered and faceted dataset listings for the CKAN and DCAT faces.

The native API pages with cursors; CKAN clients and DCAT harvesters page with offsets (`start`,
`page`), filter on a few fields and ask for facet counts. Filters, counts and the page are SQL over
the catalogue, so a call costs one page of datasets in Python however large the catalogue is; words are
matched by the search index, as on the search page, and facets are counted by its facet system
(obert.search.facets) under its own names (a face maps them to its own: CKAN's `tags` are `keyword`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import CTE, Select, Subquery

from obert.auth import Actor
from obert.catalog.access import NOT_DELETED, visible_to
from obert.catalog.common import MAX_PAGE
from obert.catalog.criteria import AllOf, Criterion, Everything, ValueField, Words, condition, has_value
from obert.catalog.groups import group_names_by_dataset
from obert.catalog.models import Dataset, State, Visibility
from obert.catalog.rows import datasets_from_rows
from obert.errors import FieldError, Invalid
from obert.search import (
    FacetRequest,
    Viewer,
    count_listed,
    count_matching,
    counts_usable,
    list_on_rows,
    matching,
    on_rows,
    public_catalogue,
    word_hits,
    words_from_the_index,
)
from obert.storage import Store
from obert.storage.tables.catalog import datasets
from obert.storage.tables.search import FACET_IDS_COLUMN, search_documents

SortKey = Literal["name", "title", "modified", "created"]
# What an `order` may name: "score" is relevance to the words of the criterion (best first when
# descending), ignored without words.
OrderKey = Literal["id", "name", "title", "modified", "created", "score"]
# SQLite's search_documents.facet_ids (migration 0013), which the shared schema leaves out.
_FACET_IDS = sa.literal_column(f"{search_documents.name}.{FACET_IDS_COLUMN}", sa.Text)


@dataclass(frozen=True, slots=True)
class BrowseQuery:
    text: str = ""
    filters: dict[ValueField, tuple[str, ...]] = field(default_factory=dict)  # all values must match
    offset: int = 0
    limit: int = 10
    sort: SortKey = "name"
    descending: bool = False
    facets: tuple[str, ...] = ()  # facets of the search index (obert.search.INDEX_FACETS) to count
    facet_limit: int = 50
    facet_mincount: int = 1
    facet_lang: str | None = None  # keywords counted in this language only; None: in any, once each
    modified_since: datetime | None = None
    include_private: bool = True  # what the actor may see anyway; False keeps only public ones
    include_drafts: bool = False  # also drafts, datasets in review and withdrawn ones the actor may see
    criterion: Criterion | None = None  # a boolean condition on top of text and filters
    order: tuple[tuple[OrderKey, bool], ...] = ()  # (key, descending) pairs; replaces sort and descending


@dataclass(frozen=True, slots=True)
class BrowseResult:
    items: list[Dataset]
    count: int
    facets: dict[str, list[tuple[str, int]]]  # by the index's facet names
    groups: dict[str, list[str]]  # dataset id -> names of its groups


def browse_datasets(*, store: Store, actor: Actor, query: BrowseQuery) -> BrowseResult:
    """The datasets `actor` may see that match `query`, one page of them, with facet counts."""
    if query.offset < 0:
        raise Invalid("bad offset", errors=[FieldError("start", "must not be negative")])
    if not 0 <= query.limit <= MAX_PAGE:
        raise Invalid("bad page size", errors=[FieldError("rows", f"must be between 0 and {MAX_PAGE}")])
    request = None
    if query.facets:
        request = FacetRequest(
            query.facets, lang=query.facet_lang, limit=query.facet_limit, mincount=query.facet_mincount
        )
    with store.read() as conn:
        matches = _matches(conn, actor, query)
        if _whole_public(actor, query) and counts_usable(conn):
            # Every published public dataset, whoever asks: the index keeps their number and facet
            # counts (obert.search.counts), and the page is the first rows of an index in its order.
            count, facets = public_catalogue(conn, request)
            listed = _Matches(datasets, matches.where, None)
            page = _page(conn, query, listed) if query.limit and count > query.offset else []
        elif conn.dialect.name == "sqlite" and not _sorted_in_python(query):
            count, ids, facets = _gathered(conn, query, matches, request)
            page = _in_order(conn, ids)
        elif _listable_on_rows(query, matches, request):
            # PostgreSQL, words and nothing else: the matches found once, on their own rows.
            with _words_first(conn, matches):
                count, ids, facets = _on_rows(conn, actor, query, matches, request)
            page = _in_order(conn, ids)
        elif query.limit and not _sorted_in_python(query):
            # PostgreSQL: the count and the page in one statement, the facets in one more.
            with _words_first(conn, matches):
                count, ids = _windowed(conn, query, matches)
                facets = count_matching(conn, request, matches.cte()) if request and count else {}
            page = _in_order(conn, ids)
        else:
            with _words_first(conn, matches):
                count = int(conn.execute(matches.select([sa.func.count()])).scalar_one())
                page = _page(conn, query, matches) if query.limit and count > query.offset else []
                facets = count_matching(conn, request, matches.cte()) if request and count else {}
        if request and not facets:
            facets = {name: [] for name in request.names}
        in_groups = group_names_by_dataset(conn, [d.id for d in page])
    return BrowseResult(items=page, count=count, facets=facets, groups={d.id: in_groups[d.id] for d in page})


def _whole_public(actor: Actor, query: BrowseQuery) -> bool:
    """Whether `query` lists every published public dataset (no words, filters or dates), which is all
    that an actor with no organisation's roles may see (obert.catalog.access.visible_to)."""
    text = query.text.strip()
    only_public = not query.include_private or not (actor.sysadmin or actor.roles)
    return (
        text in ("", "*:*")
        and not query.filters
        and query.modified_since is None
        and only_public
        and not query.include_drafts
        and all(isinstance(part, Everything) for part in _conjuncts(query.criterion))
    )


@dataclass(frozen=True, slots=True)
class _Matches:
    """The datasets a listing matches, as SQL: the catalogue's rows, with their search documents and
    their matches of the query's leading words when it has some (matched, and ranked, once)."""

    source: Any  # datasets, or datasets joined to search_documents (and to the word hits)
    where: list[ColumnElement[bool]]
    rank: ColumnElement[Any] | None  # the leading words' rank (lower is better), when ranked
    worded: bool = False  # matched by words in the search index (the leading ones)
    hits: Subquery | None = None  # the leading words' matches (obert.search.word_hits)
    only_words: bool = False  # nothing but those words and who may see decides what is listed

    def select(self, columns: Sequence[Any]) -> Select[Any]:
        return sa.select(*columns).select_from(self.source).where(*self.where)

    def cte(self) -> CTE:
        """The matching documents' ids (`doc_id`), materialised: counted from, not read again."""
        matched = self.select([search_documents.c.doc_id]) if self.joined else None
        if matched is None:
            ids = self.select([datasets.c.id])
            matched = sa.select(search_documents.c.doc_id).where(search_documents.c.dataset_id.in_(ids))
        return matched.cte("matching").prefix_with("MATERIALIZED")

    @property
    def joined(self) -> bool:
        return self.source is not datasets


def _matches(conn: Connection, actor: Actor, query: BrowseQuery) -> _Matches:
    lead, rest = _leading_words(query.criterion)
    where = _conditions(conn, actor, query, rest)
    ranked = any(key == "score" for key, _ in query.order)
    hits = (
        word_hits(conn, text=lead.text, prefix_last=lead.prefix, fields=lead.fields, ranked=ranked)
        if lead is not None
        else None
    )
    if hits is None:
        # No leading words, or only stop words ("the"): in no index, they rule nothing out.
        joined: Any = datasets.join(search_documents, search_documents.c.dataset_id == datasets.c.id)
        return _Matches(joined if query.facets else datasets, where, None)
    # From the word matches to their documents (by key) to their datasets (by key): the words are matched
    # once, for the count, the facets and the page alike.
    source = hits.join(search_documents, search_documents.c.doc_id == hits.c.doc_id).join(
        datasets, datasets.c.id == search_documents.c.dataset_id
    )
    only_words = (
        query.text.strip() in ("", "*:*")
        and not query.filters
        and query.modified_since is None
        and all(isinstance(part, Everything) for part in _conjuncts(rest))
    )
    return _Matches(source, where, hits.c.rank if ranked else None, True, hits, only_words)


def _listable_on_rows(query: BrowseQuery, matches: _Matches, request: FacetRequest | None) -> bool:
    """Whether obert.search.listed can list these matches: words alone decide (and who may see), the
    matches carry their rows (PostgreSQL), and the page, if any, is ordered by rank first."""
    if matches.hits is None or not matches.only_words or not on_rows(matches.hits, request):
        return False
    return query.limit == 0 or (
        bool(query.order) and query.order[0][0] == "score" and matches.rank is not None
    )


def _on_rows(
    conn: Connection, actor: Actor, query: BrowseQuery, matches: _Matches, request: FacetRequest | None
) -> tuple[int, list[str], dict[str, list[tuple[str, int]]]]:
    """The count, the page's dataset ids in order and the facets, from the matches' rows (see
    obert.search.listed): the page is ordered over the best matches by rank, ties at the last included,
    in the query's own order (rank, then its other keys, then id), which is its order over all matches."""
    assert matches.hits is not None
    viewer = Viewer(sysadmin=actor.sysadmin, organization_ids=actor.visible_organizations)
    wanted = query.offset + query.limit if query.limit else 0
    listed = list_on_rows(
        conn,
        matches.hits,
        viewer=viewer,
        published=not query.include_drafts,
        public=not query.include_private,
        request=request,
        leaders=wanted,
        worst_first=bool(query.order) and not query.order[0][1],
    )
    if not listed.leaders or listed.count <= query.offset:
        return listed.count, [], listed.facets
    best = sa.select(
        sa.func.unnest(
            sa.bindparam("doc_ids", [d for d, _ in listed.leaders], type_=ARRAY(sa.Integer))
        ).label("doc_id"),
        sa.func.unnest(sa.bindparam("ranks", [r for _, r in listed.leaders], type_=ARRAY(sa.Float))).label(
            "rank"
        ),
    ).subquery("best")
    rows = (
        sa.select(
            datasets.c.id.label("id"),
            datasets.c.name.label("name"),
            datasets.c.updated_at.label("modified"),
            datasets.c.created_at.label("created"),
            best.c.rank.label("rank"),
        )
        .select_from(
            best.join(search_documents, search_documents.c.doc_id == best.c.doc_id).join(
                datasets, datasets.c.id == search_documents.c.dataset_id
            )
        )
        .subquery("rows")
    )
    ordered = sa.select(rows.c.id).order_by(*_order(query, rows)).limit(query.limit).offset(query.offset)
    return listed.count, list(conn.execute(ordered).scalars()), listed.facets


def _words_first(conn: Connection, matches: _Matches) -> AbstractContextManager[None]:
    """Statements of a listing matched by words find them through the search index (see
    obert.search.words_from_the_index); others are planned as usual."""
    return words_from_the_index(conn) if matches.worded else nullcontext()


def _leading_words(criterion: Criterion | None) -> tuple[Words | None, Criterion | None]:
    """The first `Words` that every match must have (a part of the criterion's top-level "and"), and the
    rest of the criterion: those words can drive the query, matched and ranked once."""
    if isinstance(criterion, Words) and not criterion.phrase:
        return criterion, None
    if not isinstance(criterion, AllOf):
        return None, criterion
    parts = list(_conjuncts(criterion))
    for n, part in enumerate(parts):
        if isinstance(part, Words) and not part.phrase:  # (a phrase is matched as a condition)
            return part, AllOf(tuple(parts[:n] + parts[n + 1 :]))
    return None, criterion


def _conjuncts(criterion: Criterion | None) -> Iterator[Criterion]:
    if criterion is None:
        return
    if isinstance(criterion, AllOf):
        for part in criterion.parts:
            yield from _conjuncts(part)
    else:
        yield criterion


def _gathered(
    conn: Connection, query: BrowseQuery, matches: _Matches, request: FacetRequest | None
) -> tuple[int, list[str], dict[str, list[tuple[str, int]]]]:
    """SQLite: one statement finds the matches once and returns their count, every match's facet value
    ids (search_documents.facet_ids) and the page's dataset ids, in order."""
    columns: list[Any] = [
        datasets.c.id.label("id"),
        datasets.c.name.label("name"),
        datasets.c.updated_at.label("modified"),
        datasets.c.created_at.label("created"),
    ]
    if request is not None:
        columns.append(_FACET_IDS.label("facet_ids"))
    if matches.rank is not None:
        columns.append(matches.rank.label("rank"))
    matching = matches.select(columns).cte("matching").prefix_with("MATERIALIZED")
    listed = sa.func.group_concat(matching.c.facet_ids, " ") if request is not None else sa.null()
    total = sa.select(sa.null(), sa.func.count(), listed).select_from(matching)
    order = _order(query, matching)
    shown = sa.select(matching).order_by(*order).limit(query.limit).offset(query.offset).subquery("shown")
    position = sa.func.row_number().over(order_by=_order(query, shown))
    page = sa.select(shown.c.id, position, sa.null()).select_from(shown)
    rows = conn.execute(sa.union_all(total, page) if query.limit else total).all()
    count, ids = 0, []
    facets: dict[str, list[tuple[str, int]]] = {}
    for dataset_id, n, facet_ids in rows:
        if dataset_id is None:
            count = int(n)
            if request is not None:
                facets = count_listed(conn, request, facet_ids)
    ids = [row[0] for row in sorted((r for r in rows if r[0] is not None), key=lambda r: r[1])]
    return count, ids, facets


def _windowed(conn: Connection, query: BrowseQuery, matches: _Matches) -> tuple[int, list[str]]:
    """The number of matches and the page's dataset ids, in order, from one statement: each row of the
    page carries the count of every match (a window over all of them, taken before the page is cut).
    Only a page past the last match has no row to carry it, and counts again."""
    rows = matches.select([*_listing_columns(matches), sa.func.count().over().label("total")]).subquery(
        "rows"
    )
    ordered = (
        sa.select(rows.c.id, rows.c.total)
        .order_by(*_order(query, rows))
        .limit(query.limit)
        .offset(query.offset)
    )
    found = conn.execute(ordered).all()
    if found:
        return int(found[0].total), [row.id for row in found]
    return int(conn.execute(matches.select([sa.func.count()])).scalar_one()), []


def _listing_columns(matches: _Matches) -> list[Any]:
    """What a page is ordered by: id, name, modified, created, and the words' rank when ranked."""
    columns: list[Any] = [
        datasets.c.id.label("id"),
        datasets.c.name.label("name"),
        datasets.c.updated_at.label("modified"),
        datasets.c.created_at.label("created"),
    ]
    if matches.rank is not None:
        columns.append(matches.rank.label("rank"))
    return columns


def _order(query: BrowseQuery, rows: Any) -> list[Any]:
    """The page's order on `rows`' id, name, modified, created (and rank) columns; ties broken by id."""
    if not query.order:
        column = {"modified": rows.c.modified, "created": rows.c.created}.get(query.sort, rows.c.name)
        return [column.desc(), rows.c.name.desc()] if query.descending else [column, rows.c.name]
    order: list[Any] = []
    for key, desc in query.order:
        if key == "score":
            if "rank" in rows.c:
                order.append(rows.c.rank if desc else rows.c.rank.desc())  # bm25 and ts_rank: lower is better
            continue
        column = rows.c[key]
        order.append(column.desc() if desc else column)
    order.append(rows.c.id)
    return order


def _sorted_in_python(query: BrowseQuery) -> bool:
    """Titles are language -> text maps, whose first entry names the dataset: sorted in Python."""
    return query.sort == "title" if not query.order else any(key == "title" for key, _ in query.order)


def _in_order(conn: Connection, ids: list[str]) -> list[Dataset]:
    if not ids:
        return []
    rows = conn.execute(sa.select(datasets).where(datasets.c.id.in_(ids))).all()
    by_id = {d.id: d for d in datasets_from_rows(conn, rows)}
    return [by_id[i] for i in ids if i in by_id]


def public_names(*, store: Store, actor: Actor, offset: int = 0, limit: int = 1000) -> list[str]:
    """Names of the published public datasets, by name, one page of them: the page is read from the
    names' index alone, without loading the datasets (CKAN's package_list)."""
    if offset < 0:
        raise Invalid("bad offset", errors=[FieldError("offset", "must not be negative")])
    if not 0 <= limit <= MAX_PAGE:
        raise Invalid("bad page size", errors=[FieldError("limit", f"must be between 0 and {MAX_PAGE}")])
    select = (
        sa.select(datasets.c.name)
        .where(
            visible_to(actor),
            datasets.c.state == State.PUBLISHED.value,
            datasets.c.visibility == Visibility.PUBLIC.value,
        )
        .order_by(datasets.c.name)
        .offset(offset)
        .limit(limit)
    )
    with store.read() as conn:
        return list(conn.execute(select).scalars())


def catalog_dates(*, store: Store, actor: Actor) -> tuple[datetime | None, datetime | None]:
    """When the first visible dataset was created and the last one changed."""
    with store.read() as conn:
        first, last = conn.execute(
            sa.select(sa.func.min(datasets.c.created_at), sa.func.max(datasets.c.updated_at)).where(
                visible_to(actor)
            )
        ).one()
    return first, last


def _conditions(
    conn: Connection, actor: Actor, query: BrowseQuery, criterion: Criterion | None
) -> list[ColumnElement[bool]]:
    where = [visible_to(actor)]
    if not query.include_drafts:
        # Withdrawn datasets keep their pages (links to them must not break) but leave the listings.
        where.append(datasets.c.state == State.PUBLISHED.value)
    else:
        where.append(NOT_DELETED)
    if not query.include_private:
        where.append(datasets.c.visibility == Visibility.PUBLIC.value)
    if query.modified_since is not None:
        where.append(datasets.c.updated_at >= query.modified_since)
    text = query.text.strip()
    if text and text != "*:*":
        # Words are matched by the search index (stems, accents, case), as the search page does.
        viewer = Viewer(sysadmin=actor.sysadmin, organization_ids=actor.visible_organizations)
        where.append(datasets.c.id.in_(matching(conn, viewer=viewer, text=text)))
    for name, wanted in query.filters.items():
        where.extend(has_value(name, value) for value in wanted)
    if criterion is not None:
        where.append(condition(conn, actor, criterion))
    return where


def _page(conn: Connection, query: BrowseQuery, matches: _Matches) -> list[Dataset]:
    """One page of the matches, in the query's order (by title in Python; see _sorted_in_python)."""
    if _sorted_in_python(query):
        return _in_order(conn, _ids_in_python_order(conn, query, matches))
    rows = matches.select(_listing_columns(matches)).subquery("rows")
    ordered = sa.select(rows.c.id).order_by(*_order(query, rows)).limit(query.limit).offset(query.offset)
    return _in_order(conn, list(conn.execute(ordered).scalars()))


def _ids_in_python_order(conn: Connection, query: BrowseQuery, matches: _Matches) -> list[str]:
    columns = [datasets.c.id, datasets.c.title, datasets.c.name, datasets.c.updated_at, datasets.c.created_at]
    rows = list(conn.execute(matches.select(columns)))
    values = {
        "id": lambda r: r.id,
        "name": lambda r: r.name,
        "modified": lambda r: r.updated_at,
        "created": lambda r: r.created_at,
        "title": lambda r: str(next(iter(r.title.values()), "") if r.title else "").casefold(),
    }
    order = query.order or ((query.sort, query.descending),)
    rows.sort(key=lambda r: r.id)
    for key, desc in reversed(order):
        if key in values:
            rows.sort(key=values[key], reverse=desc)
    return [row.id for row in rows[query.offset : query.offset + query.limit]]
