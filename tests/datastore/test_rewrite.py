"""Writing a version's remaining rows: what a delete keeps is exactly what a search does not match."""

from __future__ import annotations

from pathlib import Path

import pytest

from obert.datastore.query import query_rows
from obert.datastore.rewrite import write_appended, write_upserted, write_without
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


def test_upsert_updates_named_columns_by_key_and_adds_new_keys(tmp_path: Path) -> None:
    source = make_version(tmp_path, "mercats", CSV)
    target = tmp_path / "upserted.parquet"
    changed = write_upserted(
        source,
        records=[{"codi": "2", "obert": True}, {"codi": 5, "nom": "Galvany"}, {"codi": 5, "obert": "false"}],
        key=["codi"],
        method="upsert",
        target=target,
    )
    assert changed == 2  # row 2 changed, row 5 added (and then updated by the third record)
    rows = query_rows(target).rows
    # The matched row keeps the column the record left out; file order is kept, new keys come last.
    assert rows[1] == {"codi": 2, "nom": "Sant Antoni", "obert": True}
    assert rows[4] == {"codi": 5, "nom": "Galvany", "obert": False}
    assert [r["codi"] for r in rows] == [1, 2, 3, 4, 5]
    # Values equal to the stored ones change nothing.
    same = tmp_path / "same.parquet"
    assert (
        write_upserted(
            source, records=[{"codi": 1, "nom": "Boqueria"}], key=["codi"], method="upsert", target=same
        )
        == 0
    )


def test_update_refuses_an_unknown_key_and_insert_a_taken_one(tmp_path: Path) -> None:
    source = make_version(tmp_path, "mercats", CSV)
    target = tmp_path / "x.parquet"
    with pytest.raises(Invalid) as unknown:
        write_upserted(
            source,
            records=[{"codi": 1, "nom": "B"}, {"codi": 9}],
            key=["codi"],
            method="update",
            target=target,
        )
    assert unknown.value.errors[0].field == "key" and "codi=9" in unknown.value.errors[0].message
    with pytest.raises(Invalid) as taken:
        write_upserted(source, records=[{"codi": 3}], key=["codi"], method="insert", target=target)
    assert "codi=3" in taken.value.errors[0].message
    with pytest.raises(Invalid) as twice:
        write_upserted(
            source, records=[{"codi": 7}, {"codi": 7}], key=["codi"], method="insert", target=target
        )
    assert "record 1" in twice.value.errors[0].message
    with pytest.raises(Invalid) as no_key:
        write_upserted(source, records=[{"nom": "Sense codi"}], key=["codi"], method="upsert", target=target)
    assert no_key.value.errors[0].field == "key"
    with pytest.raises(Invalid) as bad:
        write_upserted(source, records=[{"codi": "u"}], key=["codi"], method="upsert", target=target)
    assert bad.value.errors[0].field == "records.0.codi"
    # A composite key matches on every column of it.
    both = tmp_path / "both.parquet"
    assert (
        write_upserted(
            source,
            records=[{"codi": 1, "nom": "Boqueria", "obert": False}, {"codi": 2, "nom": "Boqueria"}],
            key=["codi", "nom"],
            method="upsert",
            target=both,
        )
        == 2
    )
    assert [(r["codi"], r["nom"], r["obert"]) for r in query_rows(both).rows][::3] == [
        (1, "Boqueria", False),
        (4, "Ninot", None),
    ]
    assert query_rows(both).rows[-1] == {"codi": 2, "nom": "Boqueria", "obert": None}


def test_without_everything_keeps_the_columns_and_no_row(tmp_path: Path) -> None:
    source = make_version(tmp_path, "mercats", CSV)
    target = tmp_path / "empty.parquet"
    assert write_without(source, filters={}, target=target, everything=True) == 4
    empty = query_rows(target)
    assert (
        empty.rows == [] and empty.total == 0 and [f.name for f in empty.fields] == ["codi", "nom", "obert"]
    )


def test_a_number_too_big_for_its_column_is_the_records_fault(tmp_path: Path) -> None:
    source = make_version(tmp_path, "mercats", CSV)
    for write in (
        lambda: write_appended(source, records=[{"codi": 10**20}], target=tmp_path / "x.parquet"),
        lambda: write_upserted(
            source, records=[{"codi": 10**20}], key=["codi"], method="upsert", target=tmp_path / "y.parquet"
        ),
    ):
        with pytest.raises(Invalid) as big:
            write()
        assert big.value.errors[0].field == "records.0.codi"
