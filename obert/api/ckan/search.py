"""package_search as a translation layer: CKAN parameters -> a listing query (criteria from `q` and
`fq` in CKAN's query language, see obert.api.ckan.query) -> obert's service -> CKAN's result shape."""

from __future__ import annotations

from typing import Any

from obert.api.ckan import query as lucene
from obert.api.ckan.params import Params
from obert.catalog.criteria import AllOf, Criterion
from obert.catalog.licences import ckan_licence_id
from obert.catalog.listing import BrowseQuery, BrowseResult
from obert.errors import FieldError, Invalid

# CKAN's facet names -> the search index's (obert.search.facets counts them, for every face alike).
FACETS = {
    "organization": "publisher",
    "tags": "keyword",
    "res_format": "format",
    "license_id": "licence",
    "groups": "group",
    "theme": "theme",
}

MAX_ROWS = 1000  # CKAN's ckan.search.rows_max: more is capped quietly, as CKAN does
DEFAULT_FACET_LIMIT = 50
DEFAULT_SORT = "score desc, metadata_modified desc"


def search_query(params: Params) -> BrowseQuery:
    rows = min(params.integer("rows", 10, minimum=0), MAX_ROWS)
    facet_limit = params.integer("facet.limit", DEFAULT_FACET_LIMIT)
    facets = params.string_list("facet.field")
    for name in facets:
        if name not in FACETS:
            raise Invalid(
                "unknown facet",
                errors=[FieldError("facet.field", f"'{name}' is not one of {', '.join(FACETS)}")],
            )
    parts: list[Criterion] = [lucene.parse(params.text("q") or "", source="q")]
    filters = [params.text("fq") or "", *params.string_list("fq_list")]
    parts += [lucene.parse(fq, source="fq") for fq in filters]
    order = lucene.order(params.text("sort") or DEFAULT_SORT) or lucene.order(DEFAULT_SORT)
    return BrowseQuery(
        criterion=AllOf(tuple(parts)),
        offset=params.integer("start", 0, minimum=0),
        limit=rows,
        order=order,
        facets=tuple(dict.fromkeys(FACETS[name] for name in facets)),
        facet_limit=facet_limit if facet_limit >= 0 else 10**6,
        facet_mincount=params.integer("facet.mincount", 1, minimum=0),
        include_private=params.boolean("include_private", False),
        include_drafts=params.boolean("include_drafts", False),
    )


def search_result(
    query: BrowseQuery, found: BrowseResult, packages: list[dict[str, Any]], *, sort: str
) -> dict[str, Any]:
    asked = [name for name in FACETS if FACETS[name] in query.facets]
    counted = {name: _ckan_names(name, found.facets.get(FACETS[name], [])) for name in asked}
    return {
        "count": found.count,
        "sort": sort,
        "facets": {name: dict(values) for name, values in counted.items()},
        "search_facets": {
            name: {
                "title": name,
                "items": [{"name": v, "display_name": v, "count": n} for v, n in values],
            }
            for name, values in counted.items()
        },
        "results": packages,
    }


def _ckan_names(facet: str, items: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Facet values as package dicts name them: licences by CKAN's ids (several of obert's may be one)."""
    if facet != "license_id":
        return items
    counts: dict[str, int] = {}
    for value, count in items:
        ckan_id = ckan_licence_id(value)
        counts[ckan_id] = counts.get(ckan_id, 0) + count
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))
