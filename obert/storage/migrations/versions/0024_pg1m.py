"""Facet counts of the whole catalogue kept by the index's writes (obert.search.counts), so that browsing
without words reads its counts instead of counting up to every dataset; and indexes of the public
datasets by name and by date and name, the orders CKAN's package_list and
current_package_list_with_resources page in (a page at a large offset skips index entries, not rows).

search_counts: (filter_id, value_id) → documents with both, published and public (`public`) and not
deleted (`live`); filter 0 is no filter, value 0 the documents themselves; filters are values below the
keywords' code (9 << 32, as in 0012). Filled here from the index as it stands, in ranges of documents
(one statement over a million documents groups ~90 million pairs at once). On PostgreSQL, statistics of
search_facets' facet and value columns together (see FACET_STATISTICS), and an index of search_tsv's
published public rows by date (RECENT_INDEX).

Processes of the previous release write the index without adjusting search_counts. search_state.counted
says up to which version of the index the counts agree with it: this release's writers move it with the
version, earlier ones leave it behind, and counts left behind are never read (browsing counts from the
documents, as before) until `obert reindex` makes them again. So the upgrade may run while the previous
release serves, as every migration before it; run `obert reindex` once the old processes are gone if any
of them wrote meanwhile (`obert doctor` does not check it).

Revision ID: 0024_pg1m
Revises: 0023_find23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024_pg1m"
down_revision = "0023_find23"
branch_labels = None
depends_on = None

KEYWORDS_FROM = 9 << 32
_ValueId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
STEP = 50_000
PUBLIC = sa.text("state = 'published' AND visibility = 'public'")
PUBLIC_INDEXES = {"ix_datasets_public_name": ["name"], "ix_datasets_public_modified": ["updated_at", "name"]}
# PostgreSQL: statistics of facet and value together. Apart, the planner multiplies their selectivities
# ("theme" is a tenth of the rows, "TRAN" a hundredth of the values) and expects 600 documents of a theme
# that 12,000 have at 100,000: it then sorts all of them for a page instead of walking the date index
# (104 ms against 5.7 ms for a browse's page of one theme).
FACET_STATISTICS = "st_search_facets_facet_value"
# PostgreSQL: search_tsv's published public rows, newest first. The most recent matches of a common prefix
# ("tr" is in 68 % of the documents at a million) were found by testing every row's vector and sorting
# them (1.9 s for the type-ahead's window of 1,000); walking this index finds them in 10 ms. Rare words
# still start from the vectors' GIN index (the planner weighs the two).
RECENT_INDEX = "ix_search_tsv_recent"

FILL = f"""
WITH counted AS (
    SELECT doc_id, CASE WHEN state = 'published' AND visibility = 'public' THEN 1 ELSE 0 END AS pub
    FROM search_documents WHERE doc_id >= :low AND doc_id < :high AND state <> 'deleted'
),
ids AS (
    SELECT v.doc_id, v.value_id FROM search_doc_values v JOIN counted c ON c.doc_id = v.doc_id
    UNION ALL SELECT doc_id, 0 FROM counted
)
INSERT INTO search_counts (filter_id, value_id, public, live)
SELECT f.value_id, i.value_id, sum(c.pub), count(*)
FROM ids f JOIN ids i ON i.doc_id = f.doc_id JOIN counted c ON c.doc_id = f.doc_id
WHERE f.value_id < {KEYWORDS_FROM} AND (f.value_id = 0 OR i.value_id < {KEYWORDS_FROM})
GROUP BY f.value_id, i.value_id
ON CONFLICT (filter_id, value_id) DO UPDATE SET
    public = search_counts.public + excluded.public, live = search_counts.live + excluded.live
"""


# PostgreSQL: the same from search_tsv's rows, which carry state, visibility and the ids below the
# keywords (facet_ids): pairs unnested per document rather than joined (a third of the time).
FILL_POSTGRES = f"""
WITH counted AS (
    SELECT doc_id, facet_ids, CASE WHEN state = 'published' AND visibility = 'public' THEN 1 ELSE 0 END AS pub
    FROM search_tsv WHERE doc_id >= :low AND doc_id < :high AND state <> 'deleted'
),
pairs AS (
    SELECT 0::bigint AS filter_id, v.value_id, c.pub FROM counted c JOIN search_doc_values v USING (doc_id)
    UNION ALL SELECT 0, 0, pub FROM counted
    UNION ALL SELECT f, 0, pub FROM counted, unnest(facet_ids) AS f
    UNION ALL SELECT f, v, pub FROM counted, unnest(facet_ids) AS f, unnest(facet_ids) AS v
)
INSERT INTO search_counts (filter_id, value_id, public, live)
SELECT filter_id, value_id, sum(pub), count(*) FROM pairs
GROUP BY filter_id, value_id
ON CONFLICT (filter_id, value_id) DO UPDATE SET
    public = search_counts.public + excluded.public, live = search_counts.live + excluded.live
"""


def upgrade() -> None:
    op.add_column("search_state", sa.Column("counted", sa.String(length=32), nullable=True))
    op.create_table(
        "search_counts",
        sa.Column("filter_id", _ValueId, nullable=False, autoincrement=False),
        sa.Column("value_id", _ValueId, nullable=False, autoincrement=False),
        sa.Column("public", sa.Integer, nullable=False),
        sa.Column("live", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("filter_id", "value_id", name=op.f("pk_search_counts")),
        sqlite_with_rowid=False,
    )
    for name, columns in PUBLIC_INDEXES.items():
        op.create_index(name, "datasets", columns, postgresql_where=PUBLIC, sqlite_where=PUBLIC)
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(
            f"CREATE INDEX {RECENT_INDEX} ON search_tsv (modified DESC, doc_id) "
            "WHERE state = 'published' AND visibility = 'public'"
        )
        op.execute(f"CREATE STATISTICS {FACET_STATISTICS} (mcv, dependencies) ON facet, value FROM search_facets")
        op.execute("ANALYZE search_facets")
    last = bind.execute(sa.text("SELECT max(doc_id) FROM search_documents")).scalar()
    for low in range(0, int(last or 0) + 1, STEP):
        fill = FILL_POSTGRES if bind.dialect.name == "postgresql" else FILL
        bind.execute(sa.text(fill), {"low": low, "high": low + STEP})
    if bind.dialect.name == "postgresql":
        op.execute("ANALYZE search_counts")
    bind.execute(sa.text("UPDATE search_state SET counted = version"))  # filled from the index as it is


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP STATISTICS {FACET_STATISTICS}")
        op.execute(f"DROP INDEX {RECENT_INDEX}")
    for name in PUBLIC_INDEXES:
        op.drop_index(name, table_name="datasets")
    op.drop_table("search_counts")
    with op.batch_alter_table("search_state") as table:
        table.drop_column("counted")
