"""PostgreSQL: the words of the titles and keywords of the published public documents, with each document's
date (`search_title_words`: word, modified, doc_id), so that the type-ahead finds the newest documents with
a word starting like what was typed by reading an index alone.

The type-ahead (obert.search.typeahead) takes the 1,000 most recently modified documents whose title or
keywords hold the typed prefix, then ranks them. Without this table it either walked the newest rows testing
each title vector (fast for a prefix half the documents have) or fetched every match from the GIN index
(fast for a rare one); a prefix in a few percent of the titles was slow both ways (58–84 ms at a million
documents, reading ~33,000 rows of 1.1 kB). Here the same window is a range of the index on (word, modified
DESC, doc_id): one narrow entry per matching word, no row read.

One row per word of the row's `titles` that does not start another of its words ("barri" of "barris", a
stem of its word: about half of them; a prefix finds the document through the longer one), for published
public rows only; the words are compared in the "C" collation, so that a prefix's words are one range of
the index, as tsquery's prefix match (bytes) finds them. The type-ahead tests each candidate on its row. Kept by the index writer (obert.search.backends.
PostgresTSV: one statement per batch written or deleted, like the vocabulary). Rows written by a process of
an earlier release have no words here: the type-ahead tests every candidate on its search row (date,
visibility, words), so a stale entry is never served, and a missing one is a suggestion missed until
`obert reindex`. SQLite: nothing (its type-ahead reads the in-memory snapshot).

Revision ID: 0029_pg1m5
Revises: 0028_fileholds
"""

from __future__ import annotations

from alembic import op

revision = "0029_pg1m5"
down_revision = "0028_fileholds"
branch_labels = None
depends_on = None

STEP = 100_000


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute(
        "CREATE TABLE search_title_words (word text COLLATE \"C\" NOT NULL, "
        "modified timestamp with time zone NOT NULL, doc_id integer NOT NULL)"
    )
    last = bind.exec_driver_sql("SELECT max(doc_id) FROM search_tsv").scalar()
    for low in range(0, int(last or 0) + 1, STEP):
        bind.exec_driver_sql(
            "INSERT INTO search_title_words (word, modified, doc_id) "
            "SELECT lexeme, modified, doc_id FROM (SELECT w.lexeme, t.modified, t.doc_id, "
            'lead(w.lexeme) OVER (PARTITION BY t.doc_id ORDER BY w.lexeme COLLATE "C") AS next '
            "FROM search_tsv t, unnest(coalesce(t.titles, ts_filter(t.tsv, '{a,b}'))) AS w "
            "WHERE t.doc_id >= %(low)s AND t.doc_id < %(high)s "
            "AND t.state = 'published' AND t.visibility = 'public' AND t.modified IS NOT NULL) AS words "
            "WHERE next IS NULL OR NOT starts_with(next, lexeme)",
            {"low": low, "high": low + STEP},
        )
    # After the rows: one sort rather than an insert into the index per row.
    op.execute(
        "CREATE INDEX ix_search_title_words ON search_title_words (word, modified DESC, doc_id)"
    )
    op.execute("ANALYZE search_title_words")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TABLE search_title_words")
