"""PostgreSQL: the facet trigger plans its statements each time it runs.

The statement trigger on search_facets (0011, 0012) fills search_values, search_doc_values and the
search rows' facet ids. PL/pgSQL plans a function's statements once per connection and keeps the plans;
a rebuild runs the trigger once per batch of 2,000 documents, in one transaction, while those tables
grow from nothing to millions of rows. Planned while search_values looked empty (as it does after an
ANALYZE of an empty index, autovacuum's doing on a new database), the check for values already known
stayed a nested loop over every known value: 465 ms by the second batch, more as the dictionary grew;
the facet rows of a 100,000-document rebuild took 49.4 s instead of 20.8. Run through EXECUTE, each
statement is planned for the tables as they are, which costs far less than a batch's statements.

Additive: the same statements, the same trigger (CREATE OR REPLACE FUNCTION). The codes below are this
migration's own copy and must never change. SQLite: nothing (its trigger is a row trigger, planned per
statement).

Revision ID: 0014_searchplans
Revises: 0013_searchids
"""

from __future__ import annotations

from alembic import op

revision = "0014_searchplans"
down_revision = "0013_searchids"
branch_labels = None
depends_on = None

FUNCTION = "search_facets_values"
SEQUENCE = "search_values_seq"
KEYWORD_CODE = 9
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


# 0012's statements, in order.
STATEMENTS = (
    f"""INSERT INTO search_values (value_id, facet, value, lang)
        SELECT ({_code("n.facet")}::bigint << 32) + nextval('{SEQUENCE}'), n.facet, n.value, n.lang
        FROM (SELECT DISTINCT facet, value, lang FROM new_rows) n
        WHERE NOT EXISTS (
            SELECT 1 FROM search_values v WHERE v.facet = n.facet AND v.value = n.value AND v.lang = n.lang
        )
        ON CONFLICT DO NOTHING""",
    """INSERT INTO search_doc_values (doc_id, value_id)
        SELECT n.doc_id, v.value_id FROM new_rows n
        JOIN search_values v ON v.facet = n.facet AND v.value = n.value AND v.lang = n.lang""",
    f"""UPDATE search_tsv t SET facet_ids = ARRAY(
            SELECT v.value_id FROM search_doc_values v
            WHERE v.doc_id = t.doc_id AND v.value_id < ({KEYWORD_CODE}::bigint << 32) ORDER BY v.value_id
        )
        WHERE t.doc_id IN (SELECT DISTINCT doc_id FROM new_rows)""",
)


def _function(*, planned_each_time: bool) -> str:
    body = "".join(
        f"    EXECUTE $statement${statement}$statement$;\n" if planned_each_time else f"    {statement};\n"
        for statement in STATEMENTS
    )
    return (
        f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        f"BEGIN\n{body}    RETURN NULL;\nEND\n$$"
    )


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_function(planned_each_time=True))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_function(planned_each_time=False))
