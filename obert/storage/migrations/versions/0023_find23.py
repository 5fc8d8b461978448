"""SQLite keeps its index's vocabulary as PostgreSQL does (0021): a table of each indexed term with the
number of documents that hold it, written with the index (obert.search.backends.SQLiteFTS), and an FTS5
trigram index of the terms for similar words, in place of reading the whole FTS5 index through fts5vocab
(seconds at 100,000 documents).

search_terms is a rowid table, so the trigram index can be an external-content FTS5 table over it, kept
by a trigger as terms are added. Rows are never deleted but all at once (a term no document holds any
more keeps a count of 0, as on PostgreSQL), when the index is emptied along with them ('delete-all').
The fts5vocab table of 0021 stays for processes of the previous release during the upgrade.

Harvest runs and items also keep their error and reason as a message id and parameters
(obert.errors.message_record) beside the English text, so the harvest pages give them in the reader's
language: two nullable JSON columns (rows written before have none, and show their English).

Revision ID: 0023_find23
Revises: 0022_facets
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

_JSON = sa.JSON().with_variant(JSONB(), "postgresql")

revision = "0023_find23"
down_revision = "0022_facets"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("harvest_runs", sa.Column("error_message", _JSON))
    op.add_column("harvest_items", sa.Column("reason_message", _JSON))
    if op.get_bind().dialect.name != "sqlite":
        return  # PostgreSQL has had its vocabulary since 0021
    op.execute("CREATE TABLE search_terms (term TEXT PRIMARY KEY, docs INTEGER NOT NULL)")
    op.execute(
        "CREATE VIRTUAL TABLE search_terms_trigrams USING fts5(term, tokenize = 'trigram', "
        "content = 'search_terms', content_rowid = 'rowid', detail = 'column')"
    )
    op.execute(
        "CREATE TRIGGER search_terms_trigrams_add AFTER INSERT ON search_terms BEGIN "
        "INSERT INTO search_terms_trigrams (rowid, term) VALUES (new.rowid, new.term); END"
    )
    # The vocabulary of what is indexed already (a rebuild would write it too).
    op.execute("INSERT INTO search_terms (term, docs) SELECT term, doc FROM search_fts_vocab ORDER BY term")


def downgrade() -> None:
    with op.batch_alter_table("harvest_items") as batch:
        batch.drop_column("reason_message")
    with op.batch_alter_table("harvest_runs") as batch:
        batch.drop_column("error_message")
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("DROP TRIGGER IF EXISTS search_terms_trigrams_add")
    op.execute("DROP TABLE IF EXISTS search_terms_trigrams")
    op.execute("DROP TABLE IF EXISTS search_terms")
