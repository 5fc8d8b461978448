"""The two full-text backends: SQLite FTS5 and PostgreSQL tsvector. They differ only in how text is
stored and matched; filters, facets, visibility and paging are shared SQL in `obert.search.index`.

Both receive terms already normalised by obert.i18n.text, and both weight the four fields alike
(title > keywords > description > everything else), so the two rank the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.selectable import Subquery

from obert.i18n.text import QueryTerm
from obert.storage.tables.search import FTS_TABLE, TSV_COLUMN, TSV_TABLE

# Relative weights of title, keywords, description and other text.
WEIGHTS = (10.0, 5.0, 2.0, 1.0)
FIELDS = ("title", "keywords", "description", "other")


class Backend(Protocol):
    def write(self, conn: Connection, rows: Sequence[tuple[int, Sequence[str]]]) -> None:
        """Store the text of each (doc_id, [title, keywords, description, other])."""

    def delete(self, conn: Connection, doc_ids: Sequence[int]) -> None: ...

    def clear(self, conn: Connection) -> None: ...

    def hits(
        self, terms: Sequence[QueryTerm], *, any_term: bool, titles_only: bool, ranked: bool = True
    ) -> Subquery:
        """A subquery of (doc_id, rank) for documents matching `terms`; a lower rank is better. Unranked
        (rank 0) is cheaper, for counting."""


class SQLiteFTS:
    def write(self, conn: Connection, rows: Sequence[tuple[int, Sequence[str]]]) -> None:
        if rows:
            conn.execute(
                sa.text(
                    f"INSERT INTO {FTS_TABLE} (rowid, title, keywords, description, other) "
                    "VALUES (:doc_id, :title, :keywords, :description, :other)"
                ),
                [{"doc_id": doc_id, **dict(zip(FIELDS, texts, strict=True))} for doc_id, texts in rows],
            )

    def delete(self, conn: Connection, doc_ids: Sequence[int]) -> None:
        if doc_ids:
            conn.execute(
                sa.text(f"DELETE FROM {FTS_TABLE} WHERE rowid IN :ids").bindparams(
                    sa.bindparam("ids", expanding=True)
                ),
                {"ids": list(doc_ids)},
            )

    def clear(self, conn: Connection) -> None:
        conn.execute(sa.text(f"DELETE FROM {FTS_TABLE}"))

    def hits(
        self, terms: Sequence[QueryTerm], *, any_term: bool, titles_only: bool, ranked: bool = True
    ) -> Subquery:
        expression = (" OR " if any_term else " AND ").join(_fts5_term(t) for t in terms)
        if titles_only:
            expression = "{title keywords} : (" + expression + ")"
        weights = ", ".join(str(w) for w in WEIGHTS)
        rank = f"bm25({FTS_TABLE}, {weights})" if ranked else "0"
        return (
            sa.text(f"SELECT rowid AS doc_id, {rank} AS rank FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :match")
            .bindparams(match=expression)
            .columns(sa.column("doc_id", sa.Integer), sa.column("rank", sa.Float))
            .subquery("hits")
        )


def _fts5_term(term: QueryTerm) -> str:
    # Terms are runs of letters and digits (see obert.i18n.text), so quoting them makes each a plain
    # token: nothing a user types can turn into FTS5 operators.
    options = [f'"{alt}"' for alt in term.alternatives]
    if term.prefix:
        options.append(f'"{term.prefix}" *')
    return "(" + " OR ".join(options) + ")"


class PostgresTSV:
    def write(self, conn: Connection, rows: Sequence[tuple[int, Sequence[str]]]) -> None:
        if rows:
            conn.execute(
                sa.text(
                    f"INSERT INTO {TSV_TABLE} (doc_id, {TSV_COLUMN}) VALUES (:doc_id, "
                    "setweight(to_tsvector('simple', :title), 'A') || "
                    "setweight(to_tsvector('simple', :keywords), 'B') || "
                    "setweight(to_tsvector('simple', :description), 'C') || "
                    "setweight(to_tsvector('simple', :other), 'D'))"
                ),
                [{"doc_id": doc_id, **dict(zip(FIELDS, texts, strict=True))} for doc_id, texts in rows],
            )

    def delete(self, conn: Connection, doc_ids: Sequence[int]) -> None:
        if doc_ids:
            conn.execute(sa.text(f"DELETE FROM {TSV_TABLE} WHERE doc_id = ANY(:ids)"), {"ids": list(doc_ids)})

    def clear(self, conn: Connection) -> None:
        conn.execute(sa.text(f"DELETE FROM {TSV_TABLE}"))

    def hits(
        self, terms: Sequence[QueryTerm], *, any_term: bool, titles_only: bool, ranked: bool = True
    ) -> Subquery:
        weights = "AB" if titles_only else ""
        expression = (" | " if any_term else " & ").join(_tsquery_term(t, weights) for t in terms)
        # ts_rank_cd's weight array is {D, C, B, A}; normalisation 1 divides by 1 + log(length) like
        # bm25's length damping. Negated so that, as with bm25, lower is better.
        d, c, b, a = (w / WEIGHTS[0] for w in reversed(WEIGHTS))
        rank = f"-ts_rank_cd('{{{d}, {c}, {b}, {a}}}', {TSV_COLUMN}, query, 1)" if ranked else "0"
        return (
            sa.text(
                f"SELECT doc_id, {rank} AS rank "
                f"FROM {TSV_TABLE}, to_tsquery('simple', :match) AS query WHERE {TSV_COLUMN} @@ query"
            )
            .bindparams(match=expression)
            .columns(sa.column("doc_id", sa.Integer), sa.column("rank", sa.Float))
            .subquery("hits")
        )


def _tsquery_term(term: QueryTerm, weights: str) -> str:
    # As for FTS5: terms are letters and digits only, so quoting makes them plain lexemes.
    suffix = f":{weights}" if weights else ""
    options = [f"'{alt}'{suffix}" for alt in term.alternatives]
    if term.prefix:
        options.append(f"'{term.prefix}':*{weights}")
    return "(" + " | ".join(options) + ")"


def backend_for(conn: Connection) -> Backend:
    if conn.dialect.name == "postgresql":
        return PostgresTSV()
    return SQLiteFTS()
