"""A publisher may say which columns place a table's rows on a map, and in which reference system.

Additive: a resource without a row is placed by its columns' names and values, as before.

Revision ID: 0019_maps
Revises: 0018_jobrequest
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019_maps"
down_revision = "0018_jobrequest"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "map_positions",
        sa.Column("resource_id", sa.String(36), sa.ForeignKey("resources.id"), primary_key=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("first", sa.String(200), nullable=False),
        sa.Column("second", sa.String(200)),
        sa.Column("epsg", sa.Integer),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(36)),
    )


def downgrade() -> None:
    op.drop_table("map_positions")
