from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from obert.auth import SYSTEM, Actor, Role
from obert.catalog import datasets, organizations
from obert.catalog.common import validated
from obert.catalog.models import Dataset, DatasetInput, OrganizationInput
from obert.portal import Portal
from obert.search import snapshot
from obert.storage import Store
from obert.storage.tables.search import FTS_TABLE, TSV_COLUMN, TSV_TABLE, search_documents, search_facets


def add_dataset(
    portal: Portal,
    name: str,
    *,
    title: str,
    description: str = "",
    keywords: list[str] | None = None,
    actor: Actor = SYSTEM,
    **fields: Any,
) -> Dataset:
    data = {
        "name": name,
        "title": {"ca": title},
        "description": {"ca": description} if description else {},
        "keywords": {"ca": keywords} if keywords else {},
        **fields,
    }
    return datasets.create_dataset(store=portal.store, actor=actor, data=validated(DatasetInput, data))


def member_of(portal: Portal, org_name: str, role: Role = Role.MEMBER) -> Actor:
    org = organizations.get_organization(store=portal.store, ref=org_name)
    return Actor(user_id=f"user-{org_name}", name=f"user-{org_name}", roles={org.id: role})


def make_org(portal: Portal, name: str, title: str) -> str:
    data = validated(OrganizationInput, {"name": name, "title": {"ca": title, "en": title}})
    return organizations.create_organization(store=portal.store, actor=SYSTEM, data=data).id


def index_contents(store: Store) -> dict[str, Any]:
    """All the index holds, by dataset id: its row, its stored text (FTS5 columns or the tsvector) and
    its facet rows. Doc ids are left out: a rebuild numbers documents afresh."""
    with store.read() as conn:
        if conn.dialect.name == "postgresql":
            query = f"SELECT doc_id, {TSV_COLUMN}::text FROM {TSV_TABLE}"
        else:
            query = f"SELECT rowid, title, keywords, description, other FROM {FTS_TABLE}"
        texts = {row[0]: tuple(row[1:]) for row in conn.execute(sa.text(query))}
        facet_rows: dict[int, set[tuple[str, str, str]]] = defaultdict(set)
        for row in conn.execute(sa.select(search_facets)):
            facet_rows[row.doc_id].add((row.facet, row.value, row.lang))
        return {
            doc.dataset_id: (
                (doc.name, doc.state, doc.visibility, doc.organization_id, doc.modified),
                texts[doc.doc_id],
                facet_rows[doc.doc_id],
            )
            for doc in conn.execute(sa.select(search_documents))
        }


def searched_snapshot(conn: Connection) -> snapshot.Snapshot | None:
    """The snapshot as a version's second search finds it: a small index's holds its postings by then."""
    snapshot.current(conn)
    return snapshot.current(conn)
