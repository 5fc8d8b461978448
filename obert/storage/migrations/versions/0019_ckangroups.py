"""Groups can be deleted (a soft delete, as organisations are): a state column.

Additive, like every upgrade: groups written by the previous release read as active.

Revision ID: 0019_ckangroups
Revises: 0018_jobrequest
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019_ckangroups"
down_revision = "0018_jobrequest"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "groups", sa.Column("state", sa.String(20), nullable=False, server_default="active")
    )


def downgrade() -> None:
    with op.batch_alter_table("groups") as batch:
        batch.drop_column("state")
