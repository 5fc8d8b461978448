"""Search at scale: PostgreSQL's tsvectors move to a narrow table of their own, and the index gets a
version that cached browsing answers are kept under.

Revision ID: 0009_searchperf
Revises: 0008_small_counts
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0009_searchperf"
down_revision = "0008_small_counts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    state = op.create_table(
        "search_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_state")),
    )
    op.bulk_insert(state, [{"id": 1, "version": uuid.uuid4().hex}])
    if op.get_bind().dialect.name != "postgresql":
        return
    # The vectors move as they are: nothing is re-analysed, and the index answers the same afterwards.
    # A vector goes with its document, however the document is deleted.
    op.execute(
        "CREATE TABLE search_tsv ("
        "doc_id integer PRIMARY KEY REFERENCES search_documents (doc_id) ON DELETE CASCADE, "
        "tsv tsvector NOT NULL)"
    )
    op.execute("INSERT INTO search_tsv (doc_id, tsv) SELECT doc_id, tsv FROM search_documents")
    op.execute("DROP INDEX ix_search_documents_tsv")
    op.execute("ALTER TABLE search_documents DROP COLUMN tsv")
    # Dropping a column leaves its bytes in every row until the table is rewritten; CLUSTER rewrites it
    # (and, unlike VACUUM FULL, may run inside the migration's transaction).
    op.execute("CLUSTER search_documents USING pk_search_documents")
    op.execute("CREATE INDEX ix_search_tsv_tsv ON search_tsv USING GIN (tsv)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE search_documents ADD COLUMN tsv tsvector NOT NULL DEFAULT ''")
        op.execute("UPDATE search_documents d SET tsv = t.tsv FROM search_tsv t WHERE t.doc_id = d.doc_id")
        op.execute("DROP TABLE search_tsv")
        op.execute("CREATE INDEX ix_search_documents_tsv ON search_documents USING GIN (tsv)")
    op.drop_table("search_state")
