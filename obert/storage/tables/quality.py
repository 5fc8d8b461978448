"""Results of link checks: the status each external URL last answered with, read by the quality score."""

from __future__ import annotations

import sqlalchemy as sa

from obert.storage.tables.base import UTCDateTime, metadata

link_checks = sa.Table(
    "link_checks",
    metadata,
    # URLs can be longer than an index allows: the key is the SHA-256 of the URL.
    sa.Column("url_hash", sa.String(64), primary_key=True),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("status", sa.Integer),  # null when the URL did not answer at all
    sa.Column("error", sa.Text),
    sa.Column("checked_at", UTCDateTime(), nullable=False),
)
