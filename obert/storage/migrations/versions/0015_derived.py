"""A table version says which version it was derived from: a transformed copy of a held version, or a
datastore write over the version before it. Versions read from the resource's own file or URL leave it
null, which is how the table service tells which versions speak for the original file.

Additive, like every upgrade: the previous release writes no value, which reads as "from the file".

Revision ID: 0015_derived
Revises: 0014_searchplans
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_derived"
down_revision = "0014_searchplans"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("resource_versions", sa.Column("derived_from", sa.String(36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("resource_versions") as batch:
        batch.drop_column("derived_from")
