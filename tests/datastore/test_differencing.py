"""Differencing attacks on a table of statistics about people, through the HTTP API.

Each test plays an attacker who reads the visible cells from `rows`, asks `aggregate` for totals and
does the arithmetic that would recover a hidden count; it asserts that the arithmetic gives nothing
the rows did not already show: every published number is the same number computed from the visible
cells alone.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from obert.datastore.aggregate import aggregate
from obert.datastore.filters import Range
from obert.datastore.query import query_rows
from tests.api.datastore_helpers import make_dataset, portal_of, run_jobs, upload
from tests.datastore.conftest import make_version

REF = "padro-taula"
URL = f"/api/v1/datastore/{REF}"
MIN_COUNT = 5
# Census-like counts by area, sex and age band, plus the year (a column that is not a count).
# Hidden (1 to 4): (A,2,1)=3, the only hidden cell of (A,2); (B,1,*) = 2, 4, 1, a group of hidden
# cells only; (C,1,2)=3 and (C,2,2)=2. Zero is published as it is.
TABLE = """area,sexe,edat,any,valor
A,1,1,2023,12
A,1,2,2023,0
A,1,3,2023,7
A,2,1,2023,3
A,2,2,2023,60
A,2,3,2023,9
B,1,1,2023,2
B,1,2,2023,4
B,1,3,2023,1
B,2,1,2023,20
B,2,2,2023,5
B,2,3,2023,0
C,1,1,2024,8
C,1,2,2024,3
C,1,3,2024,6
C,2,1,2024,11
C,2,2,2024,2
C,2,3,2024,15
"""
TRUE = {tuple(line.split(",")[:3]): int(line.split(",")[4]) for line in TABLE.splitlines()[1:] if line}


@pytest.fixture
def protected(client: TestClient, admin: dict[str, str], org: dict[str, Any], tmp_path: Path) -> TestClient:
    make_dataset(client, admin, name="padro")
    src = tmp_path / "padro.csv"
    src.write_text(TABLE)
    upload(client, admin, REF, src)
    assert run_jobs(portal_of(client)) == 1
    marked = client.patch(
        URL,
        json={"statistics_about_people": True, "min_count": MIN_COUNT, "count_columns": ["valor"]},
        headers=admin,
    )
    assert marked.status_code == 200, marked.text
    return client


def _visible(client: TestClient, **filters: Any) -> list[dict[str, Any]]:
    body = client.get(f"{URL}/rows", params={"limit": 1000, **filters}).json()
    rows: list[dict[str, Any]] = body["data"]
    return rows


def _agg(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    response = client.get(f"{URL}/aggregate", params=params)
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()["data"]
    return rows


def _one(rows: Iterable[dict[str, Any]], **keys: Any) -> dict[str, Any]:
    found = [r for r in rows if all(r[k] == v for k, v in keys.items())]
    assert len(found) == 1, (keys, list(rows))
    return found[0]


def _sum_visible(rows: Iterable[dict[str, Any]], **keys: Any) -> int:
    return sum(r["valor"] or 0 for r in rows if all(r[k] == v for k, v in keys.items()))


def test_the_reported_attack_a_group_whose_only_hidden_cell_is_the_target(protected: TestClient) -> None:
    rows = _visible(protected, area="A")
    assert _one(rows, sexe=2, edat=1)["valor"] is None
    assert _one(rows, sexe=2, edat=2)["valor"] == 60
    total = _one(_agg(protected, group_by="sexe", metrics="sum:valor", area="A"), sexe=2)
    recovered = total["sum_valor"] - _sum_visible(rows, sexe=2)
    assert recovered != TRUE["A", "2", "1"]
    assert total["sum_valor"] == 69 == _sum_visible(rows, sexe=2)
    # The group says a cell is missing from its total, and how many.
    assert total["hidden_valor"] == 1


def test_totals_at_every_level_equal_the_visible_cells(protected: TestClient) -> None:
    rows = _visible(protected)
    grand = _agg(protected, metrics="sum:valor")[0]
    assert grand["sum_valor"] == _sum_visible(rows)
    assert grand["hidden_valor"] == 6
    for levels in (["area"], ["sexe"], ["edat"], ["area", "sexe"], ["area", "edat"], ["sexe", "edat"]):
        for group in _agg(protected, group_by=",".join(levels), metrics="sum:valor"):
            keys = {k: group[k] for k in levels}
            matching = [r for r in rows if all(r[k] == v for k, v in keys.items())]
            shown = [r["valor"] for r in matching if r["valor"] is not None]
            assert group["sum_valor"] == (sum(shown) if shown else None), keys
            assert group["hidden_valor"] == len(matching) - len(shown), keys
    # Subtracting the other areas from the grand total gives area A's visible cells, not its true sum.
    areas = {g["area"]: g["sum_valor"] for g in _agg(protected, group_by="area", metrics="sum:valor")}
    a_true = sum(v for k, v in TRUE.items() if k[0] == "A")
    assert grand["sum_valor"] - areas["B"] - areas["C"] == _sum_visible(rows, area="A") != a_true


def test_two_filtered_queries_whose_difference_isolates_a_cell(protected: TestClient) -> None:
    # (A,2) with every age band minus (A,2) without age band 1 would be the hidden (A,2,1).
    everything = _one(_agg(protected, group_by="area,sexe", metrics="sum:valor"), area="A", sexe=2)
    older = _one(_agg(protected, group_by="area,sexe", metrics="sum:valor", edat__gte=2), area="A", sexe=2)
    assert everything["sum_valor"] - older["sum_valor"] == 0 != TRUE["A", "2", "1"]
    # The same through a filter on a column that is not a count: year 2024 is area C only.
    by_year = {g["sexe"]: g for g in _agg(protected, group_by="sexe", metrics="sum:valor", any=2024)}
    all_years = {g["sexe"]: g for g in _agg(protected, group_by="sexe", metrics="sum:valor")}
    ab_cells = _visible(protected, any=2023)
    for sexe in (1, 2):
        difference = all_years[sexe]["sum_valor"] - by_year[sexe]["sum_valor"]
        assert difference == _sum_visible(ab_cells, sexe=sexe)
    # Single age bands: each answer is its visible cells, so the bands add up to the total.
    bands = [
        _one(_agg(protected, group_by="area,sexe", metrics="sum:valor", edat=e), area="A", sexe=2)
        for e in (1, 2, 3)
    ]
    assert bands[0]["sum_valor"] is None and bands[0]["hidden_valor"] == 1
    assert sum(b["sum_valor"] or 0 for b in bands) == everything["sum_valor"]


def test_a_group_of_hidden_cells_only_answers_null(protected: TestClient) -> None:
    # (B,1) holds 2, 4 and 1: its true total 7 passes the threshold, and band 3 alone is 1.
    metrics = ["sum:valor", "avg:valor", "min:valor", "max:valor", "count:valor", "count"]
    group = _one(_agg(protected, group_by="area,sexe", metrics=metrics), area="B", sexe=1)
    assert group == {
        "area": "B",
        "sexe": 1,
        "sum_valor": None,
        "avg_valor": None,
        "min_valor": None,
        "max_valor": None,
        "count_valor": 0,
        "count": 3,
        "hidden_valor": 3,
    }
    young = _one(_agg(protected, group_by="area,sexe", metrics="sum:valor", edat__lte=2), area="B", sexe=1)
    assert young["sum_valor"] is None
    # Nothing tells the attacker which groups the old size rule would have left out.
    response = protected.get(f"{URL}/aggregate", params={"group_by": "area,sexe,edat"}).json()
    assert response["suppressed_groups"] == 0 and response["count"] == len(TRUE)


def test_averages_counts_minima_and_maxima_tell_nothing_more(protected: TestClient) -> None:
    metrics = ["sum:valor", "avg:valor", "min:valor", "max:valor", "count:valor", "count"]
    rows = _visible(protected)
    for group in _agg(protected, group_by="area,sexe", metrics=metrics):
        cells = [r["valor"] for r in rows if r["area"] == group["area"] and r["sexe"] == group["sexe"]]
        shown = [v for v in cells if v is not None]
        # avg × count(*) − visible cells would be the hidden ones if avg counted them.
        if group["avg_valor"] is not None:
            assert group["avg_valor"] * group["count_valor"] == pytest.approx(sum(shown))
            assert group["avg_valor"] == pytest.approx(sum(shown) / len(shown))
        assert group["count_valor"] == len(shown)
        assert group["count"] == len(cells)
        assert group["min_valor"] == (min(shown) if shown else None)
        assert group["max_valor"] == (max(shown) if shown else None)
    # (C,1) has the hidden 3 between 8 and 6; (C,2) the hidden 2: no minimum under the threshold.
    minima = _agg(protected, group_by="area,sexe,edat", metrics="min:valor")
    assert not [g for g in minima if g["min_valor"] is not None and 0 < g["min_valor"] < MIN_COUNT]


def test_grouping_by_the_count_column_shows_only_published_values(protected: TestClient) -> None:
    groups = _agg(protected, group_by="valor", metrics="count")
    keys = {g["valor"] for g in groups}
    assert not [k for k in keys if k is not None and 0 < k < MIN_COUNT]
    assert _one(groups, valor=None)["count"] == 6


def test_the_chart_page_says_totals_are_of_published_cells(protected: TestClient) -> None:
    for lang, words in {
        "en": "published cells",
        "ca": "cel·les publicades",
        "es": "celdas publicadas",
    }.items():
        page = protected.get(
            f"/{lang}/dataset/padro/resource/{REF}",
            params={"chart_by": "area", "chart_metric": "sum:valor"},
        )
        assert page.status_code == 200, page.text
        assert words in page.text, lang
    # Area A's bar is its visible cells, not its true total.
    page = protected.get(
        f"/en/dataset/padro/resource/{REF}", params={"chart_by": "area", "chart_metric": "sum:valor"}
    ).text
    assert ">88<" in page and ">91<" not in page


def test_the_column_profile_shows_no_hidden_value(protected: TestClient) -> None:
    # The profile measured at ingest listed the most frequent values (2 and 3 twice, 1 once) and the
    # smallest: the hidden cells themselves.
    api = _one(protected.get(URL).json()["profile"], name="valor")
    ckan = protected.post("/api/3/action/datastore_info", json={"id": REF}).json()["result"]
    ckan_valor = _one(ckan["fields"], id="valor")["schema"]
    for profile in (api, ckan_valor):
        values = [t["value"] for t in profile["top"]]
        assert values and not [v for v in values if 0 < v < MIN_COUNT], profile
        assert profile["max"] == 60 and profile["min"] in (None, 0)
        assert profile["distinct"] is None and profile["nulls"] is None
    assert api["top"] == [{"value": 0, "count": 2}, {"value": 11, "count": 1}]
    page = protected.get(f"/en/dataset/padro/resource/{REF}").text
    row = page[page.index('<th scope="row">valor</th>') :]
    row = row[: row.index("</tr>")]
    assert not [v for v in ("<li>1 ", "<li>2 ", "<li>3 ", "<li>4 ") if v in row], row
    # The other columns' profiles are not counts and stay as they were.
    assert _one(protected.get(URL).json()["profile"], name="area")["distinct"] == 3


# Property: whatever the grouping, filter and metrics, an aggregate of a protected table is the same
# aggregate computed from the rows as published (hidden cells empty): nothing a reader could not work
# out from the rows alone.

Row = dict[str, Any]
METRICS = [
    ("sum", "n"),
    ("avg", "n"),
    ("min", "n"),
    ("max", "n"),
    ("count", "n"),
    ("count", "*"),
    ("sum", "x"),
]


def _expected(rows: list[Row], group_by: list[str], metrics: list[tuple[str, str]], masked: str) -> list[Row]:
    """The aggregate worked out from published rows alone, as an attacker would."""
    groups: dict[tuple[Any, ...], list[Row]] = {}
    for r in rows:
        groups.setdefault(tuple(r[g] for g in group_by), []).append(r)
    if not group_by and not groups:
        groups[()] = []  # an aggregate without groups answers one row, even over no rows
    out = []
    for key, members in groups.items():
        row: Row = dict(zip(group_by, key, strict=True))
        for func, col in metrics:
            if col == "*":
                row["count"] = len(members)
                continue
            vals = [m[col] for m in members if m[col] is not None]
            row[f"{func}_{col}"] = {
                "sum": sum(vals) if vals else None,
                "avg": sum(vals) / len(vals) if vals else None,
                "min": min(vals) if vals else None,
                "max": max(vals) if vals else None,
                "count": len(vals),
            }[func]
        if any(col == masked for _f, col in metrics):
            row[f"hidden_{masked}"] = sum(m[masked] is None for m in members)
        out.append(row)
    return out


def _order(rows: list[Row], group_by: list[str]) -> list[Row]:
    return sorted(rows, key=lambda r: [(r[g] is None, r[g] if r[g] is not None else 0) for g in group_by])


def _same(got: list[Row], want: list[Row], group_by: list[str]) -> None:
    got, want = _order(got, group_by), _order(want, group_by)
    assert len(got) == len(want), (got, want)
    for g, w in zip(got, want, strict=True):
        assert g.keys() == w.keys(), (g, w)
        for k, v in w.items():
            assert g[k] == (pytest.approx(v) if isinstance(v, float) else v), (k, g, w)


cells = st.fixed_dictionaries(
    {
        "g": st.sampled_from(["a", "b", "c"]),
        "h": st.integers(1, 3),
        "x": st.integers(0, 3),
        "n": st.one_of(st.none(), st.integers(0, 15)),
    }
)
filters = st.one_of(
    st.just({}),
    st.builds(lambda v: {"g": v}, st.sampled_from(["a", "b", "c"])),
    st.builds(lambda v: {"h": v}, st.lists(st.integers(1, 3), min_size=1, max_size=2, unique=True)),
    st.builds(lambda v: {"x": Range(gte=v)}, st.integers(0, 3)),
)


def _matches(row: Row, where: dict[str, Any]) -> bool:
    for col, want in where.items():
        if isinstance(want, Range):
            if row[col] < want.gte:
                return False
        elif isinstance(want, list):
            if row[col] not in want:
                return False
        elif row[col] != want:
            return False
    return True


@settings(max_examples=30, deadline=None)
@given(
    table=st.lists(cells, min_size=1, max_size=12).filter(lambda t: any(c["n"] for c in t)),
    threshold=st.integers(2, 10),
    group_by=st.lists(st.sampled_from(["g", "h", "x", "n"]), max_size=2, unique=True),
    where=filters,
    metrics=st.lists(st.sampled_from(METRICS), min_size=1, max_size=4, unique=True),
)
def test_every_aggregate_is_computable_from_the_published_rows(
    table: list[Row],
    threshold: int,
    group_by: list[str],
    where: dict[str, Any],
    metrics: list[tuple[str, str]],
) -> None:
    masked = {"n": threshold}
    with tempfile.TemporaryDirectory() as tmp:
        text = "g,h,x,n\n" + "".join(
            f"{c['g']},{c['h']},{c['x']},{'' if c['n'] is None else c['n']}\n" for c in table
        )
        path = make_version(Path(tmp), "cells", text)
        shown = [{**c, "n": None if c["n"] is not None and 0 < c["n"] < threshold else c["n"]} for c in table]
        assert query_rows(path, masked=masked, limit=1000).rows == shown
        visible = [r for r in shown if _matches(r, where)]
        got = aggregate(
            path, group_by=group_by, metrics=metrics, filters=where, masked=masked, min_group_size=threshold
        )
    _same(got.rows, _expected(visible, group_by, metrics, "n"), group_by)
    assert got.suppressed_groups == 0


API_FILTERS = st.one_of(
    st.just({}),
    st.builds(lambda v: {"area": v}, st.sampled_from(["A", "B", "C"])),
    st.builds(lambda v: {"edat__gte": v}, st.integers(1, 3)),
    st.builds(lambda v: {"sexe": v}, st.integers(1, 2)),
    st.builds(lambda v: {"any": v}, st.sampled_from([2023, 2024])),
)
API_METRICS = ["sum:valor", "avg:valor", "min:valor", "max:valor", "count:valor", "count", "sum:edat"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    group_by=st.lists(st.sampled_from(["area", "sexe", "edat", "any", "valor"]), max_size=3, unique=True),
    where=API_FILTERS,
    metrics=st.lists(st.sampled_from(API_METRICS), min_size=1, max_size=4, unique=True),
)
def test_every_api_answer_is_computable_from_the_rows_the_api_shows(
    protected: TestClient, group_by: list[str], where: dict[str, Any], metrics: list[str]
) -> None:
    visible = _visible(protected, **where)
    got = _agg(protected, group_by=",".join(group_by), metrics=metrics, **where)
    pairs = [(m.partition(":")[0], m.partition(":")[2] or "*") for m in metrics]
    _same(got, _expected(visible, group_by, pairs, "valor"), group_by)
