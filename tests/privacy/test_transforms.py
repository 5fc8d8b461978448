"""Transforms: each returns a new table; a suggested plan leaves nothing for a re-scan to find."""

from __future__ import annotations

import json
import random
from datetime import date

import pyarrow as pa
import pytest

from obert.errors import Invalid
from obert.privacy import (
    DropColumn,
    GeneraliseCoordinates,
    GeneraliseDate,
    HashColumn,
    MaskColumn,
    SuppressText,
    apply_transforms,
    plan_from_json,
    plan_to_json,
    scan_table,
    suggest_plan,
)
from tests.privacy import factories as fx

SALT = b"a-secret-salt-of-32-bytes-length"
TODAY = date(2026, 11, 27)


@pytest.fixture
def registry() -> pa.Table:
    rng = random.Random(21)
    rows = 200
    return pa.table(
        {
            "expedient": [fx.expedient(rng, i) for i in range(rows)],
            "dni": [fx.dni(rng) for _ in range(rows)],
            "correu": [fx.email(rng) for _ in range(rows)],
            "telefon": [fx.phone(rng) for _ in range(rows)],
            "nom": [fx.full_name(rng) for _ in range(rows)],
            "adreça": [fx.address(rng) for _ in range(rows)],
            "data_naixement": [fx.birth_date(rng) for _ in range(rows)],
            "observacions": [
                f"Contactar amb {fx.email(rng)} abans de la visita al domicili." for _ in range(rows)
            ],
            "x": [rng.uniform(420000, 440000) for _ in range(rows)],
            "y": [rng.uniform(4574000, 4590000) for _ in range(rows)],
        }
    )


def test_the_suggested_plan_leaves_a_table_whose_rescan_is_clean(registry: pa.Table) -> None:
    report = scan_table(registry, today=TODAY)
    assert len(report.blocking) == 7
    plan = suggest_plan(report)
    published = apply_transforms(registry, plan, salt=SALT)
    assert scan_table(published, today=TODAY).clean
    assert registry.column("dni")[0].as_py() != published.column("dni")[0].as_py()
    assert "nom" not in published.column_names and "expedient" in published.column_names
    assert registry.num_columns == 10  # the input is untouched


def test_hashing_is_deterministic_per_salt_and_keeps_joins(registry: pa.Table) -> None:
    once = apply_transforms(registry, [HashColumn(column="dni")], salt=SALT)
    again = apply_transforms(registry, [HashColumn(column="dni")], salt=SALT)
    other = apply_transforms(registry, [HashColumn(column="dni")], salt=b"another-secret-salt-value")
    assert once.column("dni") == again.column("dni")
    assert once.column("dni") != other.column("dni")
    digest = once.column("dni")[0].as_py()
    assert len(digest) == 64 and int(digest, 16) >= 0
    # Equal inputs stay equal, so the hashed column still joins with another table hashed the same way.
    dupes = pa.table({"dni": ["12345678Z", "12345678Z", None]})
    hashed = apply_transforms(dupes, [HashColumn(column="dni")], salt=SALT).column("dni").to_pylist()
    assert hashed[0] == hashed[1] and hashed[2] is None
    assert SALT.decode() not in json.dumps(plan_to_json([HashColumn(column="dni")]))


def test_hashing_refuses_a_missing_or_short_salt(registry: pa.Table) -> None:
    with pytest.raises(Invalid) as missing:
        apply_transforms(registry, [HashColumn(column="dni")])
    assert missing.value.errors[0].field == "plan[0].salt"
    with pytest.raises(Invalid):
        apply_transforms(registry, [HashColumn(column="dni")], salt=b"short")


def test_masking_keeps_only_the_tail_or_the_kind_shape() -> None:
    table = pa.table({"dni": ["12345678Z", None], "iban": ["ES9121000418450200051332", "x"]})
    out = apply_transforms(
        table, [MaskColumn(column="dni", keep_last=1), MaskColumn(column="iban", kind="iban")]
    )
    assert out.column("dni").to_pylist() == ["********Z", None]
    assert out.column("iban")[0].as_py() == "ES91 **** **** **** **** 1332"


def test_dates_generalise_to_month_or_year_whatever_their_type() -> None:
    table = pa.table(
        {
            "text": ["1984-12-28", "28/02/1956", "not a date"],
            "typed": pa.array([date(1984, 12, 28), date(1956, 2, 28), None]),
        }
    )
    month = apply_transforms(table, [GeneraliseDate(column="text"), GeneraliseDate(column="typed")])
    assert month.column("text").to_pylist() == ["1984-12", "1956-02", None]
    assert month.column("typed").to_pylist() == ["1984-12", "1956-02", None]
    year = apply_transforms(table, [GeneraliseDate(column="text", to="year")])
    assert year.column("text").to_pylist() == ["1984", "1956", None]


def test_coordinates_round_or_snap_to_a_grid() -> None:
    table = pa.table(
        {
            "lon": [2.160723, 2.180042],
            "lat": [41.374806, 41.397952],
            "utm_x": ["429910,63", "432017,96"],  # Open Data BCN's decimal comma
        }
    )
    rounded = apply_transforms(table, [GeneraliseCoordinates(columns=("lon", "lat"), decimals=3)])
    assert rounded.column("lon").to_pylist() == [2.161, 2.18]
    snapped = apply_transforms(table, [GeneraliseCoordinates(columns=("utm_x",), grid=100)])
    assert snapped.column("utm_x").to_pylist() == [429950.0, 432050.0]
    with pytest.raises(Invalid):
        apply_transforms(table, [GeneraliseCoordinates(columns=("lon",))])


def test_free_text_is_blanked_or_redacted() -> None:
    table = pa.table({"notes": ["Truqueu al +34 612 345 678 o escriviu a jordi.puig@gmail.com, gràcies."]})
    blank = apply_transforms(table, [SuppressText(column="notes")])
    assert blank.column("notes").to_pylist() == [None]
    redacted = apply_transforms(table, [SuppressText(column="notes", redact_only=True)])
    text = redacted.column("notes")[0].as_py()
    assert text == "Truqueu al +34 *** *** 678 o escriviu a j***@g***.com, gràcies."


def test_a_plan_round_trips_through_json_and_bad_plans_name_the_step() -> None:
    plan = [
        DropColumn(column="nom"),
        MaskColumn(column="dni", keep_last=2),
        MaskColumn(column="iban", kind="iban"),
        HashColumn(column="correu"),
        GeneraliseDate(column="data_naixement", to="year"),
        GeneraliseCoordinates(columns=("x", "y"), grid=250.0),
        SuppressText(column="observacions", redact_only=True),
    ]
    stored = json.dumps(plan_to_json(plan))
    assert plan_from_json(json.loads(stored)) == plan
    with pytest.raises(Invalid) as caught:
        plan_from_json(
            [
                {"op": "drop", "column": "a"},
                {"op": "explode"},
                {"op": "mask", "colum": "b"},
                {"op": "mask", "column": "b", "keep_last": "4"},
                {"op": "generalise_date", "column": "d", "to": "day"},
                {"op": "generalise_coordinates", "columns": ["x"], "grid": -5},
            ]
        )
    assert [e.field for e in caught.value.errors] == [
        "plan[1].op",
        "plan[2]",
        "plan[3].keep_last",
        "plan[4].to",
        "plan[5].grid",
    ]
    with pytest.raises(Invalid) as unknown:
        apply_transforms(pa.table({"a": [1]}), [DropColumn(column="b")])
    assert unknown.value.errors[0].field == "plan[0].column"
