"""The scanner on generated tables: exact counts for real identifiers, nothing for look-alikes."""

from __future__ import annotations

import random
from datetime import date

import pyarrow as pa
import pytest

from obert.errors import Invalid
from obert.privacy import scan_table
from obert.privacy.kinds import Finding, ScanReport
from tests.privacy import factories as fx

TODAY = date(2026, 11, 27)


def only(report: ScanReport, column: str) -> Finding:
    found = report.for_column(column)
    assert len(found) == 1, found
    return found[0]


@pytest.fixture(scope="module")
def people() -> tuple[dict[str, list[object]], ScanReport]:
    rng = random.Random(7)
    rows = 400
    valid = 300  # the first 300 rows are real identifiers, the last 100 near misses
    columns: dict[str, list[object]] = {
        "dni": [fx.dni(rng, valid=i < valid) for i in range(rows)],
        "nie": [fx.nie(rng, valid=i < valid) for i in range(rows)],
        "iban": [fx.iban(rng, valid=i < valid, country=rng.choice(["ES", "FR", "DE"])) for i in range(rows)],
        "targeta": [fx.card(rng, valid=i < valid) for i in range(rows)],
        "correu": [fx.email(rng) if i % 4 else None for i in range(rows)],
        "mobil": [fx.phone(rng) for _ in range(rows)],
        "nom_complet": [fx.full_name(rng) for _ in range(rows)],
        "adreça": [fx.address(rng) for _ in range(rows)],
        "data_naixement": [fx.birth_date(rng) for _ in range(rows)],
        **fx.open_data_columns(rng, rows),
    }
    return columns, scan_table(fx.as_table(columns), today=TODAY)


@pytest.mark.parametrize(
    ("column", "kind", "matched"),
    [
        ("dni", "dni", 300),
        ("nie", "nie", 300),
        ("iban", "iban", 300),
        ("targeta", "card", 300),
        ("correu", "email", 300),
        ("mobil", "phone", 400),
        ("nom_complet", "person_name", 400),
        ("adreça", "address", 400),
        ("data_naixement", "birth_date", 400),
    ],
)
def test_each_kind_is_found_with_its_exact_count(
    people: tuple[dict[str, list[object]], ScanReport], column: str, kind: str, matched: int
) -> None:
    _, report = people
    finding = only(report, column)
    assert (finding.kind, finding.severity, finding.matched, finding.scanned) == (kind, "high", matched, 400)


def test_open_data_codes_next_to_personal_data_are_not_flagged(
    people: tuple[dict[str, list[object]], ScanReport],
) -> None:
    _, report = people
    flagged = {f.column for f in report.findings}
    assert flagged == {
        "dni",
        "nie",
        "iban",
        "targeta",
        "correu",
        "mobil",
        "nom_complet",
        "adreça",
        "data_naixement",
    }
    assert set(fx.open_data_columns(random.Random(0), 1)) <= set(report.columns)
    assert not report.clean and not report.sampled


def test_examples_are_masked_and_never_raw(people: tuple[dict[str, list[object]], ScanReport]) -> None:
    columns, report = people
    raw = {str(v) for values in columns.values() for v in values if v is not None}
    for finding in report.findings:
        assert finding.examples
        for example in finding.examples:
            assert example not in raw
            assert "*" in example
    assert "@" in only(report, "correu").examples[0]
    assert only(report, "iban").examples[0].replace(" ", "")[4:-4].strip("*") == ""


@pytest.mark.parametrize(
    ("column", "make"),
    [
        ("dni", lambda rng: fx.dni(rng, valid=False)),
        ("nie", lambda rng: fx.nie(rng, valid=False)),
        ("iban", lambda rng: fx.iban(rng, valid=False)),
        ("card", lambda rng: fx.card(rng, valid=False)),
    ],
)
def test_look_alikes_with_wrong_check_digits_are_not_reported(column: str, make: object) -> None:
    rng = random.Random(3)
    assert callable(make)
    values = [make(rng) for _ in range(300)]
    assert scan_table({column: values}).findings == ()


def test_a_few_accidental_matches_in_a_code_column_do_not_make_it_personal() -> None:
    # One code in 23 passes the DNI letter check by chance; that is not a DNI column.
    rng = random.Random(5)
    codes = [f"{rng.randrange(10**8):08d}{rng.choice(fx.LETTERS)}" for _ in range(2000)]
    assert scan_table({"codi": codes}).findings == ()


def test_bare_nine_digit_numbers_are_phones_only_when_the_column_says_so() -> None:
    numbers = [f"93{i:07d}" for i in range(100)]
    assert scan_table({"codi_registre": numbers}).findings == ()
    assert scan_table({"codi_registre": [int(n) for n in numbers]}).findings == ()
    finding = only(scan_table({"telefon": numbers}), "telefon")
    assert (finding.kind, finding.reason, finding.matched) == ("phone", "both", 100)


def test_company_tax_codes_are_reported_but_do_not_block() -> None:
    cifs = ["A58818501", "B65410011", "Q0801175A", "P0801900B", "G08001851"]
    report = scan_table({"cif_empresa": cifs})
    finding = only(report, "cif_empresa")
    assert (finding.kind, finding.severity, finding.matched) == ("cif", "low", 5)
    assert report.clean


