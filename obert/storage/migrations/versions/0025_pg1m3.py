"""PostgreSQL: each search row also holds the words of its title and keywords alone (`titles`, the vector's
A and B positions), in the row, so that the type-ahead tests and ranks a document without reading its
whole vector out of TOAST.

The type-ahead (obert.search.typeahead.suggest) walked the newest published rows testing every whole vector
for the typed words (each a TOAST read and a decompression), then ranked its window of 1,000 matches on
their whole vectors again: p95 148 ms at a million datasets. `titles` is what `ts_filter(tsv, '{a,b}')`
gives, written by the index writer in the same INSERT as the vector (obert.search.backends.PostgresTSV),
so no trigger and no second write keeps it; a few hundred bytes a row, stored in the row (MAIN: the
table's toast_tuple_target of 128 bytes would otherwise move it out with the vector).

Additive: a row written by a process of the previous release has no `titles` (NULL), and the type-ahead
reads `coalesce(titles, ts_filter(tsv, '{a,b}'))`, which is the same, only slower for those rows. Existing
rows are filled here from their vectors. SQLite: nothing (its type-ahead reads FTS5's title and keywords
columns).

Revision ID: 0025_pg1m3
Revises: 0024_pg1m
"""

from __future__ import annotations

from alembic import op

revision = "0025_pg1m3"
down_revision = "0024_pg1m"
branch_labels = None
depends_on = None

STEP = 50_000


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE search_tsv ADD COLUMN titles tsvector")
    op.execute("ALTER TABLE search_tsv ALTER COLUMN titles SET STORAGE MAIN")
    last = bind.exec_driver_sql("SELECT max(doc_id) FROM search_tsv").scalar()
    for low in range(0, int(last or 0) + 1, STEP):
        bind.exec_driver_sql(
            "UPDATE search_tsv SET titles = ts_filter(tsv, '{a,b}') WHERE doc_id >= %(low)s AND doc_id < %(high)s",
            {"low": low, "high": low + STEP},
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE search_tsv DROP COLUMN titles")
