"""Full-text search over the catalogue, in the catalogue's own database and transactions.

Below obert.catalog: the catalogue builds `SearchDocument`s and calls `write_documents` with its
transaction's connection; search never imports the catalogue.
"""

from obert.search.backends import words_from_the_index
from obert.search.counts import public_catalogue
from obert.search.counts import usable as counts_usable
from obert.search.facets import FacetRequest, count_listed, count_matching
from obert.search.index import find, matching, relevance, visible, word_hits
from obert.search.listed import RowListing, list_on_rows, on_rows
from obert.search.model import (
    FACETS,
    INDEX_FACETS,
    MAX_OFFSET,
    MAX_QUERY_CHARS,
    SORTS,
    Hits,
    SearchDocument,
    SearchQuery,
    Viewer,
)
from obert.search.typeahead import suggest
from obert.search.writing import clear, indexed_count, remove_documents, write_documents

__all__ = [
    "FACETS",
    "INDEX_FACETS",
    "MAX_OFFSET",
    "MAX_QUERY_CHARS",
    "SORTS",
    "FacetRequest",
    "Hits",
    "RowListing",
    "SearchDocument",
    "SearchQuery",
    "Viewer",
    "clear",
    "count_listed",
    "count_matching",
    "counts_usable",
    "find",
    "indexed_count",
    "list_on_rows",
    "matching",
    "on_rows",
    "public_catalogue",
    "relevance",
    "remove_documents",
    "suggest",
    "visible",
    "word_hits",
    "words_from_the_index",
    "write_documents",
]
