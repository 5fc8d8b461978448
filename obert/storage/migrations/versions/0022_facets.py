"""The search index keeps what CKAN's `groups` and `tags` facets count, so that one facet system
(obert.search.facets) counts every face's facets.

Data only, and what a reindex would write: each indexed dataset gets a `group` facet row per group it
belongs to, and a keyword row in the language "*" per word among its keywords, whatever their languages
(CKAN counts a dataset once for a tag). The index's triggers file the rows' value ids; on PostgreSQL the
text rows' copies of the ids below the keywords' (search_tsv.facet_ids) are made again where groups came.

And an index of the datasets' listing columns by id: a listing joins each match of its words to its
dataset by id and reads only these (visibility, state, dates, name), from the index alone.

Revision ID: 0022_facets
Revises: 0021_find
"""

from __future__ import annotations

from alembic import op

revision = "0022_facets"
down_revision = "0021_find"
branch_labels = None
depends_on = None

KEYWORD_CODE = 9  # as in 0012: value ids below 9 << 32 are the facets search_tsv.facet_ids holds


LISTING_INDEX = "ix_datasets_listing"
LISTING_COLUMNS = ["id", "state", "visibility", "organization_id", "updated_at", "created_at", "name"]


def upgrade() -> None:
    op.create_index(LISTING_INDEX, "datasets", LISTING_COLUMNS)
    op.execute(
        "INSERT INTO search_facets (doc_id, facet, value, lang) "
        "SELECT DISTINCT d.doc_id, 'group', substr(g.name, 1, 200), '' FROM search_documents d "
        "JOIN dataset_groups dg ON dg.dataset_id = d.dataset_id JOIN groups g ON g.id = dg.group_id WHERE g.state = 'active'"
    )
    op.execute(
        "INSERT INTO search_facets (doc_id, facet, value, lang) "
        "SELECT DISTINCT doc_id, 'keyword', value, '*' FROM search_facets WHERE facet = 'keyword'"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "UPDATE search_tsv t SET facet_ids = ARRAY(SELECT v.value_id FROM search_doc_values v "
            f"WHERE v.doc_id = t.doc_id AND v.value_id < ({KEYWORD_CODE}::bigint << 32) "
            "ORDER BY v.value_id) "
            "WHERE t.doc_id IN (SELECT doc_id FROM search_facets WHERE facet = 'group')"
        )


def downgrade() -> None:
    op.drop_index(LISTING_INDEX, table_name="datasets")
    added = "(facet = 'group' OR (facet = 'keyword' AND lang = '*'))"
    op.execute(
        "DELETE FROM search_doc_values WHERE value_id IN "
        f"(SELECT value_id FROM search_values WHERE {added})"
    )
    op.execute(f"DELETE FROM search_facets WHERE {added}")
