"""Writing a version's remaining rows: what a delete keeps is exactly what a search does not match."""

from __future__ import annotations

from pathlib import Path

import pytest

from obert.datastore.query import query_rows
from obert.datastore.rewrite import write_appended, write_without
from obert.errors import Invalid
from tests.datastore.conftest import make_version

CSV = "codi,nom,obert\n1,Boqueria,true\n2,Sant Antoni,false\n3,,true\n4,Ninot,\n"


def test_keeps_the_rows_not_matched_in_order_with_nulls(tmp_path: Path) -> None:
    source = make_version(tmp_path, "mercats", CSV)
    target = tmp_path / "kept.parquet"
    assert write_without(source, filters={"obert": True}, target=target) == 2
    kept = query_rows(target)
    # Rows whose filtered column is empty are not matched, so they stay.
    assert [r["codi"] for r in kept.rows] == [2, 4]
    assert [(f.name, f.type) for f in kept.fields] == [(f.name, f.type) for f in query_rows(source).fields]
    again = tmp_path / "again.parquet"
    assert write_without(source, filters={"codi": [1, 3], "nom": "Boqueria"}, target=again) == 1
    assert [r["codi"] for r in query_rows(again).rows] == [2, 3, 4]


def test_refuses_no_filters_and_unknown_columns(tmp_path: Path) -> None:
    source = make_version(tmp_path, "mercats", CSV)
    with pytest.raises(Invalid):
        write_without(source, filters={}, target=tmp_path / "x.parquet")
    with pytest.raises(Invalid) as unknown:
        write_without(source, filters={"nope": 1}, target=tmp_path / "x.parquet")
    assert unknown.value.errors[0].field == "filters.nope"


def test_appends_typed_records_after_the_rows(tmp_path: Path) -> None:
    source = make_version(tmp_path, "mercats", CSV)
    target = tmp_path / "more.parquet"
    added = write_appended(
        source, records=[{"codi": "5", "nom": "Galvany", "obert": "false"}, {"codi": 6}], target=target
    )
    assert added == 2
    rows = query_rows(target).rows
    assert [r["codi"] for r in rows] == [1, 2, 3, 4, 5, 6]
    assert rows[4] == {"codi": 5, "nom": "Galvany", "obert": False}
    assert rows[5] == {"codi": 6, "nom": None, "obert": None}
    with pytest.raises(Invalid) as bad:
        write_appended(source, records=[{"codi": "set"}], target=tmp_path / "x.parquet")
    assert bad.value.errors[0].field == "records.0.codi"
    with pytest.raises(Invalid) as unknown:
        write_appended(source, records=[{"codi": 7}, {"preu": 1}], target=tmp_path / "x.parquet")
    assert unknown.value.errors[0].field == "records.1.preu"
