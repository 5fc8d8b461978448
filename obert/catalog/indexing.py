"""Keeping the search index in step with the catalogue, inside the catalogue's own transactions.

Every service that changes what a dataset's search document holds calls `refresh_index` (or
`refresh_organization`) with its transaction's connection, so a change and its index update commit or
roll back together.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from obert.catalog.models import Dataset, State
from obert.catalog.rows import datasets_from_rows
from obert.catalog.vocabulary import vocabulary
from obert.search import SearchDocument, clear, remove_documents, write_documents
from obert.storage import Store
from obert.storage.tables.catalog import datasets
from obert.storage.tables.search import search_documents

# Until the datastore marks which resources it serves as an API, an uploaded table in one of these
# formats is what gets one. Changing the rule here changes the has_api facet everywhere.
API_FORMATS = frozenset({"CSV", "XLSX", "JSON", "GEOJSON", "PARQUET"})
BATCH = 500


def has_api(dataset: Dataset) -> bool:
    return any(r.upload and (r.format or "").upper() in API_FORMATS for r in dataset.resources)


def document_for(dataset: Dataset, *, column_names: Sequence[str] = ()) -> SearchDocument:
    """The search document of `dataset`; `column_names` are its datastore tables' columns, if any."""
    other: list[tuple[str | None, str]] = [(None, dataset.name)]
    if dataset.organization:
        other += [(lang, text) for lang, text in dataset.organization.title.items()]
    for vocab, codes in (("data-theme", dataset.themes), ("sector", dataset.sectors)):
        for code in codes:
            concept = vocabulary(vocab).get(code)
            other += [(lang, label) for lang, label in concept.label.items()] if concept else [(None, code)]
    for res in dataset.resources:
        other.append((None, res.name))
        other += [(lang, text) for lang, text in (*res.title.items(), *res.description.items())]
        if res.format:
            other.append((None, res.format))
    return SearchDocument(
        dataset_id=dataset.id,
        name=dataset.name,
        state=dataset.state.value,
        visibility=dataset.visibility.value,
        organization_id=dataset.organization.id if dataset.organization else None,
        modified=_modified(dataset),
        title=dataset.title,
        description=dataset.description,
        keywords=dataset.keywords,
        other=other,
        column_names=column_names,
        facets={
            "publisher": [dataset.organization.name] if dataset.organization else [],
            "theme": dataset.themes,
            "sector": dataset.sectors,
            "format": sorted({r.format for r in dataset.resources if r.format}),
            "licence": [dataset.license] if dataset.license else [],
            "language": dataset.languages,
        },
        has_api=has_api(dataset),
    )


def refresh_index(conn: Connection, dataset_ids: Sequence[str]) -> None:
    """Re-index these datasets as the transaction sees them now (deleted ones leave the index)."""
    rows = conn.execute(sa.select(datasets).where(datasets.c.id.in_(list(dataset_ids)))).all()
    live = [r for r in rows if r.state != State.DELETED.value]
    gone = set(dataset_ids) - {r.id for r in live}
    remove_documents(conn, sorted(gone))
    write_documents(conn, [document_for(d) for d in datasets_from_rows(conn, live)])


def refresh_organization(conn: Connection, organization_id: str) -> None:
    """Re-index an organisation's datasets (its name and title are part of their documents)."""
    ids = list(
        conn.execute(sa.select(datasets.c.id).where(datasets.c.organization_id == organization_id)).scalars()
    )
    for start in range(0, len(ids), BATCH):
        refresh_index(conn, ids[start : start + BATCH])


def ensure_index(*, store: Store) -> int:
    """Build the index when the catalogue has datasets and the index none (a database upgraded from a
    release before search); returns how many were indexed (0 when nothing was needed)."""
    with store.read() as conn:
        indexed = conn.execute(sa.select(search_documents.c.doc_id).limit(1)).first()
        waiting = conn.execute(
            sa.select(datasets.c.id).where(datasets.c.state != State.DELETED.value).limit(1)
        ).first()
    if indexed is not None or waiting is None:
        return 0
    return rebuild_index(store=store)


def rebuild_index(*, store: Store) -> int:
    """Rebuild the whole index from the catalogue in one transaction; returns how many were indexed."""
    indexed = 0
    with store.begin() as conn:
        clear(conn)
        query = sa.select(datasets).where(datasets.c.state != State.DELETED.value).order_by(datasets.c.id)
        last = ""
        while rows := conn.execute(query.where(datasets.c.id > last).limit(BATCH)).all():
            write_documents(conn, [document_for(d) for d in datasets_from_rows(conn, rows)])
            indexed += len(rows)
            last = rows[-1].id
    return indexed


def _modified(dataset: Dataset) -> datetime:
    """The declared modification date when there is one, else when the metadata last changed."""
    if dataset.modified:
        try:
            when = datetime.fromisoformat(dataset.modified)
        except ValueError:
            return dataset.updated_at
        return when if when.tzinfo else when.replace(tzinfo=UTC)
    return dataset.updated_at
