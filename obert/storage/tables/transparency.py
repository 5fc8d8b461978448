"""Tables of transparency and change: event cursors, webhook subscriptions and deliveries, usage counts
and link checks. All of it is derived from the catalogue or counted, never the truth about a dataset."""

from __future__ import annotations

import sqlalchemy as sa

from obert.storage.tables.base import JSONType, UTCDateTime, metadata

# How far a consumer of the activity log has read (the webhook dispatcher keeps one row).
event_cursors = sa.Table(
    "event_cursors",
    metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("position", sa.BigInteger, nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
)

subscriptions = sa.Table(
    "subscriptions",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("owner_id", sa.String(36), sa.ForeignKey("users.id"), nullable=False, index=True),
    # dataset | organization | search; `target` is the dataset or organisation id, or the saved search.
    sa.Column("target_type", sa.String(20), nullable=False),
    sa.Column("target", JSONType, nullable=False),
    sa.Column("url", sa.Text, nullable=False),
    # Kept readable because every delivery is signed with it; shown to the owner only once.
    sa.Column("secret", sa.String(100), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("disabled_reason", sa.Text),
    sa.Column("consecutive_failures", sa.Integer, nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
)

webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column(
        "subscription_id",
        sa.String(36),
        sa.ForeignKey("subscriptions.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("activity_id", sa.BigInteger, nullable=False),
    sa.Column("event_type", sa.String(50), nullable=False),
    sa.Column("payload", JSONType, nullable=False),
    sa.Column("state", sa.String(20), nullable=False),  # pending | delivered | failed | skipped
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("last_status", sa.Integer),
    sa.Column("last_error", sa.Text),
    sa.Column("last_duration_ms", sa.Integer),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("last_attempt_at", UTCDateTime()),
    sa.Column("delivered_at", UTCDateTime()),
    # One delivery per event and subscription, however often the dispatcher sees the event.
    sa.UniqueConstraint("subscription_id", "activity_id", name="uq_webhook_deliveries_event"),
    sa.Index("ix_webhook_deliveries_log", "subscription_id", "created_at"),
)

# Counts only: no address, user agent, cookie or any other per-person value is ever kept.
usage_daily = sa.Table(
    "usage_daily",
    metadata,
    sa.Column("dataset_id", sa.String(36), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("kind", sa.String(20), primary_key=True),  # view | download | api | bot
    sa.Column("count", sa.BigInteger, nullable=False),
    sa.Index("ix_usage_daily_day", "day"),
)

# The latest check of each external URL (keyed by its SHA-256, as URLs can be longer than an index allows).
link_checks = sa.Table(
    "link_checks",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("ok", sa.Boolean, nullable=False),
    sa.Column("status", sa.Integer),
    sa.Column("final_url", sa.Text),
    sa.Column("content_type", sa.String(200)),
    sa.Column("content_length", sa.BigInteger),
    sa.Column("latency_ms", sa.Integer),
    sa.Column("error", sa.Text),
    sa.Column("checked_at", UTCDateTime(), nullable=False),
    sa.Column("failing_since", UTCDateTime()),
)
