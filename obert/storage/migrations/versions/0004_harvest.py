"""Harvest sources, runs, per-item reports and the dataset-to-source links.

Revision ID: 0004_harvest
Revises: 0003_datastore
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004_harvest"
down_revision = "0003_datastore"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "harvest_sources",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("organization_id", sa.String(36), nullable=True),
        sa.Column("config", JSON, nullable=False),
        sa.Column("every_seconds", sa.Integer(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("auto_ingest", sa.Boolean(), nullable=False),
        sa.Column("cursor", sa.Text(), nullable=True),
        sa.Column("last_run_at", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organizations.id"],
            name=op.f("fk_harvest_sources_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_harvest_sources")),
        sa.UniqueConstraint("name", name=op.f("uq_harvest_sources_name")),
    )
    op.create_index(
        "ix_harvest_sources_organization_id", "harvest_sources", ["organization_id"]
    )
    op.create_table(
        "harvest_runs",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("source_id", sa.String(36), nullable=False),
        sa.Column("job_id", sa.String(36), nullable=True),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("counts", JSON, nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("finished_at", TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["source_id"], ["harvest_sources.id"], name=op.f("fk_harvest_runs_source_id_harvest_sources")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_harvest_runs")),
    )
    op.create_index("ix_harvest_runs_source_started", "harvest_runs", ["source_id", "started_at"])
    op.create_table(
        "harvest_items",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("run_id", sa.String(36), nullable=False),
        sa.Column("remote_id", sa.Text(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("dataset_id", sa.String(36), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["harvest_runs.id"], name=op.f("fk_harvest_items_run_id_harvest_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_harvest_items")),
    )
    op.create_index("ix_harvest_items_run_id", "harvest_items", ["run_id"])
    op.create_table(
        "dataset_sources",
        sa.Column("source_id", sa.String(36), nullable=False),
        sa.Column("remote_id", sa.String(500), nullable=False),
        sa.Column("dataset_id", sa.String(36), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("identifier", sa.Text(), nullable=True),
        sa.Column("owner", sa.Boolean(), nullable=False),
        sa.Column("gone", sa.Boolean(), nullable=False),
        sa.Column("first_seen", TS, nullable=False),
        sa.Column("last_seen", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"], ["datasets.id"], name=op.f("fk_dataset_sources_dataset_id_datasets")
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["harvest_sources.id"], name=op.f("fk_dataset_sources_source_id_harvest_sources")
        ),
        sa.PrimaryKeyConstraint("source_id", "remote_id", name=op.f("pk_dataset_sources")),
    )
    op.create_index("ix_dataset_sources_dataset_id", "dataset_sources", ["dataset_id"])


def downgrade() -> None:
    op.drop_index("ix_dataset_sources_dataset_id", table_name="dataset_sources")
    op.drop_table("dataset_sources")
    op.drop_index("ix_harvest_items_run_id", table_name="harvest_items")
    op.drop_table("harvest_items")
    op.drop_index("ix_harvest_runs_source_started", table_name="harvest_runs")
    op.drop_table("harvest_runs")
    op.drop_index("ix_harvest_sources_organization_id", table_name="harvest_sources")
    op.drop_table("harvest_sources")
