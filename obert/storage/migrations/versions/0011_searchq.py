"""Facet values as integers: a dictionary of values and a narrow table of (document, value) pairs, which
facet counts and filters read instead of search_facets' text rows.

A value's id is its facet's code shifted left by 32 bits plus a number, so each document's pairs are
stored facet by facet (see obert.storage.tables.search). The codes below are this migration's own copy
and must never change: ids already stored carry them.

Additive (processes of the previous release may still serve while and after it runs): search_facets
stays and is still what the index writes. A trigger on it fills the new tables, so rows written by either
release reach them, and a document's pairs are deleted with the document (ON DELETE CASCADE), however it
is deleted. The trigger is created before the backfill, in the same transaction, so no row is missed.

On PostgreSQL the tsvectors also move from TOAST into their rows (see _vectors_inline): the table is
rewritten, and searches of the previous release wait for that (its lock) while it runs.

Revision ID: 0011_searchq
Revises: 0010_searchperf
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_searchq"
down_revision = "0010_searchperf"
branch_labels = None
depends_on = None

TRIGGER = "search_facets_values"
SEQUENCE = "search_values_seq"  # PostgreSQL: numbers for new values, under their facet's code
CODES = {
    "publisher": 1,
    "theme": 2,
    "format": 3,
    "licence": 4,
    "sector": 5,
    "language": 6,
    "has_api": 7,
    "keyword": 9,
}
OTHER = 8


def _code(column: str) -> str:
    cases = " ".join(f"WHEN '{facet}' THEN {code}" for facet, code in CODES.items())
    return f"(CASE {column} {cases} ELSE {OTHER} END)"


# SQLite writes one transaction at a time, so the next number of a facet is its largest id plus one (a
# seek on the primary key), looked up only for a value not known yet.
SQLITE_TRIGGER = f"""
CREATE TRIGGER {TRIGGER} AFTER INSERT ON search_facets
BEGIN
    INSERT INTO search_values (value_id, facet, value, lang)
        SELECT (
            SELECT coalesce(max(value_id), {_code("NEW.facet")} << 32) + 1 FROM search_values
            WHERE value_id > ({_code("NEW.facet")} << 32) AND value_id < (({_code("NEW.facet")} + 1) << 32)
        ), NEW.facet, NEW.value, NEW.lang
        WHERE NOT EXISTS (
            SELECT 1 FROM search_values WHERE facet = NEW.facet AND value = NEW.value AND lang = NEW.lang
        );
    INSERT INTO search_doc_values (doc_id, value_id)
        SELECT NEW.doc_id, value_id FROM search_values
        WHERE facet = NEW.facet AND value = NEW.value AND lang = NEW.lang;
END
"""

# Once per INSERT statement, over all its rows (a transition table): a rebuild pays two set-based
# statements per batch, not a function call per row. Two transactions adding the same new value: the
# second waits on the unique constraint, skips it, and its next statement sees the first's row.
POSTGRES_FUNCTION = f"""
CREATE FUNCTION {TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$
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
    RETURN NULL;
END
$$
"""
POSTGRES_TRIGGER = f"""
CREATE TRIGGER {TRIGGER} AFTER INSERT ON search_facets
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {TRIGGER}()
"""


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    value_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "search_values",
        sa.Column("value_id", value_id, autoincrement=False, nullable=False),
        sa.Column("facet", sa.String(length=20), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.PrimaryKeyConstraint("value_id", name=op.f("pk_search_values")),
        sa.UniqueConstraint("facet", "value", "lang", name=op.f("uq_search_values_facet")),
    )
    op.create_table(
        "search_doc_values",
        sa.Column("doc_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("value_id", value_id, autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(
            ["doc_id"],
            ["search_documents.doc_id"],
            name=op.f("fk_search_doc_values_doc_id_search_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("doc_id", "value_id", name=op.f("pk_search_doc_values")),
        sqlite_with_rowid=False,
    )
    if postgres:
        op.execute(f"CREATE SEQUENCE {SEQUENCE}")
        op.execute(POSTGRES_FUNCTION)
        op.execute(POSTGRES_TRIGGER)
        number = f"nextval('{SEQUENCE}')"
    else:
        op.execute(SQLITE_TRIGGER)
        number = "row_number() OVER (PARTITION BY facet ORDER BY value, lang)"
    op.execute(
        "INSERT INTO search_values (value_id, facet, value, lang) "
        f"SELECT (CAST({_code('facet')} AS BIGINT) << 32) + {number}, facet, value, lang "
        "FROM (SELECT DISTINCT facet, value, lang FROM search_facets) AS known"
    )
    op.execute(
        "INSERT INTO search_doc_values (doc_id, value_id) "
        "SELECT f.doc_id, v.value_id FROM search_facets f JOIN search_values v "
        "ON v.facet = f.facet AND v.value = f.value AND v.lang = f.lang"
    )
    if postgres:
        _vectors_inline()


def _vectors_inline() -> None:
    """Keep each document's tsvector in its row rather than in the TOAST table.

    A vector (~2.5 kB for a trilingual dataset) is over the 2 kB at which PostgreSQL moves values out of
    line, so ranking thousands of matches fetched each one from TOAST through its index: at 100,000
    documents, ranking 8,000 matches took twice as long as with the vectors in the rows. Existing vectors
    are rewritten (concatenating an empty vector makes a new value, stored by the new rules) and the
    table compacted; CLUSTER, unlike VACUUM FULL, may run inside the migration's transaction.
    """
    op.execute("ALTER TABLE search_tsv SET (toast_tuple_target = 8160)")
    op.execute("ALTER TABLE search_tsv ALTER COLUMN tsv SET STORAGE MAIN")
    op.execute("UPDATE search_tsv SET tsv = tsv || ''::tsvector")
    op.execute("CLUSTER search_tsv USING search_tsv_pkey")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE search_tsv ALTER COLUMN tsv SET STORAGE EXTENDED")
        op.execute("ALTER TABLE search_tsv RESET (toast_tuple_target)")
        op.execute(f"DROP TRIGGER {TRIGGER} ON search_facets")
        op.execute(f"DROP FUNCTION {TRIGGER}()")
        op.execute(f"DROP SEQUENCE {SEQUENCE}")
    else:
        op.execute(f"DROP TRIGGER {TRIGGER}")
    op.drop_table("search_doc_values")
    op.drop_table("search_values")
