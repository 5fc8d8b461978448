"""SQLite: each document's search_documents row lists the ids of its facet values, as PostgreSQL's
search_tsv row does since 0012 (keywords included here).

A SQLite search reaches each match's search_documents row anyway (visibility, by rowid); counting facets
then looked up each match's search_doc_values rows, a second B-tree seek per match and a sort of every
value: 10 of the 23 ms of a typical search at 100,000 documents, and the keyword facet 12 ms more.
`facet_ids` (the ids in decimal, space-separated) comes with the row, and obert.search.index counts
them.

Additive: the column is nullable and kept by a trigger, so rows written by the previous release (which
writes search_facets, whose 0011 trigger fills search_doc_values) get their ids too. A document's values
are only ever deleted with the document (ON DELETE CASCADE), so appending each new value is enough.
PostgreSQL: nothing.

Revision ID: 0013_searchids
Revises: 0012_searchrows
"""

from __future__ import annotations

from alembic import op

revision = "0013_searchids"
down_revision = "0012_searchrows"
branch_labels = None
depends_on = None

TRIGGER = "search_doc_values_ids"

TRIGGER_SQL = f"""
CREATE TRIGGER {TRIGGER} AFTER INSERT ON search_doc_values
BEGIN
    UPDATE search_documents SET facet_ids = coalesce(facet_ids || ' ', '') || NEW.value_id
        WHERE doc_id = NEW.doc_id;
END
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        return
    op.execute("ALTER TABLE search_documents ADD COLUMN facet_ids TEXT")
    op.execute(TRIGGER_SQL)
    op.execute(
        "UPDATE search_documents SET facet_ids = ("
        "SELECT group_concat(value_id, ' ') FROM search_doc_values v WHERE v.doc_id = search_documents.doc_id)"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        return
    op.execute(f"DROP TRIGGER {TRIGGER}")
    op.execute("ALTER TABLE search_documents DROP COLUMN facet_ids")
