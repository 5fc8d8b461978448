"""What the search index stores and answers: documents, queries, viewers and hits.

obert.search knows nothing of the catalogue: the catalogue builds a `SearchDocument` from each dataset
and hands it over inside its own transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from obert.errors import FieldError, Invalid, msg

FACETS = ("publisher", "theme", "sector", "format", "licence", "keyword", "language", "has_api")
# Every facet the index keeps: the search page's, and the catalogue's groups (CKAN's `groups` facet).
INDEX_FACETS = (*FACETS, "group")
SORTS = ("relevance", "modified", "name")
MAX_QUERY_CHARS = 1000  # a search box sentence, with room to spare; more is a mistake or an attack
MAX_LIMIT = 1000
MAX_OFFSET = 10_000  # deep pages cost the database a full ranking; nobody reads page 500 of results
MAX_FACET_VALUES = 200
MAX_FILTER_VALUES = 50
# The language of a dataset's keywords indexed once each whatever their languages (a keyword facet row
# per written word), which CKAN's `tags` facet counts; the others are per language, as the site shows them.
ANY_LANGUAGE = "*"
HAS_API = "yes"  # the one value of the has_api facet: datasets without an API get no row


@dataclass(frozen=True, slots=True)
class SearchDocument:
    """One dataset as the index sees it.

    Text fields are language → text; `other` holds everything weighted lowest: (language or None, text)
    pairs for the publisher, theme and sector labels, resource names, titles and formats. `column_names`
    is the hook for the datastore's table columns. `facets` maps a facet (see FACETS, without keyword and
    has_api, which come from `keywords` and `has_api`) to its values.
    """

    dataset_id: str
    name: str
    state: str
    visibility: str
    organization_id: str | None
    modified: datetime
    title: Mapping[str, str]
    description: Mapping[str, str] = field(default_factory=dict)
    keywords: Mapping[str, Sequence[str]] = field(default_factory=dict)
    other: Sequence[tuple[str | None, str]] = ()
    column_names: Sequence[str] = ()
    facets: Mapping[str, Sequence[str]] = field(default_factory=dict)
    has_api: bool = False


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who searches, as far as visibility goes: the same rule as the catalogue's access module."""

    sysadmin: bool = False
    organization_ids: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """A search: free text, filters (AND across facets, OR within one), facets to count, order, page.

    Invalid values raise `Invalid` naming the parameter at construction, so nothing bad reaches SQL.
    """

    q: str = ""
    filters: Mapping[str, Sequence[str]] = field(default_factory=dict)
    facets: Sequence[str] = ()
    sort: str | None = None  # None: relevance when there is text, else last modified
    limit: int = 20
    offset: int = 0
    lang: str = "ca"
    facet_limit: int = 50

    def __post_init__(self) -> None:
        errors = []
        if len(self.q) > MAX_QUERY_CHARS:
            errors.append(
                FieldError(
                    "q",
                    msg(
                        "at most {max_query_chars} characters, got {len}",
                        max_query_chars=MAX_QUERY_CHARS,
                        len=len(self.q),
                    ),
                )
            )
        for name, values in self.filters.items():
            if name not in FACETS:
                errors.append(
                    FieldError(name, msg("unknown filter; filter on one of {value}", value=", ".join(FACETS)))
                )
            elif len(values) > MAX_FILTER_VALUES:
                errors.append(
                    FieldError(
                        name, msg("at most {max_filter_values} values", max_filter_values=MAX_FILTER_VALUES)
                    )
                )
        errors.extend(
            FieldError(
                "facets", msg("unknown facet '{name}'; known: {value}", name=name, value=", ".join(FACETS))
            )
            for name in self.facets
            if name not in FACETS
        )
        if self.sort is not None and self.sort not in SORTS:
            errors.append(FieldError("sort", msg("one of {value}", value=", ".join(SORTS))))
        if not 1 <= self.limit <= MAX_LIMIT:
            errors.append(FieldError("limit", msg("must be between 1 and {max_limit}", max_limit=MAX_LIMIT)))
        if not 0 <= self.offset <= MAX_OFFSET:
            errors.append(
                FieldError("offset", msg("must be between 0 and {max_offset}", max_offset=MAX_OFFSET))
            )
        if not (2 <= len(self.lang) <= 3 and self.lang.isascii() and self.lang.isalpha()):
            errors.append(FieldError("lang", msg("a language code such as ca, es or en")))
        if not 1 <= self.facet_limit <= MAX_FACET_VALUES:
            errors.append(
                FieldError(
                    "facet_limit",
                    msg("must be between 1 and {max_facet_values}", max_facet_values=MAX_FACET_VALUES),
                )
            )
        if errors:
            raise Invalid(msg("bad search"), errors=errors)

    @property
    def effective_sort(self) -> str:
        if self.sort:
            return self.sort
        return "relevance" if self.q.strip() else "modified"


@dataclass(frozen=True, slots=True)
class Hits:
    """The ids of one page of matching datasets in order, the total, and counts per facet value."""

    dataset_ids: list[str]
    count: int
    facets: dict[str, list[tuple[str, int]]]
    relaxed: bool = False  # no dataset had every word, so these match any of them
    # The index version this answer is of (obert.search.cache), where the answer says; None for none.
    version: str | None = None
