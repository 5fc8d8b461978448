"""A table version records the SHA-256 and size of its own Parquet file (the source file's are in `sha256`
and `byte_size`), computed when the file is written, so Croissant and Data Package descriptions can give
a checksum of the file they point at without reading it.

Additive: versions written before this revision leave them null and are hashed the first time a
description needs them (obert.tableservice.version_file).

Revision ID: 0016_filehash
Revises: 0015_derived
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_filehash"
down_revision = "0015_derived"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("resource_versions", sa.Column("file_sha256", sa.String(64), nullable=True))
    op.add_column("resource_versions", sa.Column("file_bytes", sa.BigInteger, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("resource_versions") as batch:
        batch.drop_column("file_bytes")
        batch.drop_column("file_sha256")
