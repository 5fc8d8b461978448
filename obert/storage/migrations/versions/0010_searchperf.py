"""Search at scale: PostgreSQL's tsvectors move to a narrow table of their own, and the index gets a
version that cached browsing answers are kept under.

Additive, like every upgrade (processes of the previous release may still serve while it runs): the old
`search_documents.tsv` column stays, emptied, with its default, and a later release drops it. Until the
previous release's processes are gone, their text searches find nothing new (they read the old column).

Revision ID: 0010_searchperf
Revises: 0009_ckanstd
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0010_searchperf"
down_revision = "0009_ckanstd"
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
    op.execute("UPDATE search_documents SET tsv = DEFAULT")
    # An emptied value leaves its old bytes in the table until it is rewritten; CLUSTER rewrites it
    # (and, unlike VACUUM FULL, may run inside the migration's transaction).
    op.execute("CLUSTER search_documents USING pk_search_documents")
    op.execute("CREATE INDEX ix_search_tsv_tsv ON search_tsv USING GIN (tsv)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("UPDATE search_documents d SET tsv = t.tsv FROM search_tsv t WHERE t.doc_id = d.doc_id")
        op.execute("DROP TABLE search_tsv")
    op.drop_table("search_state")
