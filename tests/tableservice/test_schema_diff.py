"""Column changes between two versions of the air-quality stations table (Open Data BCN)."""

from __future__ import annotations

from obert.tableservice.schema_diff import compare_columns, holds_back

STATIONS = [
    ("Estacio", "integer"),
    ("nom_cabina", "text"),
    ("codi_dtes", "text"),
    ("zqa", "integer"),
    ("Longitud", "decimal"),
    ("Latitud", "decimal"),
    ("Nom_districte", "text"),
    ("Nom_barri", "text"),
]


def _kinds(new: list[tuple[str, str]]) -> list[tuple[str, str, str | None]]:
    return [(c.column, c.change, c.new_name) for c in compare_columns(STATIONS, new)]


def test_the_same_columns_change_nothing() -> None:
    assert compare_columns(STATIONS, list(STATIONS)) == []


def test_a_column_added_does_not_hold() -> None:
    changes = compare_columns(STATIONS, [*STATIONS, ("font", "text")])
    assert [(c.column, c.change, c.new_type) for c in changes] == [("font", "added", "text")]
    assert holds_back(changes) == []


def test_a_dropped_column_holds() -> None:
    new = [c for c in STATIONS if c[0] != "zqa"]
    assert _kinds(new) == [("zqa", "dropped", None)]
    assert [c.old_type for c in holds_back(compare_columns(STATIONS, new))] == ["integer"]


def test_a_column_in_the_same_place_with_the_same_type_is_renamed() -> None:
    new = [("Barri", t) if n == "Nom_barri" else (n, t) for n, t in STATIONS]
    assert _kinds(new) == [("Nom_barri", "renamed", "Barri")]


def test_a_column_with_a_similar_name_elsewhere_is_renamed() -> None:
    # Case and accents folded: "Nom_Districte" moved to the end is the same column renamed.
    new = [c for c in STATIONS if c[0] != "Nom_districte"] + [("Nom_Districte", "text")]
    assert _kinds(new) == [("Nom_districte", "renamed", "Nom_Districte")]


def test_an_unrelated_column_elsewhere_is_one_dropped_and_one_added() -> None:
    new = [c for c in STATIONS if c[0] != "zqa"] + [("font", "text")]
    assert _kinds(new) == [("zqa", "dropped", None), ("font", "added", "font")]


def test_a_retyped_column() -> None:
    new = [(n, "text") if n == "Estacio" else (n, t) for n, t in STATIONS]
    (change,) = compare_columns(STATIONS, new)
    assert (change.column, change.change, change.old_type, change.new_type) == (
        "Estacio",
        "retyped",
        "integer",
        "text",
    )
    assert "integer → text" in change.describe()
