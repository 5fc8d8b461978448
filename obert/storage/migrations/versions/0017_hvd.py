"""A dataset says which EU high-value dataset categories it belongs to (none: not a High-Value Dataset).

Additive, like every upgrade: rows written by the previous release read as no category.

Revision ID: 0017_hvd
Revises: 0016_filehash
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0017_hvd"
down_revision = "0016_filehash"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "datasets",
        sa.Column(
            "hvd_categories",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=False,
            server_default="[]",
        ),
    )


def downgrade() -> None:
    with op.batch_alter_table("datasets") as batch:
        batch.drop_column("hvd_categories")
