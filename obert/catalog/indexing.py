"""Keeping the search index in step with the catalogue, inside the catalogue's own transactions.

Every service that changes what a dataset's search document holds calls `refresh_index` (or
`refresh_organization`) with its transaction's connection, so a change and its index update commit or
roll back together. `rebuild_index` makes the whole index again, by the same code, in large batches.

A document is made from the few columns the index needs, read in one query per table for a whole batch
and left as JSON text: turning them into `SearchDocument`s and analysing their text (`_analyse_batch`)
needs no database, so a rebuild can do it in worker processes while it writes (see `rebuild_index`).
"""

from __future__ import annotations

import json
import multiprocessing
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from obert.catalog.models import State
from obert.catalog.vocabulary import vocabulary
from obert.search import SearchDocument, clear, remove_documents
from obert.search.writing import AnalysedDocument, analyse, recount, write_analysed
from obert.storage import Store
from obert.storage.tables.catalog import dataset_groups, datasets, groups, organizations, resources
from obert.storage.tables.search import search_documents

# Until the datastore marks which resources it serves as an API, an uploaded table in one of these
# formats is what gets one. Changing the rule here changes the has_api facet everywhere.
API_FORMATS = frozenset({"CSV", "XLSX", "JSON", "GEOJSON", "PARQUET"})
BATCH = 500
REBUILD_BATCH = 2000  # datasets read, analysed and written at a time by a rebuild


def _json(column: sa.Column[Any]) -> sa.ColumnElement[str]:
    # The JSON as text: decoded where the document is made (perhaps a worker process), not on reading.
    return sa.cast(column, sa.Text).label(column.name)


class _DatasetRow(NamedTuple):
    """The columns of a dataset its search document is made of (JSON columns as text)."""

    id: str
    name: str
    state: str
    visibility: str
    organization_id: str | None
    title: str
    description: str
    keywords: str
    themes: str
    sectors: str
    languages: str
    license: str | None
    modified: str | None
    updated_at: datetime


class _ResourceRow(NamedTuple):
    dataset_id: str
    name: str
    title: str
    description: str
    format: str | None
    upload: str | None


_DATASET_COLUMNS = [
    getattr(datasets.c, name)
    if name not in ("title", "description", "keywords", "themes", "sectors", "languages")
    else _json(getattr(datasets.c, name))
    for name in _DatasetRow._fields
]
_RESOURCE_COLUMNS = [
    _json(getattr(resources.c, name)) if name in ("title", "description") else getattr(resources.c, name)
    for name in _ResourceRow._fields
]


class Resource(NamedTuple):
    """What a document takes from one of its dataset's live resources."""

    name: str
    title: Mapping[str, str]
    description: Mapping[str, str]
    format: str | None
    upload: str | None


class Publisher(NamedTuple):
    id: str
    name: str
    title: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class _Batch:
    """Datasets to index as read from the catalogue, with everything their documents need: plain tuples
    (rows of _DatasetRow's and _ResourceRow's columns), cheap to send to a worker process."""

    datasets: list[tuple[Any, ...]]
    resources: list[tuple[Any, ...]]  # the datasets' live resources, by dataset and position
    publishers: dict[str, Publisher]  # at least the datasets' publishers, by id
    groups: dict[str, list[str]]  # the names of each dataset's groups, by dataset id (none: absent)


def has_api(resources: Iterable[Resource]) -> bool:
    return any(r.upload and (r.format or "").upper() in API_FORMATS for r in resources)


def document_for(
    row: _DatasetRow,
    publisher: Publisher | None,
    resources: Sequence[Resource],
    *,
    column_names: Sequence[str] = (),
    groups: Sequence[str] = (),
) -> SearchDocument:
    """The search document of the dataset in `row`; `column_names` are its datastore tables' columns, if
    any."""
    themes: list[str] = json.loads(row.themes)
    sectors: list[str] = json.loads(row.sectors)
    other: list[tuple[str | None, str]] = [(None, row.name)]
    if publisher:
        other += publisher.title.items()
    for vocab, codes in (("data-theme", themes), ("sector", sectors)):
        for code in codes:
            other += _labels(vocab, code)
    for res in resources:
        other.append((None, res.name))
        other += res.title.items()
        other += res.description.items()
        if res.format:
            other.append((None, res.format))
    return SearchDocument(
        dataset_id=row.id,
        name=row.name,
        state=row.state,
        visibility=row.visibility,
        organization_id=publisher.id if publisher else None,
        modified=_modified(row.modified, row.updated_at),
        title=json.loads(row.title),
        description=json.loads(row.description),
        keywords=json.loads(row.keywords),
        other=other,
        column_names=column_names,
        facets={
            "publisher": [publisher.name] if publisher else [],
            "theme": themes,
            "sector": sectors,
            "format": sorted({r.format for r in resources if r.format}),
            "licence": [row.license] if row.license else [],
            "language": json.loads(row.languages),
            "group": sorted(groups),
        },
        has_api=has_api(resources),
    )


@cache
def _labels(vocab: str, code: str) -> tuple[tuple[str | None, str], ...]:
    # A theme's or sector's labels in every language (its code when the vocabulary does not know it).
    concept = vocabulary(vocab).get(code)
    return tuple(concept.label.items()) if concept else ((None, code),)


def _analyse_batch(batch: _Batch) -> list[AnalysedDocument]:
    """The analysed documents of a batch: pure, so a rebuild can run it in a worker process."""
    by_dataset: dict[str, list[Resource]] = defaultdict(list)
    for dataset_id, name, title, description, fmt, upload in batch.resources:
        by_dataset[dataset_id].append(Resource(name, json.loads(title), json.loads(description), fmt, upload))
    documents = []
    for values in batch.datasets:
        row = _DatasetRow._make(values)
        publisher = batch.publishers.get(row.organization_id) if row.organization_id else None
        in_groups = batch.groups.get(row.id, [])
        documents.append(analyse(document_for(row, publisher, by_dataset.get(row.id, []), groups=in_groups)))
    return documents


