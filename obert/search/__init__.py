"""Full-text search over the catalogue, in the catalogue's own database and transactions.

Below obert.catalog: the catalogue builds `SearchDocument`s and calls `write_documents` with its
transaction's connection; search never imports the catalogue.
"""

from obert.search.index import find, matching, relevance, suggest, visible
from obert.search.model import (
    FACETS,
    MAX_OFFSET,
    MAX_QUERY_CHARS,
    SORTS,
    Hits,
    SearchDocument,
    SearchQuery,
    Viewer,
)
from obert.search.writing import clear, indexed_count, remove_documents, write_documents

__all__ = [
    "FACETS",
    "MAX_OFFSET",
    "MAX_QUERY_CHARS",
    "SORTS",
    "Hits",
    "SearchDocument",
    "SearchQuery",
    "Viewer",
    "clear",
    "find",
    "indexed_count",
    "matching",
    "relevance",
    "remove_documents",
    "suggest",
    "visible",
    "write_documents",
]
