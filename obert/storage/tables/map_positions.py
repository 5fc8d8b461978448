"""A publisher's choice of where a table's rows are: which columns hold positions, and in which system."""

from __future__ import annotations

import sqlalchemy as sa

from obert.storage.tables.base import UTCDateTime, metadata

# One row per resource whose publisher chose; a resource without a row is placed by what its columns
# are called and hold. The choice names columns, so it outlives versions that keep them.
map_positions = sa.Table(
    "map_positions",
    metadata,
    sa.Column("resource_id", sa.String(36), sa.ForeignKey("resources.id"), primary_key=True),
    sa.Column("kind", sa.String(10), nullable=False),  # "lonlat", "utm" or "wkt"
    sa.Column("first", sa.String(200), nullable=False),  # longitude, x or the WKT column
    sa.Column("second", sa.String(200)),  # latitude or y
    sa.Column("epsg", sa.Integer),  # of UTM x/y
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Column("updated_by", sa.String(36)),
)
