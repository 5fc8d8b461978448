"""Search index: indexed datasets, their facet values, and the backend's full-text structure.

Revision ID: 0005_search
Revises: 0004_harvest
Create Date: 2026-11-27 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_search"
down_revision = "0004_harvest"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "search_documents",
        sa.Column("doc_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("dataset_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("visibility", sa.String(length=10), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=True),
        sa.Column("modified", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("doc_id", name=op.f("pk_search_documents")),
        sa.UniqueConstraint("dataset_id", name=op.f("uq_search_documents_dataset_id")),
    )
    op.create_index(op.f("ix_search_documents_name"), "search_documents", ["name"], unique=False)
    op.create_index(
        op.f("ix_search_documents_organization_id"), "search_documents", ["organization_id"], unique=False
    )
    op.create_index(op.f("ix_search_documents_modified"), "search_documents", ["modified"], unique=False)
    op.create_table(
        "search_facets",
        sa.Column("doc_id", sa.Integer(), nullable=False),
        sa.Column("facet", sa.String(length=20), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(
            ["doc_id"],
            ["search_documents.doc_id"],
            name=op.f("fk_search_facets_doc_id_search_documents"),
        ),
        sa.PrimaryKeyConstraint("doc_id", "facet", "value", "lang", name=op.f("pk_search_facets")),
    )
    op.create_index(
        "ix_search_facets_facet_value", "search_facets", ["facet", "value", "doc_id"], unique=False
    )
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        # The text arrives normalised and stemmed by obert.i18n.text, so the tokenizer must not fold it
        # again; prefix indexes make type-ahead queries cheap.
        op.execute(
            "CREATE VIRTUAL TABLE search_fts USING fts5("
            "title, keywords, description, other, "
            "tokenize = 'unicode61 remove_diacritics 0', prefix = '2 3')"
        )
    elif dialect == "postgresql":
        op.execute("ALTER TABLE search_documents ADD COLUMN tsv tsvector NOT NULL DEFAULT ''")
        op.execute("CREATE INDEX ix_search_documents_tsv ON search_documents USING GIN (tsv)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS search_fts")
    op.drop_index("ix_search_facets_facet_value", table_name="search_facets")
    op.drop_table("search_facets")
    op.drop_index(op.f("ix_search_documents_modified"), table_name="search_documents")
    op.drop_index(op.f("ix_search_documents_organization_id"), table_name="search_documents")
    op.drop_index(op.f("ix_search_documents_name"), table_name="search_documents")
    op.drop_table("search_documents")
