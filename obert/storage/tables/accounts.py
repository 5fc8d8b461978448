"""Tables of sign-in sessions and of per-organisation publishing rules."""

from __future__ import annotations

import sqlalchemy as sa

from obert.storage.tables.base import UTCDateTime, metadata

# A browser session: only the SHA-256 of its 256-bit id is kept, so a stolen table opens no session.
sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("id_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.String(36), sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("expires_at", UTCDateTime(), nullable=False),
    sa.Column("revoked_at", UTCDateTime()),
)

organization_policies = sa.Table(
    "organization_policies",
    metadata,
    sa.Column("organization_id", sa.String(36), sa.ForeignKey("organizations.id"), primary_key=True),
    # None follows the site-wide setting; True/False overrides it for this organisation.
    sa.Column("review_required", sa.Boolean),
)
