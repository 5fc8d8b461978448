"""Property: a valid identifier is found however it is written (separators, invisible characters,
full-width digits, case) and wherever it sits (a code column, a short note, prose, JSON in a cell, a
nested field, a column name), and the report never shows it; a wrong check letter is never reported."""

from __future__ import annotations

import json
import random

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from obert.privacy import SuppressText, apply_transforms, gate, scan_table
from obert.privacy.kinds import ScanReport
from tests.privacy import spellings as sp

EXAMPLES = settings(max_examples=30, deadline=None)
ANY = sp.disguised(sp.identifiers())


def _codes_with(cell: str, position: int) -> list[str]:
    codes = list(sp.CODES)
    codes.insert(position % (len(codes) + 1), cell)
    return codes


def assert_caught(report: ScanReport, ident: sp.Identifier) -> None:
    assert not report.clean, (ident, report.to_json())
    shown = json.dumps(report.to_json(), ensure_ascii=False) + gate(report).message
    for form in [*sp.compact_forms(ident), ident.written]:
        assert form not in shown, (form, shown)


@EXAMPLES
@given(ident=ANY, position=st.integers(min_value=0, max_value=40))
def test_a_whole_cell_among_codes(ident: sp.Identifier, position: int) -> None:
    assert_caught(scan_table({"referencia": _codes_with(ident.written, position)}), ident)


@EXAMPLES
@given(data=st.data(), ident=ANY, position=st.integers(min_value=0, max_value=40))
def test_a_short_note_among_codes(data: st.DataObject, ident: sp.Identifier, position: int) -> None:
    note = data.draw(st.one_of(sp.labelled(ident), st.just(f"Veure {ident.written}")))
    assert_caught(scan_table({"observacions": _codes_with(note, position)}), ident)


@EXAMPLES
@given(data=st.data(), ident=ANY, position=st.integers(min_value=0, max_value=20))
def test_one_text_of_a_prose_column(data: st.DataObject, ident: sp.Identifier, position: int) -> None:
    texts = [sp.PLAIN_PROSE[i % 3] for i in range(20)]
    texts.insert(position, data.draw(sp.prose(ident)))
    report = scan_table({"descripcio": texts})
    assert_caught(report, ident)
    assert [f.kind for f in report.findings] == ["free_text"]


@EXAMPLES
@given(data=st.data(), ident=ANY, position=st.integers(min_value=0, max_value=20))
def test_json_text_in_a_cell(data: st.DataObject, ident: sp.Identifier, position: int) -> None:
    cells = [json.dumps({"info": {"nested": {"deep": "sense dades"}}, "id": i}) for i in range(20)]
    cells.insert(position, data.draw(sp.json_cell(ident)))
    assert_caught(scan_table({"info": cells}), ident)


@EXAMPLES
@given(data=st.data(), ident=ANY)
def test_a_nested_field(data: st.DataObject, ident: sp.Identifier) -> None:
    deep = data.draw(st.one_of(st.just(ident.written), sp.labelled(ident)))
    records = [{"id": i, "info": {"nested": {"deep": "sense dades"}}} for i in range(10)]
    records.append({"id": 10, "info": {"nested": {"deep": deep}}})
    assert_caught(scan_table(pa.Table.from_pylist(records)), ident)


@EXAMPLES
@given(ident=ANY, nested=st.booleans())
def test_a_column_name(ident: sp.Identifier, nested: bool) -> None:
    if nested:
        table = pa.Table.from_pylist([{"info": {ident.written: code}} for code in sp.CODES])
    else:
        table = pa.table({"codi": sp.CODES, ident.written: list(range(len(sp.CODES)))})
    report = scan_table(table)
    assert_caught(report, ident)
    header = [f for f in report.findings if f.reason == "header"]
    assert header and header[0].kind == ident.kind
    assert header[0].name_masked is not nested


@EXAMPLES
@given(
    ident=sp.disguised(st.one_of(sp.dnis(valid=False), sp.nies(valid=False))),
    where=st.sampled_from(["cell", "note", "prose", "json", "header"]),
    position=st.integers(min_value=0, max_value=20),
)
def test_a_wrong_check_letter_is_never_reported(ident: sp.Identifier, where: str, position: int) -> None:
    label = "DNI" if ident.kind == "dni" else "NIE"
    if where == "header":
        table = pa.table({"codi": sp.CODES, ident.written: list(range(len(sp.CODES)))})
    elif where == "prose":
        texts = [sp.PLAIN_PROSE[i % 3] for i in range(20)]
        texts.insert(position, sp.PROSE[position % 3].format(label=label, x=ident.written))
        table = pa.table({"descripcio": texts})
    else:
        cell = {
            "cell": ident.written,
            "note": f"Contacte: {label} {ident.written}",
            "json": json.dumps({"info": {"deep": f"{label} {ident.written}"}}),
        }[where]
        table = pa.table({"observacions": _codes_with(cell, position)})
    assert scan_table(table).findings == ()


def test_codes_shaped_like_dnis_stay_codes_however_they_are_written() -> None:
    # One code in 23 passes the check letter by chance, in any spelling; that is not a DNI column.
    rng = random.Random(8)
    codes = []
    for _ in range(2000):
        number = f"{rng.randrange(10**8):08d}"
        code = f"{number[:2]}.{number[2:5]}.{number[5:]} {rng.choice(sp.LETTERS)}"
        codes.append(code if rng.random() < 0.5 else "".join(chr(ord(c) + 0xFEE0) for c in code))
    assert scan_table({"codi": codes}).findings == ()
    assert scan_table({"nota": [f"ref {c}" for c in codes]}).findings == ()


@settings(max_examples=20, deadline=None)
@given(ident=sp.disguised(sp.identifiers()), data=st.data())
def test_redacting_prose_leaves_nothing_to_find(ident: sp.Identifier, data: st.DataObject) -> None:
    texts = [sp.PLAIN_PROSE[i % 3] for i in range(10)] + [data.draw(sp.prose(ident))]
    table = pa.table({"descripcio": texts})
    published = apply_transforms(table, [SuppressText(column="descripcio", redact_only=True)])
    assert scan_table(published).clean
    assert published.column("descripcio").to_pylist()[:10] == texts[:10]
    assert ident.compact not in json.dumps(published.to_pylist(), ensure_ascii=False)


def test_one_identifier_in_a_long_table_is_found_in_every_row_not_only_the_sample() -> None:
    rows = 50_000
    notes = [f"Expedient {sp.CODES[i % 30]} revisat" for i in range(rows)]
    notes[31_337] = "Contacte: DNI 12.345.678\u200b-Z"
    table = pa.table({"nota": notes})
    sampled = scan_table(table, sample_rows=1000)
    assert sampled.clean  # the sample alone misses it...
    full = scan_table(table, sample_rows=1000, batches=table.to_batches(max_chunksize=8192))
    (finding,) = full.findings  # ...every row does not
    assert (finding.column, finding.kind, finding.matched, finding.scanned) == ("nota", "dni", 1, rows)
    assert finding.examples == ("1234****Z",)
