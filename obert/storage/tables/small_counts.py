"""Small-count protection: which resources hold statistics about people, and how they are protected."""

from __future__ import annotations

import sqlalchemy as sa

from obert.storage.tables.base import JSONType, UTCDateTime, metadata

# One row per protected resource; a resource without a row is published as it is.
small_count_rules = sa.Table(
    "small_count_rules",
    metadata,
    sa.Column("resource_id", sa.String(36), sa.ForeignKey("resources.id"), primary_key=True),
    sa.Column("min_count", sa.Integer, nullable=False),
    sa.Column("count_columns", JSONType, nullable=False),  # list of column names holding counts of people
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Column("updated_by", sa.String(36)),
)
