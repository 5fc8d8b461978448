"""Writing the search index inside the caller's transaction.

Every function takes the caller's connection, so the catalogue updates the index in the same
transaction as the change itself and a rollback undoes both: the index cannot drift from the catalogue.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from obert.i18n.text import index_text
from obert.search import cache, counts
from obert.search.backends import backend_for
from obert.search.model import ANY_LANGUAGE, HAS_API, SearchDocument
from obert.storage.tables.search import search_doc_values as doc_values
from obert.storage.tables.search import search_documents as docs
from obert.storage.tables.search import search_facets as facets

_VALUE_CHARS = 200
_FACET_COLUMNS = f"{facets.name} (doc_id, facet, value, lang)"
_INSERT_FACETS = f"INSERT INTO {_FACET_COLUMNS} VALUES (?, ?, ?, ?)"
_COPY_FACETS = f"COPY {_FACET_COLUMNS} FROM STDIN"


class AnalysedDocument(NamedTuple):
    """A document as the index stores it: its search_documents row (without doc_id), its four analysed
    texts (title, keywords, description, other) and its facet rows (facet, value, lang). `analyse` makes
    it without a database, so a rebuild can analyse in worker processes while it writes (a tuple: cheap
    to send back)."""

    dataset_id: str
    row: tuple[str, str, str, str, str | None, datetime]  # dataset_id, name, state, visibility, org, modified
    texts: tuple[str, str, str, str]
    facets: tuple[tuple[str, str, str], ...]


def analyse(doc: SearchDocument) -> AnalysedDocument:
    row = (doc.dataset_id, doc.name, doc.state, doc.visibility, doc.organization_id, doc.modified)
    return AnalysedDocument(doc.dataset_id, row, _texts(doc), _facet_rows(doc))


def write_documents(conn: Connection, documents: Sequence[SearchDocument]) -> None:
    """Index `documents`, replacing what was indexed for the same datasets."""
    write_analysed(conn, [analyse(d) for d in documents])


def write_analysed(
    conn: Connection, documents: Sequence[AnalysedDocument], *, replace: bool = True, counted: bool = True
) -> None:
    """Store analysed documents, replacing what was indexed for the same datasets (without `replace`, the
    caller knows there is nothing to replace: a rebuild, into an index it has just emptied). Without
    `counted`, the caller counts them in the facet counts itself, before its transaction ends
    (counts.recount, as a rebuild does)."""
    if not documents:
        return
    dataset_ids = [d.dataset_id for d in documents]
    if counted:
        counts.take_turn(conn)
    if replace:
        remove_documents(conn, dataset_ids)
    columns = ("dataset_id", "name", "state", "visibility", "organization_id", "modified")
    conn.execute(docs.insert(), [dict(zip(columns, d.row, strict=True)) for d in documents])
    # Read back rather than RETURNING, which SQLite's driver makes one INSERT per row (a tenth of a
    # rebuild).
    found = conn.execute(
        sa.select(docs.c.dataset_id, docs.c.doc_id).where(docs.c.dataset_id.in_(dataset_ids))
    )
    assigned: dict[str, int] = {row.dataset_id: row.doc_id for row in found}
    doc_ids = [assigned[i] for i in dataset_ids]
    # Facets first: PostgreSQL's text rows take their facet value ids from them (see backends).
    _insert_facets(conn, [(i, *row) for i, d in zip(doc_ids, documents, strict=True) for row in d.facets])
    backend_for(conn).write(conn, [(i, d.texts) for i, d in zip(doc_ids, documents, strict=True)])
    if counted:
        counts.adjust(conn, doc_ids, sign=1)
    cache.changed(conn, counted=counted)


def _insert_facets(conn: Connection, rows: Sequence[tuple[int, str, str, str]]) -> None:
    # About twenty rows a document: straight to the driver, without building a dict and binding each
    # (a fifth of a rebuild's time through SQLAlchemy). PostgreSQL copies them in.
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        driver: Any = conn.connection.dbapi_connection  # psycopg's own: COPY is not in the DB-API
        with driver.cursor() as cursor, cursor.copy(_COPY_FACETS) as copy:
            for row in rows:
                copy.write_row(row)
    else:
        conn.exec_driver_sql(_INSERT_FACETS, list(rows))


def remove_documents(conn: Connection, dataset_ids: Sequence[str]) -> None:
    """Take these datasets out of the index (no error for ones that are not in it)."""
    if not dataset_ids:
        return
    doc_ids = list(conn.execute(sa.select(docs.c.doc_id).where(docs.c.dataset_id.in_(dataset_ids))).scalars())
    if not doc_ids:
        return
    counts.take_turn(conn)
    counts.adjust(conn, doc_ids, sign=-1)  # while their rows and values still say what they counted
    backend_for(conn).delete(conn, doc_ids)
    conn.execute(facets.delete().where(facets.c.doc_id.in_(doc_ids)))
    conn.execute(docs.delete().where(docs.c.doc_id.in_(doc_ids)))
    cache.changed(conn)


def clear(conn: Connection) -> None:
    """Empty the index (before a rebuild)."""
    backend_for(conn).clear(conn)
    counts.clear(conn)
    conn.execute(doc_values.delete())  # at once, rather than by each document's ON DELETE CASCADE
    conn.execute(facets.delete())
    conn.execute(docs.delete())
    cache.changed(conn)
    cache.counts_made(conn)  # no document, no count: they agree, whatever they said before


def recount(conn: Connection) -> None:
    """Count every indexed document in the facet counts afresh (after writes made uncounted)."""
    counts.recount(conn)
    cache.counts_made(conn)


def indexed_count(conn: Connection) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(docs)).scalar_one())


def _texts(doc: SearchDocument) -> tuple[str, str, str, str]:
    keywords = ((lang, kw) for lang, values in doc.keywords.items() for kw in values)
    other = index_text([*doc.other, *((None, name) for name in doc.column_names)])
    return (index_text(doc.title), index_text(keywords), index_text(doc.description), other)


def _facet_rows(doc: SearchDocument) -> tuple[tuple[str, str, str], ...]:
    seen: set[tuple[str, str, str]] = set()
    for facet, values in doc.facets.items():
        seen.update((facet, v[:_VALUE_CHARS], "") for v in values if v)
    for lang, values in doc.keywords.items():
        written = {v.strip()[:_VALUE_CHARS] for v in values if v.strip()}
        seen.update(("keyword", v, lang[:8]) for v in written)
        seen.update(("keyword", v, ANY_LANGUAGE) for v in written)
    if doc.has_api:
        seen.add(("has_api", HAS_API, ""))
    return tuple(sorted(seen))
