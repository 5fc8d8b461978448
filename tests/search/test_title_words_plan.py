"""PostgreSQL: the type-ahead's words of a batch of documents are read from those documents' rows by key,
whatever the planner knows of the table. Given the ids as a condition beside the published public rows,
it walked the whole index of those rows by date for every batch, and a 1,000,000-dataset rebuild slowed
batch after batch (11 s for 2,000 documents at 450,000)."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from obert.portal import Portal
from obert.search import backends
from obert.storage.tables.search import TSV_TABLE
from tests.search.helpers import add_dataset

pytestmark = pytest.mark.postgres


def test_a_batch_words_are_read_by_key_as_the_catalogue_grows(portal: Portal) -> None:
    if portal.store.backend != "postgresql":
        pytest.skip("PostgreSQL's planner")
    with portal.store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text(f"ANALYZE {TSV_TABLE}"))  # statistics of an empty index, as on a new portal
    for n in range(40):
        add_dataset(portal, f"d{n}", title=f"Dataset {n} de la ciutat", keywords=["barris"])
    with portal.store.begin() as conn:
        ids = list(conn.execute(sa.text(f"SELECT doc_id FROM {TSV_TABLE}")).scalars())[:10]
        # As on a large table: no reading every row, the way 40 rows are best read.
        conn.execute(sa.text("SET LOCAL enable_seqscan = off"))
        plan = conn.execute(
            sa.text(f"EXPLAIN (FORMAT JSON) {backends._TITLE_WORDS}"), {"ids": ids}
        ).scalar_one()
    scans = list(_scans(plan if isinstance(plan, list) else json.loads(plan)))
    assert scans and all(index == f"{TSV_TABLE}_pkey" for index in scans), scans


def _scans(node: object) -> list[str | None]:
    found: list[str | None] = []
    if isinstance(node, dict):
        if node.get("Relation Name") == TSV_TABLE:
            found.append(node.get("Index Name"))
        for value in node.values():
            found += _scans(value)
    elif isinstance(node, list):
        for value in node:
            found += _scans(value)
    return found
