from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from obert.datastore.filters import Contains, Range
from obert.datastore.query import query_rows
from obert.errors import Invalid, NotFound


def test_first_page_with_total(versions: dict[str, Path]) -> None:
    page = query_rows(versions["accidents"], limit=3)
    assert page.total == 9936
    assert len(page.rows) == 3
    assert page.rows[0]["Numero_expedient"] == "2018S000150"
    assert [f.name for f in page.fields][:2] == ["Numero_expedient", "Codi_districte"]


def test_equality_list_and_range_filters(versions: dict[str, Path]) -> None:
    p = versions["accidents"]
    assert query_rows(p, filters={"Nom_districte": "Eixample"}, limit=0).total == 2947
    both = query_rows(p, filters={"Codi_districte": [2, "3"]}, limit=0).total
    two = query_rows(p, filters={"Codi_districte": 2}, limit=0).total
    three = query_rows(p, filters={"Codi_districte": 3}, limit=0).total
    assert both == (two or 0) + (three or 0)
    night = query_rows(p, filters={"Hora_dia": Range(gte=0, lt=6)}, fields=["Hora_dia"], limit=1000)
    assert night.rows and all(0 <= int(r["Hora_dia"] or 0) < 6 for r in night.rows)  # type: ignore[arg-type]


def test_contains_is_accent_and_case_insensitive(versions: dict[str, Path]) -> None:
    page = query_rows(versions["accidents"], filters={"Nom_districte": Contains("montjuic")}, limit=1)
    assert page.total and page.rows[0]["Nom_districte"] == "Sants-Montjuïc"
    literal = query_rows(versions["accidents"], filters={"Nom_districte": Contains("%")}, limit=0)
    assert literal.total == 0  # % is matched literally, not as a wildcard


def test_full_text_q(versions: dict[str, Path]) -> None:
    page = query_rows(versions["padro"], q="ANYS", limit=5)
    assert page.total and page.total > 0


def test_fields_sort_and_offset(versions: dict[str, Path]) -> None:
    p = versions["accidents"]
    page = query_rows(
        p, fields=["Numero_victimes", "Numero_expedient"], sort=[("Numero_victimes", True)], limit=2
    )
    assert list(page.rows[0]) == ["Numero_victimes", "Numero_expedient"]
    assert page.rows[0]["Numero_victimes"] >= page.rows[1]["Numero_victimes"]  # type: ignore[operator]
    a = query_rows(p, limit=10, offset=0).rows
    b = query_rows(p, limit=5, offset=5, include_total=False)
    assert b.total is None and b.rows == a[5:]


def test_dates_come_back_as_iso_text(versions: dict[str, Path]) -> None:
    assert query_rows(versions["education"], limit=1).rows[0]["Data_Referencia"] == "2023-01-01"
    hit = query_rows(versions["education"], filters={"Data_Referencia": "2023-01-01"}, limit=0)
    assert hit.total == 12687


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"filters": {"nope": 1}}, "filters.nope"),
        ({"filters": {"Codi_districte": "abc"}}, "filters.Codi_districte"),
        ({"filters": {"Hora_dia": Range(gte="x")}}, "filters.Hora_dia.gte"),
        ({"fields": ["Numero_expedient", 'x" FROM t; --']}, "fields"),
        ({"sort": [("1; DROP TABLE t", False)]}, "sort"),
        ({"limit": 5000}, "limit"),
        ({"offset": -1}, "offset"),
    ],
)
def test_bad_parameters_name_the_field(
    versions: dict[str, Path], kwargs: dict[str, object], field: str
) -> None:
    with pytest.raises(Invalid) as info:
        query_rows(versions["accidents"], **kwargs)  # type: ignore[arg-type]
    assert info.value.errors[0].field == field


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        query_rows(tmp_path / "gone.parquet")


def test_distinct_rows_of_the_chosen_fields(versions: dict[str, Path]) -> None:
    p = versions["accidents"]
    page = query_rows(p, fields=["Codi_districte", "Nom_districte"], distinct=True, limit=1000)
    pairs = [(r["Codi_districte"], r["Nom_districte"]) for r in page.rows]
    assert len(pairs) == len(set(pairs)) == page.total
    # The same pairs a full scan finds, in the order they first appear in the file.
    seen: dict[object, None] = {}
    offset = 0
    while chunk := query_rows(p, fields=["Codi_districte", "Nom_districte"], limit=1000, offset=offset).rows:
        for r in chunk:
            seen.setdefault((r["Codi_districte"], r["Nom_districte"]), None)
        offset += 1000
    assert pairs == list(seen)
    # Filters apply before rows are merged; paging and sorting work on the distinct rows.
    eixample = query_rows(p, fields=["Nom_districte"], filters={"Nom_districte": "Eixample"}, distinct=True)
    assert eixample.rows == [{"Nom_districte": "Eixample"}] and eixample.total == 1
    sorted_page = query_rows(
        p, fields=["Nom_districte"], distinct=True, sort=[("Nom_districte", True)], limit=2, offset=1
    )
    names = sorted({n for _, n in pairs if n is not None}, reverse=True)
    assert [r["Nom_districte"] for r in sorted_page.rows] == names[1:3]
    assert sorted_page.total == len({n for _, n in pairs})
    with pytest.raises(Invalid) as other:
        query_rows(p, fields=["Nom_districte"], distinct=True, sort=[("Codi_districte", False)])
    assert other.value.errors[0].field == "sort"


def test_cached_rows_answers_only_from_memory(tmp_path: Path) -> None:
    from obert.datastore.query import cached_rows

    path = tmp_path / "cached.parquet"
    pq.write_table(pa.table({"district": ["a", "b", "a"], "n": [1, 2, 3]}), path)
    assert cached_rows(path, filters={"district": "a"}) is None  # not even open yet
    page = query_rows(path, filters={"district": "a"}, limit=1)
    assert cached_rows(path, filters={"district": "a"}) is None  # another page (limit) not computed
    again = cached_rows(path, filters={"district": "a"}, limit=1)
    assert again is not None and again.rows == page.rows and again.total == page.total == 2
    assert again.rows_json() == page.rows_json()
    with pytest.raises(Invalid):  # the same checks as query_rows
        cached_rows(path, filters={"nope": "a"}, limit=1)