def test_free_text_with_identifiers_is_found() -> None:
    rng = random.Random(11)
    texts = []
    for i in range(60):
        if i % 3 == 0:
            texts.append(f"La veïna demana que li truquin al {fx.phone(rng)} per revisar la incidència.")
        elif i % 3 == 1:
            texts.append(
                f"Sol·licitud presentada per la persona amb DNI {fx.dni(rng)} a l'oficina del barri."
            )
        else:
            texts.append("Queixa per soroll de terrasses al carrer durant la nit, sense més dades.")
    finding = only(scan_table({"observacions": texts}), "observacions")
    assert (finding.kind, finding.matched) == ("free_text", 40)
    assert "dni (20)" in finding.detail and "phone (20)" in finding.detail


def test_names_need_the_values_to_agree_with_a_weak_column_name() -> None:
    districts = ["Ciutat Vella", "Eixample", "Gràcia", "Sant Martí", "Sant Andreu", "el Raval"] * 10
    assert scan_table({"nom": districts}).findings == ()
    assert (
        scan_table({"Nom_carrer": ["Pau Claris", "Roger de Flor", "Josep Tarradellas"] * 10}).findings == ()
    )
    people = ["Jordi Puig", "Montserrat Vila Soler", "Joan Garcia", "Marta Ferrer"] * 5
    finding = only(scan_table({"nom": people}), "nom")
    assert (finding.kind, finding.reason, finding.matched) == ("person_name", "both", 20)
    # Unambiguous column names are enough, even for surnames the word list does not know.
    rare = only(scan_table({"cognoms": ["Xiberta Raspall", "Oyarzabal", "Quintanilla"]}), "cognoms")
    assert (rare.kind, rare.reason, rare.matched) == ("person_name", "column_name", 3)
    # Without any hint, full names are still recognised from the values.
    assert only(scan_table({"c1": people}), "c1").reason == "content"


def test_dates_are_birth_dates_only_in_a_birth_column_and_within_a_lifetime() -> None:
    dates = ["1984-12-28", "2001-03-04", "28/02/1956", "1999-07-14"] * 5
    assert scan_table({"data_alta": dates}, today=TODAY).findings == ()
    assert only(scan_table({"fecha_nacimiento": dates}, today=TODAY), "fecha_nacimiento").matched == 20
    old = ["1701-01-01", "1650-05-05", "1720-02-02"]
    assert scan_table({"data_naixement": old}, today=TODAY).findings == ()


def test_addresses_need_a_door_or_a_column_name() -> None:
    public = ["Gran Via de les Corts Catalanes 760", "Carrer de Ribes 13", "Plaça Josep Trueta"] * 5
    assert scan_table({"ubicacio": public}).findings == ()
    homes = ["C/ Mallorca 401, 3r 2a", "Carrer de Sants 12, pral. 1a", "Av. Diagonal 300, 5è 1a"] * 5
    assert only(scan_table({"ubicacio": homes}), "ubicacio").reason == "content"
    assert only(scan_table({"domicili": public}), "domicili").reason == "both"


def test_long_tables_are_sampled_deterministically_and_say_so() -> None:
    rng = random.Random(2)
    table = pa.table({"dni": [fx.dni(rng) for _ in range(30_000)]})
    first = scan_table(table, sample_rows=1000)
    assert (first.rows_total, first.rows_scanned, first.sampled) == (30_000, 1000, True)
    assert only(first, "dni").matched == 1000
    assert first == scan_table(table, sample_rows=1000)
    full = scan_table(table, sample_rows=None)
    assert full.rows_scanned == 30_000 and only(full, "dni").matched == 30_000


def test_nested_records_are_scanned_leaf_by_leaf() -> None:
    people = [
        {"id": 1, "contact": {"name": "Jordi", "surname": "Fernández", "phone": "+34 612 345 678"}},
        {"id": 2, "contact": {"name": "Núria", "surname": "Vallbona", "phone": "+34 699 111 222"}},
    ]
    report = scan_table(pa.Table.from_pylist(people))
    kinds = {(f.column, f.kind) for f in report.findings}
    assert kinds == {
        ("contact.name", "person_name"),
        ("contact.surname", "person_name"),
        ("contact.phone", "phone"),
    }


def test_bad_arguments_are_refused_with_the_field_named() -> None:
    with pytest.raises(Invalid) as caught:
        scan_table({"a": [1, 2], "b": [1]})
    assert {e.field for e in caught.value.errors} == {"a", "b"}
    with pytest.raises(Invalid) as zero:
        scan_table({"a": [1]}, sample_rows=0)
    assert zero.value.errors[0].field == "sample_rows"


def test_mixed_python_values_and_empty_columns_are_scanned() -> None:
    report = scan_table({"x": [1, "12345678Z", None, 2.5], "empty": [None, None, None, None]})
    assert [(f.column, f.kind, f.matched) for f in report.findings] == [("x", "dni", 1)]
