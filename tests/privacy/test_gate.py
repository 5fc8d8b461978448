"""The publication decision."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pyarrow as pa
import pytest

from obert.errors import Invalid
from obert.privacy import Override, check_publication, gate, scan_table, suggest_plan
from tests.privacy import factories as fx

WHEN = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
WHY = "Market managers are public officials whose names the city publishes by law."


@pytest.fixture
def managers() -> pa.Table:
    rng = random.Random(4)
    return pa.table(
        {
            "mercat": ["Mercat de la Boqueria", "Mercat de Sant Antoni", "Mercat del Ninot"] * 10,
            "responsable": [fx.full_name(rng) for _ in range(30)],
            "telefon": [fx.phone(rng) for _ in range(30)],
            "cif": ["P0801900B"] * 30,
        }
    )


def test_personal_data_holds_publication_back(managers: pa.Table) -> None:
    decision = gate(scan_table(managers))
    assert not decision.allowed
    assert {(f.column, f.kind) for f in decision.blocking} == {
        ("responsable", "person_name"),
        ("telefon", "phone"),
    }
    assert [f.kind for f in decision.notes] == ["cif"]  # reported, never blocking
    assert "responsable" in decision.message and "telefon" in decision.message
    assert decision.to_json()["allowed"] is False


def test_a_justified_override_per_finding_lets_it_through(managers: pa.Table) -> None:
    report = scan_table(managers)
    names = Override(column="responsable", kind="person_name", actor="amartin", at=WHEN, justification=WHY)
    partial = gate(report, [names])
    assert not partial.allowed and [f.column for f in partial.blocking] == ["telefon"]
    phones = Override(
        column="telefon",
        kind="phone",
        actor="amartin",
        at=WHEN,
        justification="These are the markets' switchboard numbers, printed on every stall.",
    )
    stale = Override(column="gone", kind="dni", actor="amartin", at=WHEN, justification=WHY)
    decision = gate(report, [names, phones, stale])
    assert decision.allowed
    assert {o.column for _, o in decision.overridden} == {"responsable", "telefon"}
    assert decision.unused == (stale,)
    assert decision.to_json()["overridden"][0]["override"]["actor"] == "amartin"


def test_an_override_for_another_kind_does_not_cover_a_finding(managers: pa.Table) -> None:
    wrong = Override(column="telefon", kind="email", actor="amartin", at=WHEN, justification=WHY)
    assert not gate(scan_table(managers), [wrong]).allowed


def test_incomplete_overrides_are_refused_with_the_field_named(managers: pa.Table) -> None:
    bad = [
        Override(column="responsable", kind="person_name", actor=" ", at=WHEN, justification="ok"),
        Override(column="telefon", kind="phone", actor="amartin", at=datetime(2026, 1, 1), justification=WHY),
    ]
    with pytest.raises(Invalid) as caught:
        gate(scan_table(managers), bad)
    assert {e.field for e in caught.value.errors} == {
        "overrides[0].actor",
        "overrides[0].justification",
        "overrides[1].at",
    }
    short = Override(column="telefon", kind="phone", actor="a", at=WHEN, justification="because")
    assert gate(scan_table(managers), [short], min_justification=5).blocking[0].column == "responsable"


def test_transforming_the_table_clears_the_gate(managers: pa.Table) -> None:
    first = check_publication(managers)
    assert not first.decision.allowed
    plan = suggest_plan(first.report)
    second = check_publication(managers, plan=plan, salt=b"0123456789abcdef0123")
    assert second.decision.allowed and second.report.clean
    assert second.table.column_names == ["mercat", "telefon", "cif"]
    assert second.decision.notes[0].kind == "cif"


def test_a_clean_table_is_allowed_without_anything() -> None:
    decision = gate(scan_table({"Nom_barri": ["el Raval", "el Gòtic"], "Valor": ["8", ".."]}))
    assert decision.allowed and decision.message == "no personal data blocks publication"
