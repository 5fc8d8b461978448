"""The search index's own vocabulary, for spelling suggestions and a fuzzy fallback (obert.search.spelling).

SQLite: an fts5vocab table over search_fts, which reads the FTS5 index itself (nothing to keep).
PostgreSQL: search_terms, each indexed term with the number of documents that hold it, kept by
obert.search.backends.PostgresTSV as it writes and deletes vectors, with a pg_trgm index for similar
words (pg_trgm is a trusted extension: a database owner may create it).

Revision ID: 0021_find
Revises: 0020_ckangroups
"""

from __future__ import annotations

from alembic import op

revision = "0021_find"
down_revision = "0020_ckangroups"
branch_labels = None
depends_on = None


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("CREATE VIRTUAL TABLE IF NOT EXISTS search_fts_vocab USING fts5vocab(search_fts, 'row')")
    elif dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE TABLE search_terms (term text PRIMARY KEY, docs integer NOT NULL)")
        op.execute("CREATE INDEX ix_search_terms_trgm ON search_terms USING GIN (term gin_trgm_ops)")
        # The vocabulary of what is indexed already (a rebuild would fill it too).
        op.execute(
            "INSERT INTO search_terms (term, docs) "
            "SELECT lexeme, count(*) FROM search_tsv, unnest(tsv) GROUP BY lexeme"
        )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TABLE IF EXISTS search_fts_vocab")
    elif dialect == "postgresql":
        op.execute("DROP TABLE IF EXISTS search_terms")
