"""Small-count suppression on census-style tables (educacion_sample_2023.csv)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from obert.errors import Invalid
from obert.privacy import min_group_size, suppress_small_counts

EDUCATION = Path(__file__).resolve().parents[2] / "obert" / "demo" / "files" / "educacion_sample_2023.csv"


@pytest.fixture(scope="module")
def education() -> pa.Table:
    return duckdb.sql(f"select * from read_csv('{EDUCATION}', all_varchar=true)").to_arrow_table()


def test_counts_under_the_threshold_print_as_dots_like_barcelona_does(education: pa.Table) -> None:
    values = education.column("Valor").to_pylist()
    small = sum(1 for v in values if v not in (None, "..") and 0 < int(v) < 10)
    already = values.count("..")
    out = suppress_small_counts(education, count_columns=["Valor"], threshold=10, marker="..")
    hidden = out.column("Valor").to_pylist()
    assert small > 0 and hidden.count("..") == already + small
    assert all(v == ".." or int(v) == 0 or int(v) >= 10 for v in hidden if v is not None)
    # Every other column is unchanged.
    assert out.drop_columns(["Valor"]) == education.drop_columns(["Valor"])


def test_numeric_counts_become_null_and_zero_is_kept_unless_asked() -> None:
    table = pa.table({"barri": ["a", "b", "c", "d"], "persones": [0, 3, 5, 120]})
    out = suppress_small_counts(table, count_columns=["persones"])
    assert out.column("persones").to_pylist() == [0, None, 5, 120]
    assert out.column("persones").type == pa.int64()
    strict = suppress_small_counts(table, count_columns=["persones"], suppress_zero=True, marker="<5")
    assert strict.column("persones").to_pylist() == ["<5", "<5", "5", "120"]


def test_suppression_names_missing_or_non_numeric_columns() -> None:
    table = pa.table({"persones": [1.5], "when": pa.array([1], pa.timestamp("s"))})
    with pytest.raises(Invalid) as missing:
        suppress_small_counts(table, count_columns=["gent"])
    assert missing.value.errors[0].field == "gent"
    with pytest.raises(Invalid):
        suppress_small_counts(table, count_columns=["when"])


def test_min_group_size_of_an_aggregate(education: pa.Table) -> None:
    counts = pa.table({"sexe": ["1", "2"], "n": [12, 3]})
    assert min_group_size(counts, count_column="n") == 3
    # Barcelona already hides counts under five: the smallest published count is 5.
    assert min_group_size(education, count_column="Valor") == 5
    by_section = min_group_size(education, group_columns=["Seccio_Censal"])
    sizes = education.group_by("Seccio_Censal").aggregate([([], "count_all")]).column("count_all")
    assert by_section == pc.min(sizes).as_py()
    assert min_group_size(pa.table({"n": pa.array([], pa.int64())}), count_column="n") is None
    with pytest.raises(Invalid):
        min_group_size(counts, group_columns=["edat"])
