"""Normalising text before matching: every disguise undone, in Arrow and in Python alike, and a
redaction that masks the identifier in the original text, invisible characters included."""

from __future__ import annotations

import unicodedata

import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from obert.privacy.normalise import (
    NEEDS_NORMALISING,
    folds_into_identifier,
    normalise_array,
    normalise_text,
    normalise_with_map,
)
from obert.privacy.spans import redact
from obert.privacy.vector import phone_ok, phone_valid


def test_every_character_that_folds_into_an_identifier_is_picked_for_normalising() -> None:
    # The Arrow pass only normalises the cells NEEDS_NORMALISING picks: it must pick every character
    # whose compatibility form brings in a digit, a letter or identifier punctuation, in all of Unicode.
    chars = [
        chr(code)
        for code in range(0x80, 0x110000)
        if not 0xD800 <= code <= 0xDFFF
        and (folds_into_identifier(chr(code)) or unicodedata.category(chr(code)) == "Cf")
    ]
    assert len(chars) > 1500
    picked = pc.match_substring_regex(pa.array(chars), NEEDS_NORMALISING)
    missed = [f"U+{ord(c):04X}" for c, ok in zip(chars, picked.to_pylist(), strict=True) if not ok]
    assert missed == []


def test_ordinary_catalan_and_spanish_text_is_left_alone() -> None:
    texts = ["Sol·licitud de revisió", "Año 2018, «Eixample»", "¿Dónde? ¡Aquí!", "L'Hospitalet, Ç·ñ"]
    assert not pc.any(pc.match_substring_regex(pa.array(texts), NEEDS_NORMALISING)).as_py()
    assert normalise_array(pa.array(texts)).to_pylist() == texts


def test_disguises_are_undone_the_same_way_in_arrow_and_in_python() -> None:
    cases = {
        "１２３４５６７８Ｚ": "12345678Z",
        "1234\u200b5678\u2060Z\ufeff": "12345678Z",
        "12\u00a0345\u202f678\u2011Z": "12 345 678-Z",
        "maria＠gmail．com": "maria@gmail.com",
        '{"deep": "DNI 1234\\u200b5678Z", "n": "\\uff11"}': '{"deep": "DNI 12345678Z", "n": "1"}',
        "𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖Z": "12345678Z",
        "\u3000ES91\u20132100": "ES91-2100",
        "Plaça": "Plaça",
    }
    arrow = normalise_array(pa.array(list(cases))).to_pylist()
    assert arrow == list(cases.values())
    assert [normalise_text(text).strip() for text in cases] == list(cases.values())


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=30))
def test_the_map_points_back_into_the_original_text(text: str) -> None:
    normal, origin = normalise_with_map(text)
    assert len(origin) == len(normal)
    assert all(0 <= start < end <= len(text) for start, end in origin)
    assert [start for start, _ in origin] == sorted(start for start, _ in origin)


def test_redaction_masks_the_original_with_its_invisible_characters() -> None:
    text = "Trucar al (+34) ６１２.345\u200b.678 o DNI 1234\u2060567８Z, gràcies."
    assert redact(text) == "Trucar al (+34) ***.***.678 o DNI 1234****Z, gràcies."


@settings(max_examples=80, deadline=None)
@given(
    st.one_of(
        st.text(alphabet="0123456789 +-.()", max_size=18),
        st.from_regex(r"\A(\+34|0034)? ?[5-9][0-9]{8}\Z"),
        st.from_regex(r"\A\+(44|33|49|1) ?[0-9]{6,11}\Z"),
    )
)
def test_the_scalar_phone_check_agrees_with_the_arrow_one(value: str) -> None:
    assert phone_valid(value) == phone_ok(pa.array([value], pa.string()))[0].as_py()
