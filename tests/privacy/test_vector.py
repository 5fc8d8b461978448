"""The Arrow kernels agree with the one-value checks (and so with the official algorithms)."""

from __future__ import annotations

import random

import phonenumbers
import pyarrow as pa

from obert.privacy.checks import IBAN_LENGTHS, is_dni, is_iban, is_nie
from obert.privacy.vector import dni_ok, iban_ok, nie_ok, phone_ok
from tests.privacy import factories as fx


def test_dni_and_nie_letters_computed_in_arrow_match_the_table() -> None:
    rng = random.Random(8)
    dnis = [fx.dni(rng, valid=rng.random() < 0.5) for _ in range(3000)]
    nies = [fx.nie(rng, valid=rng.random() < 0.5) for _ in range(3000)]
    assert dni_ok(pa.array(dnis)).to_pylist() == [is_dni(v) for v in dnis]
    assert nie_ok(pa.array(nies)).to_pylist() == [is_nie(v) for v in nies]


def test_iban_mod_97_in_arrow_matches_the_scalar_check() -> None:
    rng = random.Random(9)
    ibans = [
        fx.iban(rng, valid=rng.random() < 0.5, country=rng.choice(["ES", "FR", "DE"])) for _ in range(3000)
    ]
    ibans += ["GB82 WEST 1234 5698 7654 32", "GB83 WEST 1234 5698 7654 32", "ES12 3456", "NL91ABNA0417164300"]
    found = iban_ok(pa.array(ibans), IBAN_LENGTHS, is_iban).to_pylist()
    assert found == [is_iban(v) for v in ibans]
    assert found[-4:] == [True, False, False, True]


def test_phone_numbers_checked_in_arrow_agree_with_libphonenumber() -> None:
    rng = random.Random(10)
    numbers = [f"{rng.choice(['', '+34 ', '0034 '])}{rng.randrange(10**8, 10**9)}" for _ in range(3000)]
    numbers += ["+44 20 7946 0958", "+33 1 42 68 53 00", "+1 202 555 0199", "+44 12"]
    expected = [phonenumbers.is_valid_number(phonenumbers.parse(n, "ES")) for n in numbers]
    assert phone_ok(pa.array(numbers)).to_pylist() == expected
    assert 0 < sum(expected) < len(expected)
