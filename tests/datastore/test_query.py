from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

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


def test_filtered_pages_at_any_offset_match_the_rows_in_file_order(tmp_path: Path) -> None:
    # Pages of a filter are read from the row number where the filter's marks say they start; whatever the
    # offset and limit (on a mark, beside it, across row groups, past the end), the page must be the same
    # rows as skipping `offset` matches from the start of the file.
    path = tmp_path / "marks.parquet"
    n = 20_000
    district = [("a", "b", "c", "a", "b", "a", "d")[i % 7] if i % 11 else "e" for i in range(n)]
    pq.write_table(pa.table({"district": district, "n": list(range(n))}), path, row_group_size=700)
    for filters in ({"district": "a"}, {"district": ["b", "e"]}, {"n": Range(gte=3_000, lt=17_000)}, {}):
        expected = query_rows(path, filters=filters, limit=1000, sort=[("n", False)]).total
        every = [
            r["n"]
            for off in range(0, n, 1000)
            for r in query_rows(path, filters=filters, limit=1000, offset=off, sort=[("n", False)]).rows
        ]
        assert len(every) == expected
        for offset, limit in ((0, 100), (1, 64), (63, 2), (64, 64), (65, 127), (4_321, 100), (5_000, 1000)):
            page = query_rows(path, filters=filters, limit=limit, offset=offset)
            assert [r["n"] for r in page.rows] == every[offset : offset + limit], (filters, offset, limit)
            assert page.total == expected
        assert query_rows(path, filters=filters, limit=10, offset=len(every)).rows == []
        assert query_rows(path, filters=filters, limit=10, offset=n + 5).rows == []


def test_a_hot_version_answers_the_same_pages_from_memory(
    versions: dict[str, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Pages of a version kept in memory (obert.datastore.hot) are taken by row number; every value must come
    # back as it does from the Parquet file: numbers, text, dates, nulls, in the same order.
    from obert.datastore import hot, resident
    from obert.datastore.engine import file_key

    asks: list[tuple[str, dict[str, Any]]] = [
        ("accidents", {"filters": {"Nom_districte": "Eixample"}, "limit": 100, "offset": 37}),
        ("accidents", {"filters": {"Numero_victimes": Range(gte=2)}, "limit": 50, "fields": ["Nom_barri"]}),
        ("accidents", {"q": "gracia", "limit": 20, "offset": 5}),
        ("accidents", {"limit": 30, "offset": 9_920}),
        ("education", {"limit": 40, "offset": 3}),
        ("stations", {"filters": {"Nom_districte": ["Gracia", "Eixample"]}, "limit": 7}),
    ]
    odd = tmp_path / "odd.parquet"  # values JSON has no literal for, dates, decimals
    pq.write_table(
        pa.table(
            {
                "k": ["a", "b", "a", "a", "b", "a"],
                "x": [1.5, float("nan"), float("inf"), None, -float("inf"), 2.0],
                "d": [date(2024, 2, 29), None, date(1999, 12, 31), date(2024, 1, 1), None, date(2000, 1, 1)],
                "m": pa.array([Decimal("1.10"), None, Decimal("-3.25"), Decimal("0"), None, Decimal("7")]),
            }
        ),
        odd,
    )
    versions = {**versions, "odd": odd}
    asks.append(("odd", {"filters": {"k": "a"}, "limit": 3, "offset": 1}))
    disk = [query_rows(versions[name], **ask) for name, ask in asks]
    assert disk[-1].rows == [
        {"k": "a", "x": None, "d": "1999-12-31", "m": -3.25},
        {"k": "a", "x": None, "d": "2024-01-01", "m": 0.0},
        {"k": "a", "x": 2.0, "d": "2000-01-01", "m": 7.0},
    ]
    hits = []
    taken = hot.hot_table
    monkeypatch.setattr(hot, "hot_table", lambda key: hits.append(key) or taken(key))
    resident.configure(budget_bytes=512 * 1024**2)
    try:
        for name in {name for name, _ in asks}:
            for _ in range(hot.LOAD_AFTER):  # pages read from disk: the last has the version loaded
                hot.read_from_disk(file_key(versions[name]), versions[name])
        resident.settle()
        for (name, ask), before in zip(asks, disk, strict=True):
            # one row more: not the page computed before (kept with the version), but the same rows first
            again = query_rows(versions[name], **{**ask, "limit": ask["limit"] + 1})
            assert again.rows[: len(before.rows)] == before.rows, (name, ask)
            assert again.total == before.total
        assert len(hits) == len(asks)
    finally:
        resident.configure(budget_bytes=0)


def test_map_points_of_a_version_are_computed_once_per_selection(versions: dict[str, Path]) -> None:
    # A resource page draws the same thousands of points at every view: they are kept with the version,
    # apart for each selection, so a filter never gets another filter's points.
    from obert.datastore.points import map_points

    path = versions["accidents"]
    first = map_points(path, limit=5000)
    assert map_points(path, limit=5000) is first  # kept, not recomputed
    eixample = map_points(path, limit=5000, filters={"Nom_districte": "Eixample"})
    assert eixample is not first and eixample.rows < first.rows
    assert all('"Eixample"' in f for f in eixample.features[:50])
    assert map_points(path, limit=10).features == first.features[:10]
