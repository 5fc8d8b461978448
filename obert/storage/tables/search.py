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
# PostgreSQL: TSV_TABLE (doc_id, tsv, state, visibility, organization_id, modified, facet_ids), the
# weighted tsvector of the same four fields, kept out of line (TOAST), with copies of what a search reads
# of each match (0012): matches are found, counted and faceted from these narrow rows alone, and only the
# few that are ranked have their vectors read (see obert.search.backends).
TSV_TABLE = "search_tsv"
TSV_COLUMN = "tsv"
# The A and B positions of TSV_COLUMN (title and keywords), kept in the row (0025): the type-ahead's test
# and rank, without reading the whole vector.
TITLES_COLUMN = "titles"
# The ids of the document's keywords counted once whatever their languages (language ANY_LANGUAGE, CKAN's
# `tags`), in the row (0027): a listing with words counts them from its matches' rows, as it counts the
# other facets from `facet_ids`, without looking up each match's value rows. NULL on a row written by a
# process of an earlier release (read from search_doc_values instead).
KEYWORD_IDS_COLUMN = "keyword_ids"
TSV_INDEX = "ix_search_tsv_tsv"
# The published public rows, newest first (0024): the most recent matches of a common word or prefix (a
# search's ranked window, the type-ahead's) are found by walking it, not by reading every match.
TSV_RECENT_INDEX = "ix_search_tsv_recent"
# 0005 kept the vectors on search_documents (column `tsv`, GIN index below); 0010 emptied that column and
# left it for old processes during the upgrade. A later release drops both.
LEGACY_TSV_INDEX = "ix_search_documents_tsv"
# PostgreSQL: (word, modified, doc_id) for each distinct word of the title and keywords of every published
# public row of TSV_TABLE, with an index by (word, modified DESC, doc_id) (0029): the type-ahead's newest
# documents with a word starting like what was typed, read from the index alone.
TITLE_WORDS_TABLE = "search_title_words"
TITLE_WORDS_INDEX = "ix_search_title_words"
# SQLite: search_documents.facet_ids (0013), the ids of the document's facet values, in decimal,
# space-separated, kept by a trigger on search_doc_values: what search_tsv.facet_ids is on PostgreSQL
# (keywords included here), on the row a SQLite match reaches (by rowid).
FACET_IDS_COLUMN = "facet_ids"
# The index's vocabulary, for spelling suggestions: a table of (term, docs) on both engines, kept as the
# index is written, with an index of similar words: pg_trgm's on PostgreSQL (0021), an FTS5 trigram table
# over it on SQLite (0023, filled by a trigger). SQLite's fts5vocab over FTS_TABLE (0021) is what 0023 read.
VOCAB_TABLE = "search_fts_vocab"
TERMS_TABLE = "search_terms"
TERMS_INDEX = "ix_search_terms_trgm"
TERMS_TRIGRAMS = "search_terms_trigrams"
BACKEND_SPECIFIC = frozenset(
    {
        FTS_TABLE,
        TSV_TABLE,
        TSV_INDEX,
        TSV_RECENT_INDEX,
        TSV_COLUMN,
        TITLES_COLUMN,
        KEYWORD_IDS_COLUMN,
        LEGACY_TSV_INDEX,
        TITLE_WORDS_TABLE,
        TITLE_WORDS_INDEX,
        FACET_IDS_COLUMN,
        TERMS_TABLE,
        TERMS_INDEX,
        TERMS_TRIGRAMS,
    }
)


def is_backend_specific(name: str | None) -> bool:
    """True for the search objects only one backend has (FTS5 also makes `search_fts_*` shadow tables)."""
    return name is not None and (
        name in BACKEND_SPECIFIC or name.startswith((f"{FTS_TABLE}_", f"{TERMS_TRIGRAMS}_"))
    )


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

# The facet values again, as integers (0011): a dictionary of every (facet, value, lang) ever indexed,
# and one narrow row per document and value, so that counting the values of a few thousand matches
# reads a few bytes per value and groups integers; names are joined back for the counted values only.
# A value's id carries its facet's code in its high bits (code << CODE_SHIFT), so a document's values
# are stored facet by facet and counting four facets reads one contiguous range of each document's
# rows, skipping its keywords. search_facets stays (listing pages and older processes read it, and it is
# what the index writes): a trigger on it fills these tables, whichever release writes, and a document's
# rows go with it (ON DELETE CASCADE). The codes are copied into migration 0011, which must not change.
CODE_SHIFT = 32
FACET_CODES = {
    "publisher": 1,
    "theme": 2,
    "format": 3,
    "licence": 4,
    "sector": 5,
    "language": 6,
    "has_api": 7,
    # 8: any other facet (they share the code; the dictionary tells them apart)
    "keyword": 9,
}
OTHER_FACET_CODE = 8


def facet_code(facet: str) -> int:
    return FACET_CODES.get(facet, OTHER_FACET_CODE)


_ValueId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite's INTEGER is 64-bit already

search_values = sa.Table(
    "search_values",
    metadata,
    sa.Column("value_id", _ValueId, primary_key=True, autoincrement=False),
    sa.Column("facet", sa.String(20), nullable=False),
    sa.Column("value", sa.String(200), nullable=False),
    sa.Column("lang", sa.String(8), nullable=False),
    sa.UniqueConstraint("facet", "value", "lang"),
)

search_doc_values = sa.Table(
    "search_doc_values",
    metadata,
    sa.Column(
        "doc_id",
        sa.Integer,
        sa.ForeignKey("search_documents.doc_id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    sa.Column("value_id", _ValueId, primary_key=True, autoincrement=False),
    sqlite_with_rowid=False,
)

# Facet counts of the whole catalogue, kept exact by the index's writes in their own transactions
# (obert.search.counts, migration 0024): for every value id, how many documents have it, and for every pair
# of a filter value (a value id below the keywords', or 0 for no filter) and a value below the keywords',
# how many have both; value id 0 counts the documents themselves. `public` counts the published public
# documents (what anybody may see), `live` every one not deleted (what an administrator sees): browsing
# without words and with at most one filter value reads its counts here instead of counting every match.
search_counts = sa.Table(
    "search_counts",
    metadata,
    sa.Column("filter_id", _ValueId, primary_key=True, autoincrement=False),
    sa.Column("value_id", _ValueId, primary_key=True, autoincrement=False),
    sa.Column("public", sa.Integer, nullable=False),
    sa.Column("live", sa.Integer, nullable=False),
    sqlite_with_rowid=False,
)

# One row (id 1) whose version changes with every change of the index, in the same transaction: answers
# cached under a version (obert.search.cache) are right for as long as it stays the same.
search_state = sa.Table(
    "search_state",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("version", sa.String(32), nullable=False),
    # The version at which search_counts last agreed with the index (0024): every writer of this release
    # moves it with the version; a writer that does not keep the counts (a process of an earlier release,
    # during an upgrade) leaves it behind, and the counts are then not read until they are made again
    # (`obert reindex`): see obert.search.counts.valid.
    sa.Column("counted", sa.String(32), nullable=True),
)
