"""Table versions of resources: one row per published Parquet file, and which one each resource serves."""

from __future__ import annotations

import sqlalchemy as sa

from obert.storage.tables.base import JSONType, UTCDateTime, metadata

# A row is written only once its Parquet file is complete and fsynced: a file without a row is garbage.
resource_versions = sa.Table(
    "resource_versions",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("resource_id", sa.String(36), sa.ForeignKey("resources.id"), nullable=False),
    sa.Column("number", sa.Integer, nullable=False),  # 1, 2, 3… per resource
    sa.Column("state", sa.String(20), nullable=False),  # ready | superseded
    sa.Column("path", sa.Text, nullable=False),  # relative to the data dir
    sa.Column("source_name", sa.Text),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("byte_size", sa.BigInteger, nullable=False),
    sa.Column("row_count", sa.BigInteger, nullable=False),
    sa.Column("report", JSONType, nullable=False),  # the IngestResult: columns, profile, warnings
    sa.Column("geo", JSONType, nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("created_by", sa.String(100)),
    # The job that made the version: a re-run of the same job finds it instead of adding a second one.
    sa.Column("job_id", sa.String(36), unique=True),
    # The version this one was made from (a transformed copy of a held version, a datastore write); null
    # for versions read from the resource's own file or URL.
    sa.Column("derived_from", sa.String(36)),
    # The Parquet file's own SHA-256 and size (sha256/byte_size describe the source file it was read from).
    sa.Column("file_sha256", sa.String(64)),
    sa.Column("file_bytes", sa.BigInteger),
    # Why the file it was read from is kept from the public while the version itself is published
    # (tableservice.originals); null when it is not. The findings are in the report.
    sa.Column("file_holds", JSONType),
    sa.UniqueConstraint("resource_id", "number", name="uq_resource_versions_resource_id_number"),
)

# Which version each resource serves, and how its latest ingest went.
datastore_tables = sa.Table(
    "datastore_tables",
    metadata,
    sa.Column("resource_id", sa.String(36), sa.ForeignKey("resources.id"), primary_key=True),
    sa.Column("current_version_id", sa.String(36), sa.ForeignKey("resource_versions.id")),
    sa.Column("last_job_id", sa.String(36)),
    sa.Column("last_error", sa.Text),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    # The columns that identify a row, as datastore_create was given them; null or [] means none.
    sa.Column("primary_key", JSONType),
)
