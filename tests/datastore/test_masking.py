"""Masked count columns in the engine: rows, exports and aggregates of statistics about people."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from obert.datastore.aggregate import aggregate
from obert.datastore.export import export
from obert.datastore.masking import published_profile
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


def test_aggregates_of_counts_are_those_of_the_published_cells(tmp_path: Path) -> None:
    path = make_version(tmp_path, "people", TEXT)
    result = aggregate(
        path,
        group_by=["barri"],
        metrics=[("sum", "persones"), ("min", "persones")],
        min_group_size=5,
        masked={"persones": 5},
    )
    # Raval's 3 is hidden and its 0 is published; Gòtic's 4 is hidden: no group is left out, its
    # numbers come from the visible cells and it says how many are empty.
    assert result.rows == [
        {"barri": "Gòtic", "sum_persones": 12, "min_persones": 12, "hidden_persones": 1},
        {"barri": "Raval", "sum_persones": 0, "min_persones": 0, "hidden_persones": 1},
        {"barri": "Sants", "sum_persones": 7, "min_persones": 7, "hidden_persones": 0},
    ]
    assert result.suppressed_groups == 0
    assert [f.name for f in result.fields][-1] == "hidden_persones"


def test_a_table_of_one_row_per_person_leaves_small_groups_out(tmp_path: Path) -> None:
    path = make_version(tmp_path, "people", TEXT)
    result = aggregate(path, group_by=["barri"], metrics=[("count", "*")], min_group_size=2)
    assert result.rows == [{"barri": "Gòtic", "count": 2}, {"barri": "Raval", "count": 2}]
    assert result.suppressed_groups == 1


def test_the_profile_keeps_only_what_the_published_cells_show() -> None:
    top = [{"value": 3, "count": 4}, {"value": 0, "count": 2}, {"value": 9, "count": 1}]
    raw = [
        {"name": "persones", "nulls": 1, "distinct": 6, "min": 0, "max": 40, "top": top},
        {"name": "barri", "nulls": 0, "distinct": 3, "min": "Gòtic", "max": "Sants", "top": []},
        {"name": "altres", "nulls": 0, "distinct": 2, "min": 1, "max": 2, "top": []},
    ]
    out = published_profile(raw, {"persones": 5, "altres": 5})
    assert out[0] == {
        "name": "persones",
        "nulls": None,
        "distinct": None,
        "min": 0,
        "max": 40,
        "top": [{"value": 0, "count": 2}, {"value": 9, "count": 1}],
    }
    assert out[1] == raw[1]
    assert out[2]["min"] is None and out[2]["max"] is None and out[2]["distinct"] is None
    # Nothing under the threshold: the profile is the rows' own.
    big = {"name": "persones", "nulls": 2, "distinct": 3, "min": 5, "max": 9, "top": top[2:]}
    assert published_profile([big], {"persones": 5}) == [big]
    assert published_profile(raw, None) == raw
