"""A job's error kept as a message id and its parameters (obert.errors.message_record) beside its English
text, so the publisher's pages say why a file could not be read in the reader's language: one nullable
JSON column (jobs failed before it show their English).

Revision ID: 0026_jobmsg
Revises: 0025_pg1m3
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

_JSON = sa.JSON().with_variant(JSONB(), "postgresql")

revision = "0026_jobmsg"
down_revision = "0025_pg1m3"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("jobs", sa.Column("error_message", _JSON))


def downgrade() -> None:
    op.drop_column("jobs", "error_message")
