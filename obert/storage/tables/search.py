"""Tables of the search index: one row per indexed dataset, its facet values, and the index's version.

The full-text part is backend-specific and created by the migration only (an FTS5 virtual table on
SQLite, a narrow table of tsvectors with a GIN index on PostgreSQL); `BACKEND_SPECIFIC` names those
objects so the schema check can leave them out. Everything here is derived from the catalogue and can be
rebuilt.
"""

from __future__ import annotations

import sqlalchemy as sa

from obert.storage.tables.base import UTCDateTime, metadata

FTS_TABLE = "search_fts"  # SQLite: fts5(title, keywords, description, other), rowid = doc_id
# PostgreSQL: TSV_TABLE (doc_id, tsv), the weighted tsvector of the same four fields. Kept out of
# search_documents so that counting, filtering and ordering read narrow rows, not kilobytes of vectors.
TSV_TABLE = "search_tsv"
TSV_COLUMN = "tsv"
TSV_INDEX = "ix_search_tsv_tsv"
# 0005 kept the vectors on search_documents (column `tsv`, GIN index below); 0010 emptied that column and
# left it for old processes during the upgrade. A later release drops both.
LEGACY_TSV_INDEX = "ix_search_documents_tsv"
BACKEND_SPECIFIC = frozenset({FTS_TABLE, TSV_TABLE, TSV_INDEX, TSV_COLUMN, LEGACY_TSV_INDEX})


def is_backend_specific(name: str | None) -> bool:
    """True for the search objects only one backend has (FTS5 also makes `search_fts_*` shadow tables)."""
    return name is not None and (name in BACKEND_SPECIFIC or name.startswith(f"{FTS_TABLE}_"))


search_documents = sa.Table(
    "search_documents",
    metadata,
    # An integer key: FTS5 rows are addressed by rowid, and facet joins on integers are cheaper.
    sa.Column("doc_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("dataset_id", sa.String(36), nullable=False, unique=True),
    sa.Column("name", sa.String(100), nullable=False, index=True),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("visibility", sa.String(10), nullable=False),
    sa.Column("organization_id", sa.String(36), index=True),
    sa.Column("modified", UTCDateTime(), nullable=False, index=True),
)

search_facets = sa.Table(
    "search_facets",
    metadata,
    sa.Column("doc_id", sa.Integer, sa.ForeignKey("search_documents.doc_id"), primary_key=True),
    sa.Column("facet", sa.String(20), primary_key=True),
    sa.Column("value", sa.String(200), primary_key=True),
    sa.Column("lang", sa.String(8), primary_key=True),  # "" except for keywords, which are per language
    sa.Index("ix_search_facets_facet_value", "facet", "value", "doc_id"),
)

# One row (id 1) whose version changes with every change of the index, in the same transaction: answers
# cached under a version (obert.search.cache) are right for as long as it stays the same.
search_state = sa.Table(
    "search_state",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("version", sa.String(32), nullable=False),
)
