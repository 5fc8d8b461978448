"""Offset-paged, filtered and faceted dataset listings for the CKAN and DCAT faces.

The native API pages with cursors; CKAN clients and DCAT harvesters page with offsets (`start`,
`page`), filter on a few fields and ask for facet counts. Filters, counts, facets and the page are SQL
over the catalogue and the search index's facet rows, so a call costs one page of datasets in Python
however large the catalogue is; words are matched by the search index, as on the search page.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import Select

from obert.auth import Actor
from obert.catalog.access import NOT_DELETED, visible_to
from obert.catalog.common import MAX_PAGE
from obert.catalog.criteria import Criterion, condition, has_value, positive_words
from obert.catalog.groups import group_names_by_dataset
from obert.catalog.models import Dataset, State, Visibility
from obert.catalog.rows import datasets_from_rows
from obert.errors import FieldError, Invalid
from obert.search import Viewer, matching, relevance
from obert.storage import Store
from obert.storage.tables.catalog import dataset_groups, datasets, groups, organizations
from obert.storage.tables.search import search_documents, search_facets

Facet = Literal["organization", "tags", "res_format", "license_id", "groups", "theme"]
FACETS: tuple[Facet, ...] = ("organization", "tags", "res_format", "license_id", "groups", "theme")
SortKey = Literal["name", "title", "modified", "created"]
# What an `order` may name: "score" is relevance to the words of the criterion (best first when
# descending), ignored without words.
OrderKey = Literal["id", "name", "title", "modified", "created", "score"]

# CKAN facets kept as rows of the search index: (facet name there, rows per dataset may repeat a value).
_INDEXED: dict[Facet, str] = {"tags": "keyword", "res_format": "format", "theme": "theme"}


@dataclass(frozen=True, slots=True)
class BrowseQuery:
    text: str = ""
    filters: dict[Facet, tuple[str, ...]] = field(default_factory=dict)  # all values must match
    offset: int = 0
    limit: int = 10
    sort: SortKey = "name"
    descending: bool = False
    facets: tuple[Facet, ...] = ()
    facet_limit: int = 50
    facet_mincount: int = 1
    modified_since: datetime | None = None
    include_private: bool = True  # what the actor may see anyway; False keeps only public ones
    include_drafts: bool = False  # also drafts, datasets in review and withdrawn ones the actor may see
    criterion: Criterion | None = None  # a boolean condition on top of text and filters
    order: tuple[tuple[OrderKey, bool], ...] = ()  # (key, descending) pairs; replaces sort and descending


@dataclass(frozen=True, slots=True)
class BrowseResult:
    items: list[Dataset]
    count: int
    facets: dict[Facet, list[tuple[str, int]]]
    groups: dict[str, list[str]]  # dataset id -> names of its groups


def browse_datasets(*, store: Store, actor: Actor, query: BrowseQuery) -> BrowseResult:
    """The datasets `actor` may see that match `query`, one page of them, with facet counts."""
    if query.offset < 0:
        raise Invalid("bad offset", errors=[FieldError("start", "must not be negative")])
    if not 0 <= query.limit <= MAX_PAGE:
        raise Invalid("bad page size", errors=[FieldError("rows", f"must be between 0 and {MAX_PAGE}")])
    with store.read() as conn:
        where = _conditions(conn, actor, query)
        if query.facets and positive_words(query.criterion):
            # Words are matched once, not again by the count and each facet's statement.
            ids = list(conn.execute(sa.select(datasets.c.id).where(*where)).scalars())
            where, count = [_one_of(conn, ids)], len(ids)
        else:
            count = int(
                conn.execute(sa.select(sa.func.count()).select_from(datasets).where(*where)).scalar_one()
            )
        page = _page(conn, query, where) if query.limit and count > query.offset else []
        facets = {name: _facet(conn, name, query, where) for name in query.facets}
        in_groups = group_names_by_dataset(conn, [d.id for d in page])
    return BrowseResult(items=page, count=count, facets=facets, groups={d.id: in_groups[d.id] for d in page})


def _one_of(conn: Connection, ids: list[str]) -> ColumnElement[bool]:
    """datasets.id is one of `ids`, as one parameter (there may be more than SQLite takes)."""
    if conn.dialect.name == "postgresql":
        return datasets.c.id == sa.func.any(sa.bindparam("ids", ids, type_=postgresql.ARRAY(sa.String)))
    listed = sa.func.json_each(json.dumps(ids)).table_valued("value")
    return datasets.c.id.in_(sa.select(listed.c.value))


def catalog_dates(*, store: Store, actor: Actor) -> tuple[datetime | None, datetime | None]:
    """When the first visible dataset was created and the last one changed."""
    with store.read() as conn:
        first, last = conn.execute(
            sa.select(sa.func.min(datasets.c.created_at), sa.func.max(datasets.c.updated_at)).where(
                visible_to(actor)
            )
        ).one()
    return first, last


def _conditions(conn: Connection, actor: Actor, query: BrowseQuery) -> list[ColumnElement[bool]]:
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
    if query.criterion is not None:
        where.append(condition(conn, actor, query.criterion))
    return where


def _page(conn: Connection, query: BrowseQuery, where: Sequence[ColumnElement[bool]]) -> list[Dataset]:
    if query.order:
        return _ordered_page(conn, query, where)
    if query.sort == "title":
        ids = _ids_by_title(conn, query, where)
        if not ids:
            return []
        rows = conn.execute(sa.select(datasets).where(datasets.c.id.in_(ids))).all()
        by_id = {d.id: d for d in datasets_from_rows(conn, rows)}
        return [by_id[i] for i in ids]
    column = {"modified": datasets.c.updated_at, "created": datasets.c.created_at}.get(
        query.sort, datasets.c.name
    )
    order = [column.desc(), datasets.c.name.desc()] if query.descending else [column, datasets.c.name]
    select = sa.select(datasets).where(*where).order_by(*order).limit(query.limit).offset(query.offset)
    return datasets_from_rows(conn, conn.execute(select).all())


_ORDER_COLUMNS = {
    "id": datasets.c.id,
    "name": datasets.c.name,
    "modified": datasets.c.updated_at,
    "created": datasets.c.created_at,
}


def _ordered_page(
    conn: Connection, query: BrowseQuery, where: Sequence[ColumnElement[bool]]
) -> list[Dataset]:
    """A page in the order of `query.order`, ties broken by id so that pages never overlap."""
    if any(key == "title" for key, _ in query.order):
        ids = _ids_in_python_order(conn, query, where)
        rows = conn.execute(sa.select(datasets).where(datasets.c.id.in_(ids))).all() if ids else []
        by_id = {d.id: d for d in datasets_from_rows(conn, rows)}
        return [by_id[i] for i in ids]
    select = sa.select(datasets).where(*where)
    order: list[Any] = []
    positive = positive_words(query.criterion)
    # One group of words (the usual q) must all be there: rank only what has them all.
    words = " ".join(positive)
    ranked = relevance(conn, text=words, prefix_last=False, any_term=len(positive) > 1) if words else None
    for key, desc in query.order:
        if key == "score":
            if ranked is None:
                continue
            select = select.outerjoin(ranked, ranked.c.dataset_id == datasets.c.id)
            rank = sa.func.coalesce(ranked.c.rank, 0.0)  # bm25 and ts_rank: lower is better
            order.append(rank if desc else rank.desc())
            ranked = None  # joined once
            continue
        column = _ORDER_COLUMNS[key]
        order.append(column.desc() if desc else column)
    order.append(datasets.c.id)
    page = select.order_by(*order).limit(query.limit).offset(query.offset)
    return datasets_from_rows(conn, conn.execute(page).all())


def _ids_in_python_order(
    conn: Connection, query: BrowseQuery, where: Sequence[ColumnElement[bool]]
) -> list[str]:
    # Titles are language -> text maps (see _ids_by_title): sorted here, on the narrow columns only.
    columns = [datasets.c.id, datasets.c.title, datasets.c.name, datasets.c.updated_at, datasets.c.created_at]
    rows = list(conn.execute(sa.select(*columns).where(*where)))
    values = {
        "id": lambda r: r.id,
        "name": lambda r: r.name,
        "modified": lambda r: r.updated_at,
        "created": lambda r: r.created_at,
        "title": lambda r: str(next(iter(r.title.values()), "") if r.title else "").casefold(),
    }
    rows.sort(key=lambda r: r.id)
    for key, desc in reversed(query.order):
        if key in values:
            rows.sort(key=values[key], reverse=desc)
    return [row.id for row in rows[query.offset : query.offset + query.limit]]


def _ids_by_title(conn: Connection, query: BrowseQuery, where: Sequence[ColumnElement[bool]]) -> list[str]:
    # A title is a language -> text map whose first entry names the dataset; JSON order is not SQL's to
    # see on both backends, so only the two narrow columns are fetched and sorted here.
    rows = list(conn.execute(sa.select(datasets.c.id, datasets.c.title).where(*where)))

    def key(row: Any) -> str:
        return str(next(iter(row.title.values()), "") if row.title else "").casefold()

    rows.sort(key=key, reverse=query.descending)
    return [row.id for row in rows[query.offset : query.offset + query.limit]]


def _facet(
    conn: Connection, name: Facet, query: BrowseQuery, where: Sequence[ColumnElement[bool]]
) -> list[tuple[str, int]]:
    matched = sa.select(datasets.c.id).where(*where)
    value: Any
    if name == "organization":
        value = organizations.c.name
        source: Any = datasets.join(organizations, organizations.c.id == datasets.c.organization_id)
        select = sa.select(value, sa.func.count()).select_from(source).where(*where)
    elif name == "license_id":
        value = datasets.c.license
        select = sa.select(value, sa.func.count()).where(*where, value.is_not(None))
    elif name == "groups":
        value = groups.c.name
        source = dataset_groups.join(groups, groups.c.id == dataset_groups.c.group_id)
        select = sa.select(value, sa.func.count()).select_from(source)
        select = select.where(dataset_groups.c.dataset_id.in_(matched))
    else:
        # A keyword in three languages is one tag of the dataset: count datasets, not rows.
        # Starting from the matched documents' ids lets the database read their rows by primary key
        # (doc_id, facet, …) instead of walking every row of the facet.
        value = search_facets.c.value
        count = sa.func.count(sa.distinct(search_facets.c.doc_id))
        matched_docs = sa.select(search_documents.c.doc_id).where(search_documents.c.dataset_id.in_(matched))
        select = sa.select(value, count).where(
            search_facets.c.doc_id.in_(matched_docs), search_facets.c.facet == _INDEXED[name]
        )
    return _top(conn, select.group_by(value), query)


def _top(conn: Connection, select: Select[Any], query: BrowseQuery) -> list[tuple[str, int]]:
    counted = select.subquery("counted")
    value, count = counted.c[0], counted.c[1]
    top = sa.select(value, count).where(count >= query.facet_mincount).order_by(count.desc(), value)
    return [(str(v), int(n)) for v, n in conn.execute(top.limit(query.facet_limit))]
