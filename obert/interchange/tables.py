"""The published tables of a dataset, as one caller may read them: what Data Package and Croissant
descriptions are built from.

Every table is opened through the table service (visibility, holds and small-count protection applied);
a resource without a table this caller may read is left out.
"""

from __future__ import annotations

from dataclasses import dataclass

from obert.auth import Actor
from obert.catalog import datasets
from obert.catalog.models import Dataset, Resource
from obert.errors import NotFound
from obert.storage import Store
from obert.storage.tablestore import TableStore
from obert.tableservice.published import TableRef, open_version
from obert.tableservice.versions import primary_keys


@dataclass(frozen=True, slots=True)
class PublishedTable:
    resource: Resource
    table: TableRef
    primary_key: tuple[str, ...]


def published_tables(
    *, store: Store, actor: Actor, tables: TableStore, ref: str
) -> tuple[Dataset, list[PublishedTable]]:
    """The dataset `ref` (NotFound if `actor` may not see it) and the tables of its resources that
    `actor` may read, in the resources' order."""
    found = datasets.get_dataset(store=store, actor=actor, ref=ref)
    with store.read() as conn:
        keys = primary_keys(conn, [r.id for r in found.resources])
    readable = []
    for resource in found.resources:
        try:
            table = open_version(store=store, actor=actor, tables=tables, ref=resource.id)
        except NotFound:
            continue  # no table, or none this caller may read
        readable.append(PublishedTable(resource, table, keys.get(resource.id, ())))
    return found, readable
