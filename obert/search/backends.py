"""The two full-text backends: SQLite FTS5 and PostgreSQL tsvector. They differ in how text is stored
and matched, and in what a match carries: PostgreSQL's rows also hold each document's state, visibility,
publisher, date and facet value ids, so that `obert.search.index` counts and facets the matches from
those rows alone and ranks only some of them (`PostgresTSV.ranks`); SQLite's come back to
search_documents, a cheap join by rowid there.

Both receive terms already normalised by obert.i18n.text, and both weight the four fields alike
(title > keywords > description > everything else), so the two rank the same way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection
from sqlalchemy.sql.selectable import Subquery

from obert.i18n.text import QueryTerm
from obert.search.model import ANY_LANGUAGE
from obert.storage.tables.search import (
    CODE_SHIFT,
    FACET_CODES,
    FTS_TABLE,
    KEYWORD_IDS_COLUMN,
    TERMS_TABLE,
    TERMS_TRIGRAMS,
    TITLE_WORDS_TABLE,
    TITLES_COLUMN,
    TSV_COLUMN,
    TSV_TABLE,
)

# Relative weights of title, keywords, description and other text.
WEIGHTS = (10.0, 5.0, 2.0, 1.0)
FIELDS = ("title", "keywords", "description", "other")
# What a query word found anywhere weighs in a rank against one found in a title or keywords (1): more than
# all of those together (a query has at most 16 words).
COVERAGE = 100


class Backend(Protocol):
    def write(self, conn: Connection, rows: Sequence[tuple[int, Sequence[str]]]) -> None:
        """Store the text of each (doc_id, [title, keywords, description, other])."""

    def delete(self, conn: Connection, doc_ids: Sequence[int]) -> None: ...

    def clear(self, conn: Connection) -> None: ...

    def hits(
        self,
        terms: Sequence[QueryTerm],
        *,
        any_term: bool,
        titles_only: bool,
        ranked: bool = True,
        fields: Sequence[str] = (),
        score_only: bool = False,
    ) -> Subquery:
        """A subquery of (doc_id, rank) for documents matching `terms`; a lower rank is better. Unranked
        (rank 0) is cheaper, for counting. `fields` (of FIELDS) narrows where the words must be. With
        `score_only`, the rank is the engine's weighted score alone (bm25, ts_rank_cd), without the
        site's count of words in titles and keywords: cheaper, and what Solr's score is to CKAN clients."""

    def phrase_hits(
        self, groups: Sequence[Sequence[tuple[str, ...]]], *, fields: Sequence[str] = ()
    ) -> Subquery:
        """(doc_id, rank 0) of the documents holding, for every group, one of its token sequences in a
        row (obert.i18n.text.phrase_sequences)."""


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
            # The vocabulary (obert.search.spelling), as PostgresTSV keeps it; a new term gets its
            # trigrams from the table's trigger (migration 0023).
            terms = sorted(_term_documents(texts for _, texts in rows).items())
            if terms:  # documents of no words (a dataset with nothing but a name) add none
                conn.exec_driver_sql(
                    f"INSERT INTO {TERMS_TABLE} (term, docs) VALUES (?, ?) "
                    "ON CONFLICT (term) DO UPDATE SET docs = docs + excluded.docs",
                    terms,
                )

    def delete(self, conn: Connection, doc_ids: Sequence[int]) -> None:
        if doc_ids:
            ids: sa.BindParameter[list[int]] = sa.bindparam("ids", expanding=True)
            stored = conn.execute(
                sa.text(f"SELECT {', '.join(FIELDS)} FROM {FTS_TABLE} WHERE rowid IN :ids").bindparams(ids),
                {"ids": list(doc_ids)},
            )
            gone = _term_documents(tuple(row) for row in stored)
            if gone:
                conn.exec_driver_sql(
                    f"UPDATE {TERMS_TABLE} SET docs = docs - ? WHERE term = ?",
                    [(n, term) for term, n in sorted(gone.items())],
                )
            conn.execute(
                sa.text(f"DELETE FROM {FTS_TABLE} WHERE rowid IN :ids").bindparams(ids),
                {"ids": list(doc_ids)},
            )

    def clear(self, conn: Connection) -> None:
        conn.execute(sa.text(f"DELETE FROM {FTS_TABLE}"))
        # Its trigram index is emptied at once rather than row by row (see migration 0023).
        conn.execute(sa.text(f"DELETE FROM {TERMS_TABLE}"))
        conn.execute(sa.text(f"INSERT INTO {TERMS_TRIGRAMS} ({TERMS_TRIGRAMS}) VALUES ('delete-all')"))

    def hits(
        self,
        terms: Sequence[QueryTerm],
        *,
        any_term: bool,
        titles_only: bool,
        ranked: bool = True,
        fields: Sequence[str] = (),
        score_only: bool = False,
    ) -> Subquery:
        expression = (" OR " if any_term else " AND ").join(_fts5_term(t) for t in terms)
        columns = _fields(fields, titles_only)
        if columns:
            expression = "{" + " ".join(columns) + "} : (" + expression + ")"
        score, words = (
            (f"bm25({FTS_TABLE}, {_score_weights(fields)})", [])
            if score_only
            else _fts5_rank(terms, any_term=any_term)
        )
        rank, binds = (score, words) if ranked else ("0", [])
        return (
            sa.text(f"SELECT rowid AS doc_id, {rank} AS rank FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :match")
            .bindparams(_match(expression), *binds)
            .columns(sa.column("doc_id", sa.Integer), sa.column("rank", sa.Float))
            .subquery("hits")
        )

    def expression(self, terms: Sequence[QueryTerm], *, any_term: bool, prominent: bool = False) -> str:
        """The FTS5 match expression of `terms` (every one, or any with `any_term`; with `prominent`, in
        the title or keywords only): what `hits` matches."""
        expression = (" OR " if any_term else " AND ").join(_fts5_term(t) for t in terms)
        return "{title keywords} : (" + expression + ")" if prominent else expression

    def rowids(self, conn: Connection, expression: str) -> npt.NDArray[np.int64]:
        """The doc ids matching `expression`, ascending: FTS5's posting lists only, no row is read."""
        # One text rather than a row per match: numpy reads the numbers at C speed.
        listed = (
            _driver(conn)
            .execute(
                f"SELECT group_concat(rowid, ' ') FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ?", (expression,)
            )
            .fetchone()[0]
        )
        if not listed:
            return np.zeros(0, dtype=np.int64)
        return np.sort(np.fromstring(listed, dtype=np.int64, sep=" "))

    def scored(
        self,
        conn: Connection,
        expression: str,
        doc_ids: npt.NDArray[np.int64] | None = None,
        *,
        best: int = 0,
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """The doc ids matching `expression` (of `doc_ids` only, when given), ascending, and the bm25 of
        each with the field weights (lower is better). With `doc_ids`, only those are scored; bm25's
        statistics are the whole index's all the same. With `best`, only that many of the best are
        returned (all are scored, but none other is read out)."""
        weights = ", ".join(str(w) for w in WEIGHTS)
        statement = f"SELECT rowid, bm25({FTS_TABLE}, {weights}) FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ?"
        parameters: tuple[str, ...] = (expression,)
        if doc_ids is not None:
            # `+rowid`: a filter on each match, not a new FTS5 query per listed rowid.
            statement += " AND +rowid IN (SELECT value FROM json_each(?))"
            parameters += ("[" + ",".join(map(str, doc_ids.tolist())) + "]",)
        if best:
            statement += f" ORDER BY 2 LIMIT {int(best)}"
        # The driver's own rows (floats as stored: a text would round them), without SQLAlchemy's Row
        # objects, which cost more than the query for thousands of matches.
        rows = _driver(conn).execute(statement, parameters).fetchall()
        found = np.array(rows, dtype=np.float64).reshape(-1, 2)
        order = np.argsort(found[:, 0], kind="stable")
        return found[order, 0].astype(np.int64), found[order, 1]

    def phrase_hits(
        self, groups: Sequence[Sequence[tuple[str, ...]]], *, fields: Sequence[str] = ()
    ) -> Subquery:
        # A quoted string of plain tokens is an FTS5 phrase: its tokens must come in a row.
        expression = " AND ".join(
            "(" + " OR ".join('"' + " ".join(tokens) + '"' for tokens in group) + ")" for group in groups
        )
        columns = _fields(fields, False)
        if columns:
            expression = "{" + " ".join(columns) + "} : (" + expression + ")"
        return (
            sa.text(f"SELECT rowid AS doc_id, 0 AS rank FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :match")
            .bindparams(_match(expression))
            .columns(sa.column("doc_id", sa.Integer), sa.column("rank", sa.Float))
            .subquery("hits")
        )


def _driver(conn: Connection) -> Any:
    """The sqlite3 connection under `conn` (in its transaction)."""
    return conn.connection.driver_connection


def _term_documents(documents: Iterable[Iterable[str]]) -> Counter[str]:
    """How many of these documents (each its texts) hold each term. The texts are terms of
    obert.i18n.text, runs of letters and digits between spaces: FTS5's unicode61 tokenizer makes the same
    tokens of them."""
    counts: Counter[str] = Counter()
    for texts in documents:
        counts.update(set(" ".join(t for t in texts if t).split()))
    return counts


def _match(expression: str) -> sa.BindParameter[str]:
    # Unique: one statement may hold several searches (CKAN's `q=air -water`), each with its own words.
    return sa.bindparam("match", expression, unique=True)


def _fields(fields: Sequence[str], titles_only: bool) -> tuple[str, ...]:
    """The index columns a match is narrowed to (none: all of them)."""
    if titles_only:
        return ("title", "keywords")
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise ValueError(f"not indexed fields: {sorted(unknown)}")
    return tuple(f for f in FIELDS if f in fields)


def _fts5_rank(terms: Sequence[QueryTerm], *, any_term: bool) -> tuple[str, list[sa.BindParameter[str]]]:
    """The rank of a match (lower is better): how many of the words it has (when any will do), then how
    many of them are in its title or keywords, then bm25 with the field weights (see _coverage); and the
    parameters it names (the words' match expressions: bound, so that the statement's text, and its
    compiled form, is the same for every query with as many words)."""
    weights = ", ".join(str(w) for w in WEIGHTS)
    bm25 = f"bm25({FTS_TABLE}, {weights})"
    binds: list[sa.BindParameter[str]] = []

    def has(expression: str) -> str:
        # A subquery that does not depend on the row: SQLite lists its rowids once, then looks each up.
        name = f"word{len(binds)}"
        binds.append(sa.bindparam(name, expression, unique=True))
        return f"(rowid IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :{name}))"

    anywhere = [has(_fts5_term(t)) for t in terms] if any_term and len(terms) > 1 else []
    prominent = [has("{title keywords} : " + _fts5_term(t)) for t in terms]
    return _coverage(anywhere, prominent, bm25), binds


def _coverage(anywhere: Sequence[str], prominent: Sequence[str], relevance: str) -> str:
    """One rank, lower first, from integer 0/1 expressions: each word matched anywhere counts COVERAGE, each
    matched in the title or keywords 1, and `relevance` (bm25 or the negated ts_rank_cd: ≤ 0, lower is
    better) breaks ties, squeezed into (-1, 0] by x / (1 - x) so it never outweighs a word. "accidents
    Gràcia" thus puts the datasets about accidents (a word of their titles) before one that names Gràcia
    once in its description, whatever bm25 thinks of the rarer word."""
    words = " + ".join([f"{COVERAGE} * {e}" for e in anywhere] + list(prominent)) or "0"
    return f"(({relevance}) / (1.0 - ({relevance})) - ({words}))"


def _literal(text: str) -> str:
    """A match expression as an SQL string literal (quotes doubled). Terms are letters and digits only
    (obert.i18n.text): the only quotes are the ones the expression builders add."""
    escaped = text.replace("'", "''")
    return f"'{escaped}'"


def _fts5_term(term: QueryTerm) -> str:
    # Terms are runs of letters and digits (see obert.i18n.text), so quoting them makes each a plain
    # token: nothing a user types can turn into FTS5 operators.
    options = [f'"{alt}"' for alt in term.alternatives]
    if term.prefix:
        options.append(f'"{term.prefix}" *')
    return "(" + " OR ".join(options) + ")"


# The facets search_tsv.facet_ids holds: every one but keywords, whose ids are the highest (see
# obert.storage.tables.search); a document has a handful of these and dozens of keywords.
ROW_FACETS_BELOW = FACET_CODES["keyword"] << CODE_SHIFT
_ROW_COLUMNS = ("state", "visibility", "organization_id", "modified", "facet_ids")


def _titles(row: str = "") -> str:
    """The title and keywords' part of a row's vector (`row`: an alias with its dot, or nothing): the
    stored `titles` (migration 0025), or for a row of an earlier release (NULL) what ts_filter gives."""
    return f"coalesce({row}{TITLES_COLUMN}, ts_filter({row}{TSV_COLUMN}, '{{a,b}}'))"


# The type-ahead's entries (migration 0029) of the rows :ids: of the published public ones, each word of the
# title and keywords that does not start another of the row's words, with the row's date. A word that starts
# another ("barri" of "barris", a stem of its word: about half of them) finds nothing a prefix would not find
# through the longer one; the type-ahead tests each candidate on its row, so that its exact words are what
# decides. Words sorted in the "C" order: one that starts another is followed by one that starts with it.
# Each row is read by its key from the ids, and tested after (a lateral subquery kept as it is, which
# names no condition of the published public rows' index): given `doc_id = ANY(:ids)` beside those
# conditions, the planner walked that whole index by date (ix_search_tsv_recent, doc_id its second column)
# for every batch, so that indexing slowed as the catalogue grew: 11 s a batch of 2,000 at 450,000
# documents, a 1,000,000-document rebuild heading past two hours.
_TITLE_WORDS = (
    "SELECT lexeme, modified, doc_id FROM (SELECT w.lexeme, t.modified, t.doc_id, "
    'lead(w.lexeme) OVER (PARTITION BY t.doc_id ORDER BY w.lexeme COLLATE "C") AS next '
    "FROM unnest(CAST(:ids AS integer[])) AS i(id) CROSS JOIN LATERAL (SELECT r.doc_id, r.modified, "
    f"r.state, r.visibility, {_titles('r.')} AS titles "
    f"FROM {TSV_TABLE} r WHERE r.doc_id = i.id OFFSET 0) AS t, unnest(t.titles) AS w "
    "WHERE t.state = 'published' AND t.visibility = 'public' AND t.modified IS NOT NULL) AS words "
    "WHERE next IS NULL OR NOT starts_with(next, lexeme)"
)


class PostgresTSV:
    def write(self, conn: Connection, rows: Sequence[tuple[int, Sequence[str]]]) -> None:
        """Write after the documents' search_documents rows and facets (migration 0012 fills rows written
        otherwise, by the previous release, with a trigger)."""
        if rows:
            conn.execute(
                sa.text(
                    f"INSERT INTO {TSV_TABLE} "
                    f"(doc_id, {TSV_COLUMN}, {TITLES_COLUMN}, {', '.join(_ROW_COLUMNS)}, "
                    f"{KEYWORD_IDS_COLUMN}) "
                    "SELECT d.doc_id, "
                    "t.titles || "
                    "setweight(to_tsvector('simple', :description), 'C') || "
                    "setweight(to_tsvector('simple', :other), 'D'), "
                    "t.titles, d.state, d.visibility, d.organization_id, d.modified, "
                    "ARRAY(SELECT v.value_id FROM search_doc_values v WHERE v.doc_id = d.doc_id "
                    f"AND v.value_id < {ROW_FACETS_BELOW} ORDER BY v.value_id), "
                    # The keywords as CKAN counts them, once per word (migration 0027).
                    # (each value's language by its key: see migration 0027 for the plan a join got).
                    "ARRAY(SELECT v.value_id FROM search_doc_values v WHERE v.doc_id = d.doc_id "
                    f"AND v.value_id >= {ROW_FACETS_BELOW} AND (SELECT s.lang FROM search_values s "
                    f"WHERE s.value_id = v.value_id) = '{ANY_LANGUAGE}' ORDER BY v.value_id) "
                    # The title and keywords' part of the vector, kept apart as well (migration 0025):
                    # what ts_filter(tsv, '{a,b}') gives, computed once for both.
                    "FROM search_documents d, (SELECT setweight(to_tsvector('simple', :title), 'A') || "
                    "setweight(to_tsvector('simple', :keywords), 'B') AS titles) t "
                    "WHERE d.doc_id = :doc_id"
                ),
                [{"doc_id": doc_id, **dict(zip(FIELDS, texts, strict=True))} for doc_id, texts in rows],
            )
            # The vocabulary (obert.search.spelling): each term's document count, in term order so that
            # two writers lock rows in the same order.
            conn.execute(
                sa.text(
                    f"INSERT INTO {TERMS_TABLE} (term, docs) SELECT lexeme, count(*) FROM {TSV_TABLE}, "
                    f"unnest({TSV_COLUMN}) WHERE doc_id = ANY(:ids) GROUP BY lexeme ORDER BY lexeme "
                    f"ON CONFLICT (term) DO UPDATE SET docs = {TERMS_TABLE}.docs + excluded.docs"
                ),
                {"ids": [doc_id for doc_id, _ in rows]},
            )
            # The type-ahead's words of the published public ones (migration 0029).
            conn.execute(
                sa.text(f"INSERT INTO {TITLE_WORDS_TABLE} (word, modified, doc_id) {_TITLE_WORDS}"),
                {"ids": [doc_id for doc_id, _ in rows]},
            )

    def delete(self, conn: Connection, doc_ids: Sequence[int]) -> None:
        if doc_ids:
            # Each word is found by the primary key: `term = lexeme` can also be answered by the trigram
            # index (pg_trgm's equality), which the planner prices at next to nothing and picked, with or
            # without statistics, though a lookup there costs ~3 ms (a second to edit a long description).
            # A range of one term (the same rows, under the default deterministic collation) only a B-tree
            # index serves.
            conn.execute(
                sa.text(
                    f"UPDATE {TERMS_TABLE} SET docs = {TERMS_TABLE}.docs - gone.n FROM (SELECT lexeme, "
                    f"count(*) AS n FROM {TSV_TABLE}, unnest({TSV_COLUMN}) WHERE doc_id = ANY(:ids) "
                    f"GROUP BY lexeme ORDER BY lexeme) AS gone "
                    f"WHERE {TERMS_TABLE}.term >= gone.lexeme AND {TERMS_TABLE}.term <= gone.lexeme"
                ),
                {"ids": list(doc_ids)},
            )
            # Each word by the key of its entry, while the rows still say which words and date they had:
            # each entry found by its own lookup (a lateral subquery kept as it is), then deleted by its
            # place. Joined plainly, the planner hashed the words of 2,000 documents and read the whole
            # table for them (5.3 s at 100,000 documents).
            conn.execute(
                sa.text(
                    f"DELETE FROM {TITLE_WORDS_TABLE} WHERE ctid = ANY(ARRAY(SELECT e.ctid "
                    f"FROM ({_TITLE_WORDS}) AS gone CROSS JOIN LATERAL "
                    f"(SELECT g.ctid FROM {TITLE_WORDS_TABLE} g "
                    "WHERE g.word = gone.lexeme AND g.modified = gone.modified AND g.doc_id = gone.doc_id "
                    "OFFSET 0) AS e))"
                ),
                {"ids": list(doc_ids)},
            )
            conn.execute(sa.text(f"DELETE FROM {TSV_TABLE} WHERE doc_id = ANY(:ids)"), {"ids": list(doc_ids)})

    def clear(self, conn: Connection) -> None:
        conn.execute(sa.text(f"DELETE FROM {TITLE_WORDS_TABLE}"))
        conn.execute(sa.text(f"DELETE FROM {TSV_TABLE}"))
        conn.execute(sa.text(f"DELETE FROM {TERMS_TABLE}"))

    def hits(
        self,
        terms: Sequence[QueryTerm],
        *,
        any_term: bool,
        titles_only: bool,
        ranked: bool = True,
        fields: Sequence[str] = (),
        score_only: bool = False,
    ) -> Subquery:
        score = _score(terms, fields) if score_only else _rank(TSV_COLUMN, "query", terms, any_term=any_term)
        rank = f"{score} AS rank" if ranked else "0 AS rank"
        return (
            sa.text(
                f"SELECT doc_id, {rank}, {', '.join(_ROW_COLUMNS)}, {KEYWORD_IDS_COLUMN} "
                f"FROM {TSV_TABLE}, to_tsquery('simple', :match) AS query WHERE {TSV_COLUMN} @@ query"
            )
            .bindparams(_match(_tsquery(terms, any_term=any_term, titles_only=titles_only, fields=fields)))
            .columns(
                sa.column("doc_id", sa.Integer),
                sa.column("rank", sa.Float),
                sa.column("state", sa.String),
                sa.column("visibility", sa.String),
                sa.column("organization_id", sa.String),
                sa.column("modified", sa.DateTime(timezone=True)),
                sa.column("facet_ids", postgresql.ARRAY(sa.BigInteger)),
                sa.column(KEYWORD_IDS_COLUMN, postgresql.ARRAY(sa.BigInteger)),
            )
            .subquery("hits")
        )

    def phrase_hits(
        self, groups: Sequence[Sequence[tuple[str, ...]]], *, fields: Sequence[str] = ()
    ) -> Subquery:
        # <-> is tsquery's "followed by": the same rows in a row as FTS5's phrases.
        weights = "".join("ABCD"[FIELDS.index(f)] for f in _fields(fields, False))
        suffix = f":{weights}" if weights else ""
        expression = " & ".join(
            "("
            + " | ".join("(" + " <-> ".join(f"'{t}'{suffix}" for t in tokens) + ")" for tokens in group)
            + ")"
            for group in groups
        )
        return (
            sa.text(
                f"SELECT doc_id, 0 AS rank, {', '.join(_ROW_COLUMNS)} "
                f"FROM {TSV_TABLE}, to_tsquery('simple', :match) AS query WHERE {TSV_COLUMN} @@ query"
            )
            .bindparams(_match(expression))
            .columns(
                sa.column("doc_id", sa.Integer),
                sa.column("rank", sa.Float),
                sa.column("state", sa.String),
                sa.column("visibility", sa.String),
                sa.column("organization_id", sa.String),
                sa.column("modified", sa.DateTime(timezone=True)),
                sa.column("facet_ids", postgresql.ARRAY(sa.BigInteger)),
            )
            .subquery("hits")
        )

    def ranks(
        self, terms: Sequence[QueryTerm], *, any_term: bool, doc_ids: Sequence[int], titles_only: bool = False
    ) -> Subquery:
        """(doc_id, rank) of these documents, which all match `terms`: only their vectors are read. With
        `titles_only`, of those whose title or keywords match (checked on these vectors only)."""
        vectors = sa.table(TSV_TABLE, sa.column("doc_id", sa.Integer), sa.column(TSV_COLUMN)).alias("ranked")
        expression = _tsquery(terms, any_term=any_term, titles_only=titles_only)
        query = sa.func.to_tsquery("simple", expression)
        vector = f"ranked.{TSV_COLUMN}"
        rank = sa.literal_column(
            _rank(vector, f"to_tsquery('simple', {_literal(expression)})", terms, any_term=any_term), sa.Float
        )
        ids = sa.bindparam("ids", list(doc_ids), type_=postgresql.ARRAY(sa.Integer))
        where = [vectors.c.doc_id == sa.func.any(ids)]
        if titles_only:
            where.append(vectors.c[TSV_COLUMN].op("@@")(query))
        return (
            sa.select(vectors.c.doc_id, sa.cast(rank, sa.Float).label("rank")).where(*where).subquery("ranks")
        )

    def titled(self, terms: Sequence[QueryTerm], *, through_vectors: bool) -> Subquery:
        """(doc_id, state, visibility, organization_id, modified, titles) of the documents whose title or
        keywords hold every term, tested on their rows' own title vectors (`titles`, migration 0025), so
        that no whole vector is read. With `through_vectors`, found through the whole vectors' GIN index
        first (for words few documents have); without, the caller walks rows in an order of its own (the
        newest first) and each is tested as it comes."""
        # Not coalesce(): the planner knows how common a word is in `titles` (its statistics), not in an
        # expression, and would rather read every row than walk the newest for a word it thinks rare.
        titles = _titles()
        where = (
            f"({TITLES_COLUMN} @@ query OR ({TITLES_COLUMN} IS NULL AND "
            f"ts_filter({TSV_COLUMN}, '{{a,b}}') @@ query))"
        )
        binds = [_match(_tsquery(terms, any_term=False, titles_only=False))]
        if through_vectors:
            anywhere: sa.BindParameter[str] = sa.bindparam("anywhere", binds[0].value, unique=True)
            where = f"{TSV_COLUMN} @@ to_tsquery('simple', :anywhere) AND {where}"
            binds.append(anywhere)
        return (
            sa.text(
                f"SELECT doc_id, {', '.join(_ROW_COLUMNS[:-1])}, {titles} AS titles "
                f"FROM {TSV_TABLE}, to_tsquery('simple', :match) AS query WHERE {where}"
            )
            .bindparams(*binds)
            .columns(
                sa.column("doc_id", sa.Integer),
                sa.column("state", sa.String),
                sa.column("visibility", sa.String),
                sa.column("organization_id", sa.String),
                sa.column("modified", sa.DateTime(timezone=True)),
                sa.column("titles", postgresql.TSVECTOR),
            )
            .subquery("titled")
        )

    def title_words(self, conn: Connection, term: QueryTerm, at_most: int) -> list[str] | None:
        """The words of the index of title words (migration 0029) that `term` finds (starting with its
        prefix or with one of its words: see _TITLE_WORDS), or None when there are more than `at_most`.
        Each is found by one descent of the index (a skip scan), whatever how many documents have it."""
        starts = (term.prefix, *term.alternatives) if term.prefix else term.alternatives
        found: list[str] = []
        for start in starts:
            below = start[:-1] + chr(ord(start[-1]) + 1)
            rows = conn.execute(
                sa.text(
                    f"WITH RECURSIVE found(word) AS ("
                    f"(SELECT word FROM {TITLE_WORDS_TABLE} WHERE word >= :start AND word < :below "
                    "ORDER BY word LIMIT 1) UNION ALL "
                    f"SELECT (SELECT w.word FROM {TITLE_WORDS_TABLE} w WHERE w.word > found.word "
                    "AND w.word < :below ORDER BY w.word LIMIT 1) FROM found WHERE found.word IS NOT NULL) "
                    "SELECT word FROM found WHERE word IS NOT NULL LIMIT :most"
                ),
                {"start": start, "below": below, "most": at_most + 1 - len(found)},
            ).scalars()
            found.extend(rows)
            if len(found) > at_most:
                return None
        return sorted(set(found))

    def newest_titled(
        self, terms: Sequence[QueryTerm], window: int, *, words: Sequence[str] | None = None
    ) -> Subquery:
        """(doc_id, modified, titles) of the `window` most recently modified published public documents
        whose title or keywords hold every term, newest first (then by doc_id), as the rows of `titled`
        in that order would give them. Candidates come from the index of their words (migration 0029)
        alone: for each term, the documents with a word starting with its prefix or with one of its
        words (a word kept there may be longer than the one asked: see _TITLE_WORDS); then, newest
        first, each is read by key and tested on its row until `window` have passed, so an entry
        longer than the word asked, or left by a writer of an earlier release, never takes a place.

        With `words` (one term: the words title_words found for it), only the `window` newest entries of
        each word are read: the window's newest documents are among them, however common the words (the
        type-ahead's way). Without, every entry of every term is read, each term required (kept exact
        and tested against the other ways; the type-ahead starts several words from the GIN index)."""
        parts = []
        binds: dict[str, Any] = {}
        if words is not None:
            parts.append(
                f"SELECT e.doc_id, e.modified, 0 AS n FROM unnest(CAST(:words AS text[])) AS w(word) "
                f"CROSS JOIN LATERAL (SELECT doc_id, modified FROM {TITLE_WORDS_TABLE} t "
                f'WHERE t.word = w.word COLLATE "C" ORDER BY t.modified DESC, t.doc_id '
                f"LIMIT {int(window)}) AS e"
            )
            binds["words"] = list(words)
        for n, term in enumerate(terms if words is None else ()):
            # In the "C" order of the column, the words starting with a prefix are one range.
            for m, start in enumerate(
                (term.prefix, *term.alternatives) if term.prefix else term.alternatives
            ):
                parts.append(
                    f"SELECT doc_id, modified, {n} AS n FROM {TITLE_WORDS_TABLE} "
                    f"WHERE word >= :from{n}_{m} AND word < :below{n}_{m}"
                )
                binds[f"from{n}_{m}"] = start
                binds[f"below{n}_{m}"] = start[:-1] + chr(ord(start[-1]) + 1)
        every = f"HAVING count(DISTINCT n) = {len(terms)} " if len(terms) > 1 else ""
        titles = _titles("t.")
        return (
            sa.text(
                # The candidates sorted newest first, then each row read by key (a lateral subquery the
                # planner keeps as it is: OFFSET 0) until `window` have passed; joined plainly, the
                # planner reads every candidate's row and sorts after (45 ms instead of ~10 for 3,173
                # candidates at 100,000 documents).
                f"SELECT t.doc_id, t.modified, t.titles FROM ("
                f"SELECT doc_id, modified FROM ({' UNION ALL '.join(parts)}) AS entries "
                f"GROUP BY doc_id, modified {every}ORDER BY modified DESC, doc_id OFFSET 0) AS candidates "
                f"CROSS JOIN LATERAL (SELECT t.doc_id, t.modified, {titles} AS titles FROM {TSV_TABLE} t, "
                "to_tsquery('simple', :match) AS query WHERE t.doc_id = candidates.doc_id "
                "AND t.modified = candidates.modified AND t.state = 'published' AND t.visibility = 'public' "
                f"AND {titles} @@ query OFFSET 0) AS t "
                f"ORDER BY candidates.modified DESC, candidates.doc_id LIMIT {int(window)}"
            )
            .bindparams(_match(_tsquery(terms, any_term=False, titles_only=False)), **binds)
            .columns(
                sa.column("doc_id", sa.Integer),
                sa.column("modified", sa.DateTime(timezone=True)),
                sa.column("titles", postgresql.TSVECTOR),
            )
            .subquery("newest_titled")
        )

    def title_rank(self, vector: str, terms: Sequence[QueryTerm]) -> str:
        """A rank (lower is better) of title vectors (`vector`, an SQL expression) that match every one of
        `terms`, in the order of `ranks(titles_only=True)`: every word is in their title or keywords, so
        _rank's count of such words is the same for all of them, and ts_rank_cd alone orders them (once
        per row rather than twice, and no test per word)."""
        expression = _tsquery(terms, any_term=False, titles_only=True)
        return f"-ts_rank_cd({_WEIGHTS}, {vector}, to_tsquery('simple', {_literal(expression)}), 1)"


# ts_rank_cd's weight array is {D, C, B, A}; normalisation 1 divides by 1 + log(length) like bm25's length
# damping. Negated so that, as with bm25, lower is better.
_WEIGHTS = "'{" + ", ".join(str(w / WEIGHTS[0]) for w in reversed(WEIGHTS)) + "}'"


def _titled_score(fields: Sequence[str]) -> bool:
    """Whether the engine's score alone (CKAN's `score`) weighs the title and keywords only: unless the
    words are looked for in other fields alone."""
    chosen = _fields(fields, False)
    return not chosen or bool({"title", "keywords"} & set(chosen))


def _score_weights(fields: Sequence[str]) -> str:
    """FTS5's bm25 weights of the engine's score alone (see _score): the title and keywords'."""
    counted = ("title", "keywords") if _titled_score(fields) else FIELDS
    return ", ".join(str(w if f in counted else 0.0) for f, w in zip(FIELDS, WEIGHTS, strict=True))


def _score(terms: Sequence[QueryTerm], fields: Sequence[str]) -> str:
    """The engine's score alone (lower is better), as CKAN's package_search orders by it: ts_rank of the
    title and keywords (the row's `titles`, in line) against any of the words, with the field weights, so
    that a match with more of the words there, and more often, ranks higher, and one with none of them
    there scores 0 and is ordered by the listing's next key (newest first by default). The whole vector
    is ranked only when the words are looked for outside the title and keywords alone (`fields`).

    Ranking every match's whole vector read each one out of line and decompressed it: two thirds of
    package_search at 1,000,000 datasets, ~26,000 matches a query. ts_rank_cd of the titles still cost
    3.5× counting the matches (28,073 at 100,000: +67 ms against +19 for ts_rank)."""
    if not _titled_score(fields):
        return f"-ts_rank_cd({_WEIGHTS}, {TSV_COLUMN}, query, 1)"
    words = _literal(_tsquery(terms, any_term=True, titles_only=False))
    return f"-ts_rank({_WEIGHTS}, {_titles()}, to_tsquery('simple', {words}), 1)"


def _rank(vector: str, query: str, terms: Sequence[QueryTerm], *, any_term: bool) -> str:
    """As _fts5_rank: words matched (when any will do), then words in the title or keywords (weights A
    and B), then ts_rank_cd."""
    relevance = f"-ts_rank_cd({_WEIGHTS}, {vector}, {query}, 1)"

    def has(expression: str) -> str:
        return f"({vector} @@ to_tsquery('simple', {_literal(expression)}))::int"

    anywhere = [has(_tsquery_term(t, "")) for t in terms] if any_term and len(terms) > 1 else []
    prominent = [has(_tsquery_term(t, "AB")) for t in terms]
    return _coverage(anywhere, prominent, relevance)


def _tsquery(
    terms: Sequence[QueryTerm], *, any_term: bool, titles_only: bool, fields: Sequence[str] = ()
) -> str:
    # setweight gave title A, keywords B, description C and the rest D (see PostgresTSV.write).
    weights = "".join("ABCD"[FIELDS.index(f)] for f in _fields(fields, titles_only))
    return (" | " if any_term else " & ").join(_tsquery_term(t, weights) for t in terms)


def _tsquery_term(term: QueryTerm, weights: str) -> str:
    # As for FTS5: terms are letters and digits only, so quoting makes them plain lexemes.
    suffix = f":{weights}" if weights else ""
    options = [f"'{alt}'{suffix}" for alt in term.alternatives]
    if term.prefix:
        options.append(f"'{term.prefix}':*{weights}")
    return "(" + " | ".join(options) + ")"


@contextmanager
def words_from_the_index(conn: Connection) -> Iterator[None]:
    """Within this block, statements on PostgreSQL find the documents with some words through the vectors'
    GIN index, never by reading every row and testing its vector, the planner's choice when it expects
    more than a few percent of the documents to match: it prices the test of a vector as one operator,
    but each is a TOAST read and a decompression (package_search's words at 100,000 datasets: 1,000 ms
    reading every vector, 47 ms through the index for 7,511 matches). And the matches' other rows are
    read by key (random_page_cost as for cached or solid-state storage): kept from scanning whole tables,
    the planner would otherwise read all of search_documents' index to hash it (33 ms at 100,000 for
    1,402 matches; 44 ms for the whole statement by key). Scoped to the caller's transaction (to the
    session on a read's connection, which has none) and put back as it was after the block, in three
    statements; nothing on SQLite."""
    if conn.dialect.name != "postgresql":
        yield
        return
    # Inside a transaction the settings are the transaction's; on a read's connection, where each statement
    # is its own transaction (Store.read), they are the session's until the block puts them back.
    local = conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT"
    before = conn.execute(_CURRENT_SETTINGS).one()
    conn.execute(_SET_SETTINGS, {"seqscan": "off", "page_cost": "1.1", "local": local})
    try:
        yield
    finally:
        conn.execute(_SET_SETTINGS, {"seqscan": before[0], "page_cost": before[1], "local": local})


_CURRENT_SETTINGS = sa.text("SELECT current_setting('enable_seqscan'), current_setting('random_page_cost')")
_SET_SETTINGS = sa.text(
    "SELECT set_config('enable_seqscan', :seqscan, :local), "
    "set_config('random_page_cost', :page_cost, :local)"
)


def backend_for(conn: Connection) -> Backend:
    if conn.dialect.name == "postgresql":
        return PostgresTSV()
    return SQLiteFTS()
