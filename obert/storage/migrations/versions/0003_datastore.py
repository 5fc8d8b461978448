"""Table versions of resources and the version each one serves.

Revision ID: 0003_datastore
Revises: 0002_jobs
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003_datastore"
down_revision = "0002_jobs"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "resource_versions",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("resource_id", sa.String(36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("source_name", sa.Text(), nullable=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("byte_size", sa.BigInteger(), nullable=False),
        sa.Column("row_count", sa.BigInteger(), nullable=False),
        sa.Column("report", JSON, nullable=False),
        sa.Column("geo", JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=True),
        sa.Column("job_id", sa.String(36), nullable=True),
        sa.ForeignKeyConstraint(
            ["resource_id"], ["resources.id"], name=op.f("fk_resource_versions_resource_id_resources")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource_versions")),
        sa.UniqueConstraint("job_id", name=op.f("uq_resource_versions_job_id")),
        sa.UniqueConstraint("resource_id", "number", name="uq_resource_versions_resource_id_number"),
    )
    op.create_table(
        "datastore_tables",
        sa.Column("resource_id", sa.String(36), nullable=False),
        sa.Column("current_version_id", sa.String(36), nullable=True),
        sa.Column("last_job_id", sa.String(36), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["resource_id"], ["resources.id"], name=op.f("fk_datastore_tables_resource_id_resources")
        ),
        sa.ForeignKeyConstraint(
            ["current_version_id"],
            ["resource_versions.id"],
            name=op.f("fk_datastore_tables_current_version_id_resource_versions"),
        ),
        sa.PrimaryKeyConstraint("resource_id", name=op.f("pk_datastore_tables")),
    )


def downgrade() -> None:
    op.drop_table("datastore_tables")
    op.drop_table("resource_versions")
