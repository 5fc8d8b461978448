"""Check-digit validation over whole Arrow arrays, so a million-row column never loops in Python.

Each function takes a string array of candidates (already matching the kind's shape) and returns a
boolean array. DNI/NIE letters and Spanish phone numbers are computed with Arrow kernels; the rarer
kinds (CIF, card, IBAN, foreign phones) fall back to the per-value checks in `checks`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc
from phonenumbers import PhoneMetadata

from obert.privacy.checks import DNI_LETTERS


# Built on first use, not at import: building any array from Python values makes pyarrow import pandas,
# which importing the portal should not pay for.
@cache
def _letters() -> pa.Array:
    return pa.array(list(DNI_LETTERS))


@cache
def _alphabet() -> pa.Array:
    return pa.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))


def per_value(check: Callable[[str], bool]) -> Callable[[pa.Array], pa.Array]:
    """Lift a per-value check to arrays (for kinds too rare to be worth a kernel)."""

    def run(values: pa.Array) -> pa.Array:
        return pa.array([check(v) for v in values.to_pylist()], pa.bool_())

    return run


def always(values: pa.Array) -> pa.Array:
    return pc.is_valid(values)


def _compact(values: pa.Array) -> pa.Array:
    return pc.utf8_upper(pc.replace_substring_regex(values, r"[\s.\-/]", ""))


def _letter_matches(number_text: pa.Array, letter: pa.Array) -> pa.Array:
    number = pc.cast(number_text, pa.int64())
    remainder = pc.subtract(number, pc.multiply(pc.divide(number, 23), 23))
    return pc.equal(pc.take(_letters(), remainder), letter)


def dni_ok(values: pa.Array) -> pa.Array:
    compact = _compact(values)
    ok = pc.match_substring_regex(compact, r"^\d{8}[A-Z]$")
    compact = pc.if_else(ok, compact, "00000000?")  # keeps the arithmetic below defined for every row
    return pc.and_(
        ok, _letter_matches(pc.utf8_slice_codeunits(compact, 0, 8), pc.utf8_slice_codeunits(compact, 8, 9))
    )


def nie_ok(values: pa.Array) -> pa.Array:
    compact = _compact(values)
    ok = pc.match_substring_regex(compact, r"^[XYZ]\d{7}[A-Z]$")
    compact = pc.if_else(ok, compact, "X0000000?")
    # X, Y and Z stand for 0, 1 and 2 in front of the seven digits.
    lead = pc.replace_substring(pc.replace_substring(pc.replace_substring(
        pc.utf8_slice_codeunits(compact, 0, 1), "X", "0"), "Y", "1"), "Z", "2")  # fmt: skip
    number = pc.binary_join_element_wise(lead, pc.utf8_slice_codeunits(compact, 1, 8), "")
    return pc.and_(ok, _letter_matches(number, pc.utf8_slice_codeunits(compact, 8, 9)))


def _spanish_pattern() -> str:
    """Every Spanish number type in libphonenumber's metadata, as one anchored RE2 pattern."""
    metadata = PhoneMetadata.metadata_for_region("ES")
    kinds = ("fixed_line", "mobile", "toll_free", "premium_rate", "shared_cost", "personal_number", "uan",
             "voip", "pager", "voicemail")  # fmt: skip
    patterns = [
        desc.national_number_pattern
        for kind in kinds
        if (desc := getattr(metadata, kind, None)) is not None and desc.national_number_pattern
    ]
    return "^(?:" + "|".join(f"(?:{p})" for p in patterns) + ")$"


_SPANISH = _spanish_pattern()


def _foreign_ok(value: str) -> bool:
    try:
        return bool(phonenumbers.is_valid_number(phonenumbers.parse(value, "ES")))
    except phonenumbers.NumberParseException:
        return False


_SPANISH_RE = re.compile(_SPANISH)
_NOT_DIAL = re.compile(r"[^\d+]")


def phone_valid(value: str) -> bool:
    """`phone_ok` for one value, without Arrow's per-call cost (spans found inside text are many)."""
    digits = _NOT_DIAL.sub("", value)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if digits.startswith("+") and not digits.startswith("+34"):
        return _foreign_ok(value)
    return _SPANISH_RE.match(digits.removeprefix("+34")) is not None


