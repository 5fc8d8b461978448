"""Why the file a published version was read from is kept from the public (personal data in parts of it
the table does not hold: another sheet, rows left out): one nullable JSON column on resource_versions, read
with every download link, so that the reasons are not dug out of each version's whole report. Versions
read before the check existed have none.

Revision ID: 0028_fileholds
Revises: 0027_pg1m4
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

_JSON = sa.JSON().with_variant(JSONB(), "postgresql")

revision = "0028_fileholds"
down_revision = "0027_pg1m4"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("resource_versions", sa.Column("file_holds", _JSON))


def downgrade() -> None:
    op.drop_column("resource_versions", "file_holds")
