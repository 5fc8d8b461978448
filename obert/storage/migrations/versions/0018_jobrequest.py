"""A job remembers the request that queued it, so the logs follow one id from the request to its job.

Additive, like every upgrade: jobs queued by the previous release (or by the scheduler) carry none.

Revision ID: 0018_jobrequest
Revises: 0017_hvd
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_jobrequest"
down_revision = "0017_hvd"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("jobs", sa.Column("request_id", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("request_id")
