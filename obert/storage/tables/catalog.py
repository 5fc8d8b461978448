"""Tables of the catalogue, accounts and the activity log."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from obert.storage.tables.base import JSONType, UTCDateTime, metadata


def _id() -> sa.Column[str]:
    return sa.Column("id", sa.String(36), primary_key=True)


def _stamps() -> list[sa.Column[datetime]]:
    return [
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    ]


organizations = sa.Table(
    "organizations",
    metadata,
    _id(),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    sa.Column("state", sa.String(20), nullable=False, default="active"),
    sa.Column("title", JSONType, nullable=False),
    sa.Column("description", JSONType, nullable=False),
    sa.Column("homepage", sa.Text),
    sa.Column("email", sa.Text),
    sa.Column("identifier", sa.Text),
    sa.Column("image_url", sa.Text),
    *_stamps(),
)

_LISTED = ("updated_at", "created_at", "name")  # the listings' orders, beside what visibility reads
_PUBLIC = sa.text("state = 'published' AND visibility = 'public'")
datasets = sa.Table(
    "datasets",
    metadata,
    _id(),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("visibility", sa.String(10), nullable=False),
    sa.Column("organization_id", sa.String(36), sa.ForeignKey("organizations.id"), index=True),
    # Every DCAT-AP field that is not a simple value is kept as the JSON of its validated input model.
    sa.Column("title", JSONType, nullable=False),
    sa.Column("description", JSONType, nullable=False),
    sa.Column("keywords", JSONType, nullable=False),
    sa.Column("themes", JSONType, nullable=False),
    sa.Column("sectors", JSONType, nullable=False),
    sa.Column("license", sa.String(100)),
    sa.Column("access_rights", sa.String(50)),
    sa.Column("frequency", sa.String(50)),
    sa.Column("temporal", JSONType),
    sa.Column("spatial", JSONType),
    sa.Column("languages", JSONType, nullable=False),
    sa.Column("issued", sa.String(32)),
    sa.Column("modified", sa.String(32)),
    sa.Column("landing_page", sa.Text),
    sa.Column("contact_point", JSONType),
    sa.Column("conforms_to", JSONType, nullable=False),
    sa.Column("hvd_categories", JSONType, nullable=False, server_default="[]"),
    sa.Column("version", sa.String(100)),
    sa.Column("version_notes", JSONType, nullable=False),
    sa.Column("provenance", JSONType, nullable=False),
    sa.Column("extras", JSONType, nullable=False),
    sa.Column("created_by", sa.String(36)),
    *_stamps(),
    sa.Index("ix_datasets_updated_at", "updated_at"),
    # The public datasets in the orders CKAN's package_list and current_package_list_with_resources page
    # them (0024): a page at any offset is read from the index alone, not from the rows it skips.
    sa.Index("ix_datasets_public_name", "name", postgresql_where=_PUBLIC, sqlite_where=_PUBLIC),
    sa.Index(
        "ix_datasets_public_modified", "updated_at", "name", postgresql_where=_PUBLIC, sqlite_where=_PUBLIC
    ),
    # What a listing reads of each dataset its words matched, found by id (migration 0022).
    sa.Index("ix_datasets_listing", "id", "state", "visibility", "organization_id", *_LISTED),
)

resources = sa.Table(
    "resources",
    metadata,
    _id(),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    sa.Column("dataset_id", sa.String(36), sa.ForeignKey("datasets.id"), nullable=False, index=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("state", sa.String(20), nullable=False, default="active"),
    sa.Column("title", JSONType, nullable=False),
    sa.Column("description", JSONType, nullable=False),
    sa.Column("format", sa.String(50)),
    sa.Column("media_type", sa.String(200)),
    sa.Column("access_url", sa.Text),
    sa.Column("download_url", sa.Text),
    sa.Column("upload", sa.Text),  # file name of an uploaded file kept under the data dir
    sa.Column("byte_size", sa.BigInteger),
    sa.Column("checksum", sa.String(100)),
    sa.Column("license", sa.String(100)),
    sa.Column("language", JSONType, nullable=False),
    sa.Column("conforms_to", JSONType, nullable=False),
    sa.Column("issued", sa.String(32)),
    sa.Column("modified", sa.String(32)),
    *_stamps(),
)

groups = sa.Table(
    "groups",
    metadata,
    _id(),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    sa.Column("state", sa.String(20), nullable=False, default="active", server_default="active"),
    sa.Column("title", JSONType, nullable=False),
    sa.Column("description", JSONType, nullable=False),
    sa.Column("image_url", sa.Text),
    *_stamps(),
)

dataset_groups = sa.Table(
    "dataset_groups",
    metadata,
    sa.Column("dataset_id", sa.String(36), sa.ForeignKey("datasets.id"), primary_key=True),
    sa.Column("group_id", sa.String(36), sa.ForeignKey("groups.id"), primary_key=True),
)

users = sa.Table(
    "users",
    metadata,
    _id(),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    sa.Column("email", sa.Text),
    sa.Column("fullname", sa.Text),
    sa.Column("password_hash", sa.Text),
    sa.Column("sysadmin", sa.Boolean, nullable=False, default=False),
    sa.Column("state", sa.String(20), nullable=False, default="active"),
    *_stamps(),
)

memberships = sa.Table(
    "memberships",
    metadata,
    sa.Column("user_id", sa.String(36), sa.ForeignKey("users.id"), primary_key=True),
    sa.Column("organization_id", sa.String(36), sa.ForeignKey("organizations.id"), primary_key=True),
    sa.Column("role", sa.String(20), nullable=False),
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    _id(),
    sa.Column("user_id", sa.String(36), sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("scope", sa.String(10), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("expires_at", UTCDateTime()),
    sa.Column("last_used_at", UTCDateTime()),
    sa.Column("revoked_at", UTCDateTime()),
)

# Append-only: one row per write, with the object's state before and after.
activity = sa.Table(
    "activity",
    metadata,
    sa.Column(
        "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
    ),
    sa.Column("at", UTCDateTime(), nullable=False, index=True),
    sa.Column("actor_id", sa.String(36)),
    sa.Column("action", sa.String(50), nullable=False),
    sa.Column("object_type", sa.String(30), nullable=False),
    sa.Column("object_id", sa.String(36), nullable=False, index=True),
    sa.Column("before", JSONType),
    sa.Column("after", JSONType),
)
