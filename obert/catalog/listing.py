"""Offset-paged, filtered and faceted dataset listings for the CKAN and DCAT faces.

The native API pages with cursors; CKAN clients and DCAT harvesters page with offsets (`start`,
`page`), filter on a few fields and ask for facet counts. Full-text search will replace the text match
here; the filters and facets are computed over the visible datasets that match.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

import sqlalchemy as sa

from obert.auth import Actor
from obert.catalog.access import NOT_DELETED, visible_to
from obert.catalog.common import MAX_PAGE
from obert.catalog.groups import group_names_by_dataset
from obert.catalog.models import Dataset, State, Visibility
from obert.catalog.rows import datasets_from_rows
from obert.errors import FieldError, Invalid
from obert.search import Viewer, matching_ids
from obert.storage import Store
from obert.storage.tables.catalog import datasets

Facet = Literal["organization", "tags", "res_format", "license_id", "groups", "theme"]
FACETS: tuple[Facet, ...] = ("organization", "tags", "res_format", "license_id", "groups", "theme")
SortKey = Literal["name", "title", "modified", "created"]


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
    with store.read() as conn:
        if text and text != "*:*":
            # Words are matched by the search index (stems, accents, case), as the search page does.
            viewer = Viewer(sysadmin=actor.sysadmin, organization_ids=actor.visible_organizations)
            where.append(datasets.c.id.in_(matching_ids(conn, viewer=viewer, text=text)))
        rows = conn.execute(sa.select(datasets).where(*where)).all()
        found = datasets_from_rows(conn, rows)
        in_groups = group_names_by_dataset(conn, [d.id for d in found])
    matching = [d for d in found if _matches(d, query, in_groups)]
    matching.sort(key=_sort_key(query.sort), reverse=query.descending)
    facets = {name: _facet(matching, name, query, in_groups) for name in query.facets}
    page = matching[query.offset : query.offset + query.limit]
    return BrowseResult(
        items=page, count=len(matching), facets=facets, groups={d.id: in_groups[d.id] for d in page}
    )


def catalog_dates(*, store: Store, actor: Actor) -> tuple[datetime | None, datetime | None]:
    """When the first visible dataset was created and the last one changed."""
    with store.read() as conn:
        first, last = conn.execute(
            sa.select(sa.func.min(datasets.c.created_at), sa.func.max(datasets.c.updated_at)).where(
                visible_to(actor)
            )
        ).one()
    return first, last


def facet_values(dataset: Dataset, name: Facet, groups: Mapping[str, list[str]]) -> list[str]:
    if name == "organization":
        return [dataset.organization.name] if dataset.organization else []
    if name == "tags":
        return sorted({word for words in dataset.keywords.values() for word in words})
    if name == "res_format":
        return sorted({r.format for r in dataset.resources if r.format})
    if name == "license_id":
        return [dataset.license] if dataset.license else []
    if name == "theme":
        return list(dataset.themes)
    return list(groups.get(dataset.id, ()))


def _matches(dataset: Dataset, query: BrowseQuery, groups: Mapping[str, list[str]]) -> bool:
    for name, wanted in query.filters.items():
        values = {v.casefold() for v in facet_values(dataset, name, groups)}
        if not all(w.casefold() in values for w in wanted):
            return False
    return True


def _sort_key(key: SortKey) -> Callable[[Dataset], str]:
    if key == "title":
        return lambda d: (next(iter(d.title.values()), "") if d.title else "").casefold()
    if key == "modified":
        return lambda d: d.updated_at.isoformat()
    if key == "created":
        return lambda d: d.created_at.isoformat()
    return lambda d: d.name


def _facet(
    items: Sequence[Dataset], name: Facet, query: BrowseQuery, groups: Mapping[str, list[str]]
) -> list[tuple[str, int]]:
    counts: Counter[str] = Counter()
    for dataset in items:
        counts.update(facet_values(dataset, name, groups))
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [(v, n) for v, n in ranked if n >= query.facet_mincount][: query.facet_limit]
