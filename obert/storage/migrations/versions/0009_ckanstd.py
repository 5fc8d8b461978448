"""A datastore table's primary key, for CKAN's datastore_upsert (upsert and update).

Revision ID: 0009_ckanstd
Revises: 0008_small_counts
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009_ckanstd"
down_revision = "0008_small_counts"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.add_column("datastore_tables", sa.Column("primary_key", JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("datastore_tables") as batch:
        batch.drop_column("primary_key")
