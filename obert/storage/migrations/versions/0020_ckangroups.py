"""Groups can be deleted (a soft delete, as organisations are): a state column.

Additive, like every upgrade: groups written by the previous release read as active.

Revision ID: 0020_ckangroups
Revises: 0019_maps
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020_ckangroups"
down_revision = "0019_maps"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "groups", sa.Column("state", sa.String(20), nullable=False, server_default="active")
    )


def downgrade() -> None:
    with op.batch_alter_table("groups") as batch:
        batch.drop_column("state")
