"""Small-count protection of statistics about people.

Revision ID: 0008_small_counts
Revises: 0007_accounts
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008_small_counts"
down_revision = "0007_accounts"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "small_count_rules",
        sa.Column("resource_id", sa.String(36), nullable=False),
        sa.Column("min_count", sa.Integer(), nullable=False),
        sa.Column("count_columns", JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(36), nullable=True),
        sa.ForeignKeyConstraint(
            ["resource_id"], ["resources.id"], name=op.f("fk_small_count_rules_resource_id_resources")
        ),
        sa.PrimaryKeyConstraint("resource_id", name=op.f("pk_small_count_rules")),
    )


def downgrade() -> None:
    op.drop_table("small_count_rules")
