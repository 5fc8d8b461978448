"""Masks show the shape of a value and never the value."""

from __future__ import annotations

import random
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from obert.privacy import mask
from obert.privacy.checks import is_card, is_cif, is_dni, is_iban, is_nie
from obert.privacy.kinds import Kind
from tests.privacy import factories as fx

GENERATORS = {
    "dni": fx.dni,
    "nie": fx.nie,
    "iban": fx.iban,
    "card": fx.card,
    "phone": fx.phone,
    "email": fx.email,
    "person_name": fx.full_name,
    "address": fx.address,
    "birth_date": fx.birth_date,
}


def _alnum(text: str) -> str:
    return re.sub(r"[\W_]", "", text)


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32), kind=st.sampled_from(sorted(GENERATORS)))
def test_a_mask_never_reveals_the_whole_value(seed: int, kind: Kind) -> None:
    value = GENERATORS[kind](random.Random(seed))
    masked = mask(value, kind)
    assert value not in masked
    assert _alnum(value) not in _alnum(masked)
    shown = len(_alnum(masked))
    assert shown <= len(_alnum(value)) * 0.6, (value, masked)


@settings(max_examples=50, deadline=None)
@given(st.text(min_size=1, max_size=40))
def test_any_text_is_masked_without_showing_it(text: str) -> None:
    masked = mask(text)
    assert len(masked) == len(text)
    if len(_alnum(text)) > 1:
        assert masked != text


def test_masks_look_the_way_publishers_expect() -> None:
    assert mask("45678901Z", "dni") == "4567****Z"
    assert mask("ES76 2100 0418 4502 0005 1332", "iban") == "ES76 **** **** **** **** 1332"
    assert mask("jordi@bcn.cat", "email") == "j***@b***.cat"
    assert mask("4111 1111 1111 1111", "card") == "**** **** **** 1111"
    assert mask("+34 612 345 678", "phone") == "+34 *** *** 678"
    assert mask("Jordi Fernández", "person_name") == "J**** F********"
    assert mask("1984-12-28", "birth_date") == "19**-**-**"


def test_check_digit_algorithms_on_known_values() -> None:
    assert is_dni("12345678Z") and not is_dni("12345678A")
    assert is_dni("12.345.678-z")
    assert is_nie("X1234567L") and is_nie("Y-1234567-X") and not is_nie("X1234567A")
    assert is_iban("ES91 2100 0418 4502 0005 1332") and not is_iban("ES92 2100 0418 4502 0005 1332")
    assert is_iban("GB82 WEST 1234 5698 7654 32") and not is_iban("ES91 2100 0418 4502 0005 133")
    assert is_card("4111111111111111") and not is_card("4111111111111112")
    assert not is_card("0000000000000000")  # passes Luhn, but no network issues it
    assert is_cif("A58818501") and is_cif("Q0801175A") and not is_cif("A58818502")
    assert not is_cif("Q08011751")  # public bodies carry a letter, not a digit
