"""The job queue: one row per job, held by a worker through a lease."""

from __future__ import annotations

import sqlalchemy as sa

from obert.storage.tables.base import JSONType, UTCDateTime, metadata

ACTIVE_STATES = ("queued", "running")

jobs = sa.Table(
    "jobs",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("kind", sa.String(50), nullable=False),
    sa.Column("payload", JSONType, nullable=False),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("max_attempts", sa.Integer, nullable=False),
    sa.Column("run_after", UTCDateTime(), nullable=False),
    sa.Column("lease_owner", sa.String(100)),
    sa.Column("lease_expires", UTCDateTime()),
    # Jobs sharing a key never run side by side (two harvests of one source, two ingests of one resource).
    sa.Column("dedupe_key", sa.String(200)),
    sa.Column("progress", JSONType),
    sa.Column("result", JSONType),
    sa.Column("error", sa.Text),
    # The error as a message id and its parameters (obert.errors.message_record), to give in each
    # reader's language; `error` is its English (0026).
    sa.Column("error_message", JSONType),
    sa.Column("created_by", sa.String(36)),
    sa.Column("request_id", sa.String(64)),  # the request that queued it, for the logs
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Column("finished_at", UTCDateTime()),
    sa.Index("ix_jobs_claim", "state", "run_after"),
    sa.Index(
        "uq_jobs_active_dedupe_key",
        "dedupe_key",
        unique=True,
        sqlite_where=sa.text("state IN ('queued', 'running') AND dedupe_key IS NOT NULL"),
        postgresql_where=sa.text("state IN ('queued', 'running') AND dedupe_key IS NOT NULL"),
    ),
)

# One row per periodic task: when it last enqueued its work. The row lock makes one process tick it.
schedules = sa.Table(
    "schedules",
    metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("last_run_at", UTCDateTime(), nullable=False),
)
