"""PostgreSQL: each document's search row holds what a search reads of every match, and its vector goes
back to TOAST.

A text search that matches 80,000 of a million documents used to read, for each match, its ~2.5 kB
vector (kept in the row since 0011), its search_documents row (visibility) and its search_doc_values rows
(facets): over a second. search_tsv now also holds the document's state, visibility, publisher and date
and the ids of its facet values except keywords (`facet_ids`, sorted), so finding, counting and
faceting the matches reads one narrow row each, and the vectors, out of line again, are read only for
the few matches that are ranked (see obert.search.index).

Additive: the new columns are nullable, and processes of the previous release, which insert only
(doc_id, tsv) and write search_facets after search_tsv, still get complete rows: a trigger on search_tsv
fills the columns of a row inserted without them, and the statement trigger on search_facets (0011)
now also sets the facet ids of documents whose search row already exists. The codes below are this
migration's own copy and must never change. SQLite: nothing (its search reads search_documents).

Revision ID: 0012_searchrows
Revises: 0011_searchq
"""

from __future__ import annotations

from alembic import op

revision = "0012_searchrows"
down_revision = "0011_searchq"
branch_labels = None
depends_on = None

FILL = "search_tsv_fill"
FACETS = "search_facets_values"  # 0011's statement trigger function on search_facets
SEQUENCE = "search_values_seq"
KEYWORD_CODE = 9  # value ids below 9 << 32 are the facets search_tsv.facet_ids holds

_FACET_IDS = (
    "ARRAY(SELECT v.value_id FROM search_doc_values v WHERE v.doc_id = {doc} "
    f"AND v.value_id < ({KEYWORD_CODE}::bigint << 32) ORDER BY v.value_id)"
)

# A row inserted by the previous release (only doc_id and tsv) gets the rest from its document.
FILL_FUNCTION = f"""
CREATE FUNCTION {FILL}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT d.state, d.visibility, d.organization_id, d.modified, {_FACET_IDS.format(doc="d.doc_id")}
        INTO NEW.state, NEW.visibility, NEW.organization_id, NEW.modified, NEW.facet_ids
        FROM search_documents d WHERE d.doc_id = NEW.doc_id;
    RETURN NEW;
END
$$
"""
FILL_TRIGGER = f"""
CREATE TRIGGER {FILL} BEFORE INSERT ON search_tsv
FOR EACH ROW WHEN (NEW.state IS NULL) EXECUTE FUNCTION {FILL}()
"""

_CODES = {
    "publisher": 1,
    "theme": 2,
    "format": 3,
    "licence": 4,
    "sector": 5,
    "language": 6,
    "has_api": 7,
    "keyword": 9,
}


def _code(column: str) -> str:
    cases = " ".join(f"WHEN '{facet}' THEN {code}" for facet, code in _CODES.items())
    return f"(CASE {column} {cases} ELSE 8 END)"


# 0011's function, plus the last statement: the previous release writes a document's search row before
# its facets, so their ids reach the row here. This release writes facets first (no row to update yet).
FACETS_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {FACETS}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_values (value_id, facet, value, lang)
        SELECT ({_code("n.facet")}::bigint << 32) + nextval('{SEQUENCE}'), n.facet, n.value, n.lang
        FROM (SELECT DISTINCT facet, value, lang FROM new_rows) n
        WHERE NOT EXISTS (
            SELECT 1 FROM search_values v WHERE v.facet = n.facet AND v.value = n.value AND v.lang = n.lang
        )
        ON CONFLICT DO NOTHING;
    INSERT INTO search_doc_values (doc_id, value_id)
        SELECT n.doc_id, v.value_id FROM new_rows n
        JOIN search_values v ON v.facet = n.facet AND v.value = n.value AND v.lang = n.lang;
    UPDATE search_tsv t SET facet_ids = {_FACET_IDS.format(doc="t.doc_id")}
        WHERE t.doc_id IN (SELECT DISTINCT doc_id FROM new_rows);
    RETURN NULL;
END
$$
"""

FACETS_FUNCTION_0011 = FACETS_FUNCTION.replace(
    f"""    UPDATE search_tsv t SET facet_ids = {_FACET_IDS.format(doc="t.doc_id")}
        WHERE t.doc_id IN (SELECT DISTINCT doc_id FROM new_rows);
""",
    "",
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "ALTER TABLE search_tsv "
        "ADD COLUMN state varchar(20), ADD COLUMN visibility varchar(10), "
        "ADD COLUMN organization_id varchar(36), ADD COLUMN modified timestamp with time zone, "
        "ADD COLUMN facet_ids bigint[]"
    )
    op.execute(FILL_FUNCTION)
    op.execute(FILL_TRIGGER)
    op.execute(FACETS_FUNCTION)
    # Vectors out of line again: a row over 128 bytes moves its vector to TOAST (an uncompressed vector
    # under 2 kB, a small document's, stays in the row: PostgreSQL looks at rows over 2 kB only). The
    # small columns stay in the row whatever its size (PLAIN): moved out too, each match's facet ids
    # cost a TOAST lookup (7 µs; counting 76,000 matches' facets took 0.8 s instead of 0.04 s).
    op.execute("ALTER TABLE search_tsv ALTER COLUMN tsv SET STORAGE EXTENDED")
    for column in ("state", "visibility", "organization_id", "facet_ids"):
        op.execute(f"ALTER TABLE search_tsv ALTER COLUMN {column} SET STORAGE PLAIN")
    op.execute("ALTER TABLE search_tsv SET (toast_tuple_target = 128)")
    # Every row is written anew, with its new columns and its vector stored by the rules above
    # (concatenating an empty vector makes a new value), then the table is compacted; CLUSTER, unlike
    # VACUUM FULL, may run inside the migration's transaction.
    op.execute(
        "UPDATE search_tsv t SET tsv = t.tsv || ''::tsvector, state = d.state, "
        "visibility = d.visibility, organization_id = d.organization_id, modified = d.modified, "
        f"facet_ids = {_FACET_IDS.format(doc='t.doc_id')} "
        "FROM search_documents d WHERE d.doc_id = t.doc_id"
    )
    op.execute("CLUSTER search_tsv USING search_tsv_pkey")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(FACETS_FUNCTION_0011)
    op.execute(f"DROP TRIGGER {FILL} ON search_tsv")
    op.execute(f"DROP FUNCTION {FILL}()")
    for column in ("state", "visibility", "organization_id", "modified", "facet_ids"):
        op.execute(f"ALTER TABLE search_tsv DROP COLUMN {column}")
    op.execute("ALTER TABLE search_tsv SET (toast_tuple_target = 8160)")  # as 0011 left it
    op.execute("ALTER TABLE search_tsv ALTER COLUMN tsv SET STORAGE MAIN")
