"""Identifiers inside text that is not prose, in column names and in maps; how they are counted."""

from __future__ import annotations

import random

import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from obert.privacy import DropColumn, gate, scan_table, suggest_plan
from obert.privacy.spans import PREFILTERS, span_candidates
from tests.privacy import factories as fx

LETTERS = fx.LETTERS


def _dni(rng: random.Random, *, valid: bool = True) -> str:
    n = rng.randrange(10**8)
    return f"{n:08d}{LETTERS[n % 23] if valid else LETTERS[(n + 1) % 23]}"


def test_a_note_among_codes_is_reported_under_the_kind_it_holds() -> None:
    notes = [f"Expedient 2018S{i:06d}" for i in range(500)]
    notes[250] = "Contacte: maria.garcia@gmail.com, tel 612 345 678, DNI 12345678Z"
    report = scan_table({"observacions": notes})
    found = {f.kind: f for f in report.findings}
    assert set(found) == {"email", "phone", "dni"}
    assert all(f.matched == 1 and f.scanned == 500 and f.column == "observacions" for f in found.values())
    assert found["dni"].examples == ("1234****Z",) and found["dni"].detail.startswith("1 values contain")
    assert suggest_plan(report)[0].column == "observacions"


def test_among_codes_shaped_like_dnis_only_a_labelled_one_stands_out() -> None:
    rng = random.Random(3)
    codes = [f"ref {_dni(rng, valid=rng.random() < 1 / 23)}" for _ in range(1000)]
    assert scan_table({"nota": [*codes, "ref 12345678Z"]}).findings == ()
    (finding,) = scan_table({"nota": [*codes, "DNI 12345678Z"]}).findings
    assert (finding.column, finding.kind) == ("nota", "dni")


def test_a_kind_settled_in_an_early_piece_stays_reported_and_says_at_least() -> None:
    rng = random.Random(5)
    rows = [f"Sol·licitant {_dni(rng)}" for _ in range(3000)] + [
        f"Sol·licitant {_dni(rng, valid=False)}" for _ in range(9000)
    ]
    table = pa.table({"sollicitant": rows})
    # Read whole, three quarters of the look-alikes fail their letter: not a DNI column.
    assert scan_table(table, sample_rows=None).findings == ()
    # Read in pieces, the first settles it (3,000 valid): later pieces are not read for DNIs again.
    (finding,) = scan_table(table, sample_rows=100, batches=table.to_batches(max_chunksize=3000)).findings
    assert (finding.kind, finding.matched, finding.scanned) == ("dni", 3000, 12_000)
    assert finding.detail.startswith("at least 3000 values contain DNI numbers")


def test_column_names_holding_identifiers_are_findings_shown_masked() -> None:
    table = pa.Table.from_pylist(
        [{"codi": "A1", "12345678Z": 1, "info": {"X1234567L": "sí", "tel": "(+34) 612.345.678"}}]
    )
    report = scan_table(table)
    assert report.columns == ("codi", "1234****Z", "info.X123****L", "info.tel")
    by = {(f.column, f.kind): f for f in report.findings}
    assert set(by) == {("1234****Z", "dni"), ("info.X123****L", "nie"), ("info.tel", "phone")}
    assert by[("1234****Z", "dni")].reason == "header" and by[("1234****Z", "dni")].name_masked
    assert not by[("info.X123****L", "nie")].name_masked
    assert "12345678Z" not in gate(report).message
    # No step can name a column whose name is masked; a nested key goes with its top field.
    assert suggest_plan(report) == [DropColumn(column="info")]


def test_ordinary_headers_and_numbers_in_them_are_not_identifiers() -> None:
    headers = ["Any 2018", "Codi_districte", "Població 01-01-2021", "Superfície (m²)", "Tel_1", "ID 08019"]
    table = pa.table({h: [1, 2] for h in headers})
    assert scan_table(table).findings == ()


def test_map_keys_and_values_are_scanned() -> None:
    values = pa.array(
        [[("contacte", "DNI 12345678Z")], [("maria.garcia@gmail.com", "titular")]],
        pa.map_(pa.string(), pa.string()),
    )
    report = scan_table(pa.table({"extra": values}))
    assert {(f.column, f.kind) for f in report.findings} == {("extra.value", "dni"), ("extra.key", "email")}


@st.composite
def _shapes(draw: st.DrawFn) -> str:
    """Runs of digits with separators, letters, prefixes and odd neighbours, as identifiers sit in text."""
    junk = st.text(alphabet="aZé_ (+-.)@x", max_size=3)
    digits = draw(st.text(alphabet="0123456789", min_size=7, max_size=24))
    seps = draw(st.lists(st.sampled_from(["", "", " ", ".", "-", ") ", "("]), min_size=len(digits)))
    body = "".join(d + sep for d, sep in zip(digits, seps, strict=False))
    head = draw(st.sampled_from(["", "+34 ", "(+34)", "0034", "X", "y-", "ES", "es91 "]))
    tail = draw(st.sampled_from(["", "Z", "-z", " T", "@bcn.cat", "a"]))
    return draw(junk) + head + body + tail + draw(junk)


@settings(max_examples=300, deadline=None)
@given(st.one_of(_shapes(), st.text(alphabet="0123456789 XYZESabé-.()+@_/", max_size=40)))
def test_the_arrow_prefilter_never_hides_a_span_python_would_find(text: str) -> None:
    # Arrow picks the cells (and the kinds) Python reads; it must pick every one Python finds a span in.
    for span in span_candidates(text):
        assert pc.match_substring_regex(pa.array([text]), PREFILTERS[span.kind])[0].as_py(), (span, text)
