"""Masked count columns in the engine: rows, exports and aggregates of statistics about people."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from obert.datastore.aggregate import aggregate
from obert.datastore.export import export
from obert.datastore.query import query_rows
from obert.errors import Invalid
from tests.datastore.conftest import make_version

TEXT = "barri,sexe,persones\nRaval,1,3\nRaval,2,0\nGòtic,1,12\nGòtic,2,4\nSants,1,7\n"


def test_counts_under_the_threshold_are_null_and_zero_stays(tmp_path: Path) -> None:
    path = make_version(tmp_path, "people", TEXT)
    masked = {"persones": 5}
    page = query_rows(path, masked=masked)
    assert [r["persones"] for r in page.rows] == [None, 0, 12, None, 7]
    assert [r["barri"] for r in page.rows] == ["Raval", "Raval", "Gòtic", "Gòtic", "Sants"]
    out = b"".join(export(path, "csv", masked=masked)).decode()
    assert [r["persones"] for r in csv.DictReader(io.StringIO(out))] == ["", "0", "12", "", "7"]
    with pytest.raises(Invalid):
        query_rows(path, masked=masked, filters={"persones": 3})
    with pytest.raises(Invalid):
        export(path, "json", masked=masked, sort=[("persones", False)])


def test_groups_are_sized_by_the_people_they_count(tmp_path: Path) -> None:
    path = make_version(tmp_path, "people", TEXT)
    result = aggregate(
        path,
        group_by=["barri"],
        metrics=[("sum", "persones"), ("min", "persones")],
        min_group_size=5,
        size_column="persones",
        masked={"persones": 5},
    )
    # Raval counts 3 people: hidden; Gòtic's smallest cell (4) is hidden like the cell itself.
    assert result.rows == [
        {"barri": "Gòtic", "sum_persones": 16, "min_persones": None},
        {"barri": "Sants", "sum_persones": 7, "min_persones": 7},
    ]
    assert result.suppressed_groups == 1
