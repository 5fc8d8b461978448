from __future__ import annotations

from pathlib import Path

import pytest

from obert.datastore.aggregate import aggregate
from obert.datastore.diff import diff
from obert.errors import Invalid

from .conftest import make_version


def test_group_count_sum_avg(versions: dict[str, Path]) -> None:
    res = aggregate(
        versions["accidents"],
        group_by=["Nom_districte"],
        metrics=[("count", "*"), ("sum", "Numero_victimes"), ("avg", "Numero_victimes"), ("max", "Hora_dia")],
    )
    eix = next(r for r in res.rows if r["Nom_districte"] == "Eixample")
    assert eix["count"] == 2947
    assert isinstance(eix["sum_Numero_victimes"], int) and isinstance(eix["avg_Numero_victimes"], float)
    assert [f.name for f in res.fields] == [
        "Nom_districte",
        "count",
        "sum_Numero_victimes",
        "avg_Numero_victimes",
        "max_Hora_dia",
    ]


def test_small_groups_are_suppressed(versions: dict[str, Path]) -> None:
    every = aggregate(versions["accidents"], group_by=["Nom_barri"], metrics=[("count", "*")])
    kept = aggregate(
        versions["accidents"], group_by=["Nom_barri"], metrics=[("count", "*")], min_group_size=50
    )
    assert all(int(r["count"]) >= 50 for r in kept.rows)  # type: ignore[arg-type]
    assert kept.suppressed_groups == len(every.rows) - len(kept.rows) > 0


def test_a_version_is_grouped_once_per_statement_and_never_answers_another(
    versions: dict[str, Path], tmp_path: Path
) -> None:
    # A dataset page charts the same groups at every view: they are kept with the version. Another
    # filter, floor or mask is another statement; another version is another file.
    path = versions["accidents"]
    by_district = aggregate(path, group_by=["Nom_districte"], metrics=[("count", "*")])
    assert aggregate(path, group_by=["Nom_districte"], metrics=[("count", "*")]) is by_district
    eixample = aggregate(
        path, group_by=["Nom_districte"], metrics=[("count", "*")], filters={"Nom_districte": "Eixample"}
    )
    assert [r["Nom_districte"] for r in eixample.rows] == ["Eixample"]
    floored = aggregate(path, group_by=["Nom_districte"], metrics=[("count", "*")], min_group_size=1000)
    assert floored is not by_district and len(floored.rows) < len(by_district.rows)
    counts = make_version(tmp_path, "counts", "barri,persones\nA,3\nB,12\n")
    masked = aggregate(counts, group_by=["barri"], metrics=[("sum", "persones")], masked={"persones": 5})
    plain = aggregate(counts, group_by=["barri"], metrics=[("sum", "persones")])
    assert [r["sum_persones"] for r in plain.rows] == [3, 12]
    assert [r["sum_persones"] for r in masked.rows] == [None, 12]  # the small count stays hidden


def test_bad_metric(versions: dict[str, Path]) -> None:
    with pytest.raises(Invalid):
        aggregate(versions["accidents"], group_by=[], metrics=[("sum", "Nom_districte")])
    with pytest.raises(Invalid):
        aggregate(versions["accidents"], group_by=["x"], metrics=[("count", "*")])
    with pytest.raises(Invalid):
        aggregate(versions["accidents"], group_by=[], metrics=[("median", "Any")])


def test_diff_by_key(tmp_path: Path) -> None:
    old = make_version(tmp_path, "old", "id,name,n\n1,a,1\n2,b,2\n3,c,3\n")
    new = make_version(tmp_path, "new", "id,name,n,extra\n1,a,1,x\n2,B,2,y\n4,d,4.5,z\n")
    d = diff(old, new, key=["id"])
    assert (d.rows_added, d.rows_removed, d.rows_changed) == (1, 1, 1)
    assert d.columns_added == ["extra"] and d.columns_removed == []
    assert d.columns_retyped == {"n": ("integer", "decimal")}
    assert d.sample_changed == [{"id": 2, "name": {"old": "b", "new": "B"}}]
    assert d.sample_added[0]["id"] == 4 and d.sample_removed[0]["id"] == 3


def test_diff_without_key_counts_duplicates(tmp_path: Path) -> None:
    old = make_version(tmp_path, "old", "a,b\n1,x\n1,x\n2,y\n")
    new = make_version(tmp_path, "new", "a,b\n1,x\n2,y\n3,z\n")
    d = diff(old, new)
    assert (d.rows_added, d.rows_removed, d.rows_changed) == (1, 1, None)


def test_diff_bad_key(tmp_path: Path) -> None:
    old = make_version(tmp_path, "old", "a\n1\n")
    with pytest.raises(Invalid):
        diff(old, old, key=["zz"])