def _read_batch(
    conn: Connection, rows: Sequence[tuple[Any, ...]], publishers: dict[str, Publisher]
) -> _Batch:
    """Complete dataset rows (_DATASET_COLUMNS) with their live resources, and add their publishers to
    `publishers` (those it does not hold yet)."""
    ids = [r[0] for r in rows]
    missing = {r[4] for r in rows if r[4]} - publishers.keys()
    live = conn.execute(
        sa.select(*_RESOURCE_COLUMNS)
        .where(resources.c.dataset_id.in_(ids), resources.c.state == "active")
        .order_by(resources.c.dataset_id, resources.c.position, resources.c.id)
    )
    if missing:
        publishers.update(_publishers(conn, missing))
    in_groups: dict[str, list[str]] = defaultdict(list)
    for dataset_id, name in conn.execute(
        sa.select(dataset_groups.c.dataset_id, groups.c.name)
        .select_from(dataset_groups.join(groups, groups.c.id == dataset_groups.c.group_id))
        .where(dataset_groups.c.dataset_id.in_(ids), groups.c.state == "active")
    ):
        in_groups[dataset_id].append(name)
    return _Batch([tuple(r) for r in rows], [tuple(r) for r in live], publishers, dict(in_groups))


def _publishers(conn: Connection, ids: Iterable[str]) -> dict[str, Publisher]:
    query = sa.select(organizations.c.id, organizations.c.name, organizations.c.title)
    query = query.where(organizations.c.id.in_(list(ids)))
    return {o.id: Publisher(o.id, o.name, o.title) for o in conn.execute(query)}


def refresh_index(conn: Connection, dataset_ids: Sequence[str]) -> None:
    """Re-index these datasets as the transaction sees them now (deleted ones leave the index)."""
    rows = conn.execute(
        sa.select(*_DATASET_COLUMNS).where(
            datasets.c.id.in_(list(dataset_ids)), datasets.c.state != State.DELETED.value
        )
    ).all()
    gone = set(dataset_ids) - {r.id for r in rows}
    remove_documents(conn, sorted(gone))
    if rows:
        write_analysed(conn, _analyse_batch(_read_batch(conn, rows, {})))


def refresh_organization(conn: Connection, organization_id: str) -> None:
    """Re-index an organisation's datasets (its name and title are part of their documents)."""
    ids = list(
        conn.execute(sa.select(datasets.c.id).where(datasets.c.organization_id == organization_id)).scalars()
    )
    for start in range(0, len(ids), BATCH):
        refresh_index(conn, ids[start : start + BATCH])


def ensure_index(*, store: Store, workers: int = 0) -> int:
    """Build the index when the catalogue has datasets and the index none (a database upgraded from a
    release before search); returns how many were indexed (0 when nothing was needed)."""
    with store.read() as conn:
        indexed = conn.execute(sa.select(search_documents.c.doc_id).limit(1)).first()
        waiting = conn.execute(
            sa.select(datasets.c.id).where(datasets.c.state != State.DELETED.value).limit(1)
        ).first()
    if indexed is not None or waiting is None:
        return 0
    return rebuild_index(store=store, workers=workers)


def rebuild_index(*, store: Store, workers: int = 0) -> int:
    """Rebuild the whole index from the catalogue in one transaction; returns how many were indexed.

    With `workers`, that many processes make and analyse the documents (pure Python, most of a rebuild's
    CPU time) while this one reads the catalogue and writes: the two halves run at once, on two cores."""
    indexed = 0
    with store.begin() as conn:
        clear(conn)
        for documents in _analysed(_batches(conn), workers):
            write_analysed(conn, documents, replace=False, counted=False)
            indexed += len(documents)
        recount(conn)  # the facet counts of every document at once, in the same transaction
    store.analyze()  # every row of the index is new: the planner's statistics are out of date
    return indexed


def _analysed(batches: Iterator[_Batch], workers: int) -> Iterator[list[AnalysedDocument]]:
    """`_analyse_batch` of each batch, in order: in this process, or by `workers` processes that work
    ahead on the next batches while the caller writes this one. A catalogue of one batch needs no pool."""
    first = next(batches, None)
    if first is None:
        return
    if not workers or len(first.datasets) < REBUILD_BATCH:
        yield _analyse_batch(first)
        yield from map(_analyse_batch, batches)
        return
    # Spawned, not forked: a fork would copy this process's threads, locks and database connections.
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        pending = deque([pool.submit(_analyse_batch, first)])
        try:
            for batch in batches:
                pending.append(pool.submit(_analyse_batch, batch))
                if len(pending) > workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:  # the writer failed: no more work
                future.cancel()


def _batches(conn: Connection) -> Iterator[_Batch]:
    """The catalogue's live datasets in batches, in order of id."""
    publishers: dict[str, Publisher] = {}  # read as datasets name them, then kept for later batches
    query = (
        sa.select(*_DATASET_COLUMNS).where(datasets.c.state != State.DELETED.value).order_by(datasets.c.id)
    )
    last = ""
    while rows := conn.execute(query.where(datasets.c.id > last).limit(REBUILD_BATCH)).all():
        yield _read_batch(conn, rows, publishers)
        last = rows[-1].id


def _modified(modified: str | None, updated_at: datetime) -> datetime:
    """The declared modification date when there is one, else when the metadata last changed."""
    if modified:
        try:
            when = datetime.fromisoformat(modified)
        except ValueError:
            return updated_at
        return when if when.tzinfo else when.replace(tzinfo=UTC)
    return updated_at
