"""package_search as a translation layer: CKAN parameters -> a query object -> obert's service -> CKAN's
result shape. When full-text search lands, only the service call changes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, get_args

from obert.api.ckan.params import Params
from obert.catalog.listing import FACETS, BrowseQuery, BrowseResult, Facet, SortKey
from obert.errors import FieldError, Invalid

MAX_ROWS = 1000
DEFAULT_FACET_LIMIT = 50
_SORTS: dict[str, SortKey] = {
    "name": "name",
    "title_string": "title",
    "title": "title",
    "metadata_modified": "modified",
    "metadata_created": "created",
}
_FQ_TERM = re.compile(r"^\+?(?P<field>[a-z_]+):(?P<value>.+)$")
_TOKEN = re.compile(r'\+?[a-z_]+:(?:\[[^\]]*\]|"[^"]*"|\S+)|"[^"]*"|\S+')
_RANGE = re.compile(r"^\[(?P<start>\S+) TO (?:\*|NOW|\S+)\]$")


def search_query(params: Params) -> BrowseQuery:
    rows = params.integer("rows", 10, minimum=0)
    if rows > MAX_ROWS:
        raise Invalid("too many rows", errors=[FieldError("rows", f"Must be at most {MAX_ROWS}")])
    facet_limit = params.integer("facet.limit", DEFAULT_FACET_LIMIT)
    facets = params.string_list("facet.field")
    for name in facets:
        if name not in FACETS:
            raise Invalid(
                "unknown facet",
                errors=[FieldError("facet.field", f"'{name}' is not one of {', '.join(FACETS)}")],
            )
    sort, descending = _sort(params.text("sort") or "score desc, metadata_modified desc")
    parsed = _Parsed()
    _parse(params.text("q") or "", source="q", parsed=parsed, words_allowed=True)
    for fq in [params.text("fq") or "", *params.string_list("fq_list")]:
        _parse(fq, source="fq", parsed=parsed, words_allowed=False)
    return BrowseQuery(
        text=" ".join(parsed.words),
        filters={k: tuple(v) for k, v in parsed.filters.items()},
        modified_since=parsed.modified_since,
        offset=params.integer("start", 0, minimum=0),
        limit=rows,
        sort=sort,
        descending=descending,
        facets=tuple(f for f in facets if f in get_args(Facet)),  # type: ignore[misc]
        facet_limit=facet_limit if facet_limit >= 0 else 10**6,
        facet_mincount=params.integer("facet.mincount", 1, minimum=0),
        include_private=params.boolean("include_private", False),
        include_drafts=params.boolean("include_drafts", False),
    )


def search_result(query: BrowseQuery, found: BrowseResult, packages: list[dict[str, Any]]) -> dict[str, Any]:
    facets = {name: dict(found.facets.get(name, [])) for name in query.facets}
    return {
        "count": found.count,
        "sort": f"{_ckan_sort_name(query.sort)} {'desc' if query.descending else 'asc'}",
        "facets": facets,
        "search_facets": {
            name: {
                "title": name,
                "items": [{"name": v, "display_name": v, "count": n} for v, n in found.facets.get(name, [])],
            }
            for name in query.facets
        },
        "results": packages,
    }


def _sort(text: str) -> tuple[SortKey, bool]:
    # CKAN sends "score desc, metadata_modified desc"; without text ranking the first real key decides.
    for clause in text.split(","):
        parts = clause.split()
        if not parts or parts[0] == "score":
            continue
        key = _SORTS.get(parts[0])
        if key is None:
            raise Invalid("cannot sort on that", errors=[FieldError("sort", f"'{parts[0]}' is not sortable")])
        direction = parts[1].lower() if len(parts) > 1 else "asc"
        if direction not in ("asc", "desc"):
            raise Invalid("bad sort direction", errors=[FieldError("sort", "use asc or desc")])
        return key, direction == "desc"
    return "modified", True


def _ckan_sort_name(key: SortKey) -> str:
    return {
        "name": "name",
        "title": "title_string",
        "modified": "metadata_modified",
        "created": "metadata_created",
    }[key]


@dataclass
class _Parsed:
    filters: dict[Facet, list[str]] = field(default_factory=dict)
    modified_since: datetime | None = None
    words: list[str] = field(default_factory=list)


def _parse(text: str, *, source: str, parsed: _Parsed, words_allowed: bool) -> None:
    """Read Solr-style `field:value` terms: the facet fields, `metadata_modified:[<date> TO *]` (what
    CKAN's harvester sends for incremental runs), and the always-true `dataset_type:dataset`."""
    if text.count('"') % 2:
        raise Invalid("bad filter query", errors=[FieldError(source, "unbalanced quotes")])
    for term in _TOKEN.findall(text):
        if term.upper() in ("AND", "*:*"):
            continue
        match = _FQ_TERM.match(term)
        if match is None:
            if words_allowed:
                parsed.words.append(term.strip('"'))
                continue
            raise Invalid("unsupported filter", errors=[FieldError(source, f"'{term}' is not field:value")])
        name, value = match["field"], match["value"].strip('"')
        if name in FACETS:
            parsed.filters.setdefault(name, []).append(value)
        elif name == "dataset_type" and value == "dataset":
            continue
        elif name == "metadata_modified" and (since := _range_start(value)) is not None:
            parsed.modified_since = since
        else:
            raise Invalid(
                "unsupported filter",
                errors=[FieldError(source, f"'{term}': filter on {', '.join(FACETS)} or metadata_modified")],
            )


def _range_start(value: str) -> datetime | None:
    match = _RANGE.match(value)
    if match is None:
        return None
    try:
        return datetime.fromisoformat(match["start"].replace("Z", "+00:00"))
    except ValueError:
        return None
