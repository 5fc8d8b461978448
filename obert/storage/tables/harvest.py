"""Harvest sources, their runs with a report per item, and the link from each dataset to its sources."""

from __future__ import annotations

import sqlalchemy as sa

from obert.storage.tables.base import JSONType, UTCDateTime, metadata

harvest_sources = sa.Table(
    "harvest_sources",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("type", sa.String(20), nullable=False),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("organization_id", sa.String(36), sa.ForeignKey("organizations.id"), index=True),
    sa.Column("config", JSONType, nullable=False),
    sa.Column("every_seconds", sa.Integer),  # null: only run by hand
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("auto_ingest", sa.Boolean, nullable=False),
    # Where the last successful run got to, so an incremental backend asks only for what changed since.
    sa.Column("cursor", sa.Text),
    sa.Column("last_run_at", UTCDateTime()),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
)

harvest_runs = sa.Table(
    "harvest_runs",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("source_id", sa.String(36), sa.ForeignKey("harvest_sources.id"), nullable=False),
    sa.Column("job_id", sa.String(36)),
    sa.Column("dry_run", sa.Boolean, nullable=False),
    sa.Column("state", sa.String(20), nullable=False),  # running, done, failed
    sa.Column("counts", JSONType, nullable=False),
    sa.Column("error", sa.Text),
    # The error as a message id and its parameters (obert.errors.message_record), to give in each
    # reader's language; `error` is its English (0023).
    sa.Column("error_message", JSONType),
    sa.Column("started_at", UTCDateTime(), nullable=False),
    sa.Column("finished_at", UTCDateTime()),
    sa.Index("ix_harvest_runs_source_started", "source_id", "started_at"),
)

harvest_items = sa.Table(
    "harvest_items",
    metadata,
    sa.Column(
        "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
    ),
    sa.Column("run_id", sa.String(36), sa.ForeignKey("harvest_runs.id"), nullable=False, index=True),
    sa.Column("remote_id", sa.Text, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("dataset_id", sa.String(36)),
    sa.Column("title", sa.Text),
    sa.Column("reason", sa.Text),
    sa.Column("reason_message", JSONType),  # as harvest_runs.error_message (0023)
)

# Which source a dataset came from under which remote id, with the hash of what was last written.
dataset_sources = sa.Table(
    "dataset_sources",
    metadata,
    sa.Column("source_id", sa.String(36), sa.ForeignKey("harvest_sources.id"), primary_key=True),
    sa.Column("remote_id", sa.String(500), primary_key=True),
    sa.Column("dataset_id", sa.String(36), sa.ForeignKey("datasets.id"), nullable=False, index=True),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Column("identifier", sa.Text),  # dct:identifier or remote URL: how another source may name it too
    # The source that created the dataset writes its metadata; a source that found it already there
    # only links to it, so two sources never overwrite each other's version back and forth.
    sa.Column("owner", sa.Boolean, nullable=False),
    sa.Column("gone", sa.Boolean, nullable=False),  # missing from the source at its last full run
    sa.Column("first_seen", UTCDateTime(), nullable=False),
    sa.Column("last_seen", UTCDateTime(), nullable=False),
)
