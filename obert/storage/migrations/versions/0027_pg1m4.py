"""PostgreSQL: each search row also holds the ids of its document's keywords as CKAN counts them (once
per word whatever its languages: search_values.lang '*'), so that a listing with words counts CKAN's
`tags` from its matches' own rows, as it already counts publishers, formats and the rest from
`facet_ids` (0012).

package_search with words at a million datasets looked up every match's value rows to count its keywords
(21 rows a document, keywords in four languages): 434,970 rows read by key for 21,090 matches, ~300 ms
of 952. `keyword_ids` holds the ~7 ids that count, written by the index writer in the same INSERT as the
vector (obert.search.backends.PostgresTSV), so no trigger and no second write keeps it; in the row
(PLAIN, as facet_ids: moved out, each match's ids would cost a TOAST read).

Additive: a row written by a process of the previous release has no `keyword_ids` (NULL), and the
listing reads that document's keyword rows instead (same counts, slower for those rows). Existing rows
are filled here. SQLite: nothing (its matches carry every value id in search_documents.facet_ids).

Revision ID: 0027_pg1m4
Revises: 0026_jobmsg
"""

from __future__ import annotations

from alembic import op

revision = "0027_pg1m4"
down_revision = "0026_jobmsg"
branch_labels = None
depends_on = None

STEP = 50_000
KEYWORD_CODE = 9  # this migration's own copy (obert.storage.tables.search.FACET_CODES): never changes

# From the document's own keyword rows, each value's language looked up by its key: as a join, with
# search_values' statistics not yet gathered after a bulk load, PostgreSQL scanned every '*' value for
# each document (2 ms a document at a million).
KEYWORD_IDS = (
    "ARRAY(SELECT v.value_id FROM search_doc_values v "
    f"WHERE v.doc_id = t.doc_id AND v.value_id >= ({KEYWORD_CODE}::bigint << 32) "
    "AND (SELECT s.lang FROM search_values s WHERE s.value_id = v.value_id) = '*' ORDER BY v.value_id)"
)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE search_tsv ADD COLUMN keyword_ids bigint[]")
    op.execute("ALTER TABLE search_tsv ALTER COLUMN keyword_ids SET STORAGE PLAIN")
    last = bind.exec_driver_sql("SELECT max(doc_id) FROM search_tsv").scalar()
    for low in range(0, int(last or 0) + 1, STEP):
        bind.exec_driver_sql(
            f"UPDATE search_tsv t SET keyword_ids = {KEYWORD_IDS} "
            "WHERE t.doc_id >= %(low)s AND t.doc_id < %(high)s",
            {"low": low, "high": low + STEP},
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE search_tsv DROP COLUMN keyword_ids")
