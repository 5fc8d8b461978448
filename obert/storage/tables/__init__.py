"""The SQL schema, one module per concern, all on one MetaData.

Alembic migrations in `storage/migrations/` are the authority on what a database holds; these modules are
what the code expects to find, and a test checks that the two agree. A new concern gets its own module
here, imported below so that `metadata` knows every table.
"""

from obert.storage.tables import (
    accounts,
    catalog,
    datastore,
    harvest,
    jobs,
    map_positions,
    search,
    small_counts,
    transparency,
)
from obert.storage.tables.base import metadata

__all__ = [
    "accounts",
    "catalog",
    "datastore",
    "harvest",
    "jobs",
    "map_positions",
    "metadata",
    "search",
    "small_counts",
    "transparency",
]