def phone_ok(values: pa.Array) -> pa.Array:
    """Valid phone numbers, Spain being the default region. Spanish ones (no prefix, +34 or 0034) are
    matched against libphonenumber's Spanish numbering plan in Arrow; others go through its parser."""
    digits = pc.replace_substring_regex(values, r"[^\d+]", "")
    digits = pc.replace_substring_regex(digits, r"^00", "+")
    international = pc.starts_with(digits, "+")
    spanish = pc.or_(pc.invert(international), pc.starts_with(digits, "+34"))
    national = pc.replace_substring_regex(digits, r"^\+34", "")
    valid = pc.and_(spanish, pc.match_substring_regex(national, _SPANISH))
    foreign = pc.and_(international, pc.invert(spanish))
    if pc.any(foreign).as_py():
        checked = per_value(_foreign_ok)(values)
        valid = pc.or_(valid, pc.and_(foreign, checked))
    return valid


def _mod(values: pa.Array, divisor: int) -> pa.Array:
    return pc.subtract(values, pc.multiply(pc.divide(values, divisor), divisor))


def _fold97(remainder: pa.Array, digits: pa.Array) -> pa.Array:
    """remainder * 10^len(digits) + digits, mod 97, seven digits at a time (64-bit safe)."""
    longest = int(pc.max(pc.utf8_length(digits)).as_py() or 0)
    for start in range(0, longest, 7):
        chunk = pc.utf8_slice_codeunits(digits, start, start + 7)
        width = pc.utf8_length(chunk)
        number = pc.cast(pc.if_else(pc.equal(width, 0), "0", chunk), pa.int64())
        scale = pc.power(pa.scalar(10, pa.int64()), pc.cast(width, pa.int64()))
        remainder = _mod(pc.add(pc.multiply(remainder, scale), number), 97)
    return remainder


def iban_ok(values: pa.Array, lengths: dict[str, int], fallback: Callable[[str], bool]) -> pa.Array:
    """ISO 13616 in Arrow for IBANs whose account part is all digits (Spain's and most others'): the
    account, then the country letters as two-digit numbers, then the check digits, folded mod 97.
    Accounts with letters (GB, NL...) go through `fallback`, one by one."""
    compact = _compact(values)
    ok = pc.match_substring_regex(compact, r"^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$")
    size = pc.utf8_length(compact)
    country = pc.utf8_slice_codeunits(compact, 0, 2)
    known = pc.take(
        pa.array(list(lengths.values()), pa.int32()), pc.index_in(country, pa.array(list(lengths)))
    )
    size_ok = pc.if_else(
        pc.is_null(known),
        pc.and_(pc.greater_equal(size, 15), pc.less_equal(size, 34)),
        pc.equal(size, pc.cast(known, size.type)),
    )
    ok = pc.and_(ok, size_ok)
    account = pc.utf8_slice_codeunits(compact, 4, 64)
    lettered = pc.and_(ok, pc.match_substring_regex(account, "[A-Z]"))
    numeric = pc.and_(ok, pc.invert(lettered))
    safe = pc.if_else(numeric, compact, "AA00000000000")
    account = pc.utf8_slice_codeunits(safe, 4, 64)
    first = pc.add(pc.index_in(pc.utf8_slice_codeunits(safe, 0, 1), _alphabet()), 10)
    second = pc.add(pc.index_in(pc.utf8_slice_codeunits(safe, 1, 2), _alphabet()), 10)
    tail = pc.add(pc.multiply(pc.add(pc.multiply(pc.cast(first, pa.int64()), 100), second), 100),
                  pc.cast(pc.utf8_slice_codeunits(safe, 2, 4), pa.int64()))  # fmt: skip
    remainder = _fold97(pa.array([0] * len(safe), pa.int64()), account)
    remainder = _mod(pc.add(pc.multiply(remainder, 1_000_000), tail), 97)
    valid = pc.and_(numeric, pc.equal(remainder, 1))
    if pc.any(lettered).as_py():
        valid = pc.or_(valid, pc.and_(lettered, per_value(fallback)(values)))
    return valid
