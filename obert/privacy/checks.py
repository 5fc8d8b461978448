"""Check-digit validation of identifiers: Spanish DNI, NIE and CIF, IBAN (ISO 13616), payment cards (Luhn).

Each function takes the raw text as found in a cell, tolerates the usual separators (spaces, dots,
hyphens) and answers whether it is a well-formed identifier whose check digit is right. The check digit
is what separates a real identifier from a code that only looks like one.
"""

from __future__ import annotations

import re

DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
_SEPARATORS = re.compile(r"[\s.\-/]")
_DNI = re.compile(r"(\d{8})([A-Z])")
_NIE = re.compile(r"([XYZ])(\d{7})([A-Z])")
_CIF = re.compile(r"([ABCDEFGHJNPQRSUVW])(\d{7})([0-9A-J])")
_IBAN = re.compile(r"([A-Z]{2})(\d{2})([A-Z0-9]{11,30})")

# Lengths from the SWIFT IBAN registry for the countries most likely to appear in a Spanish city's data;
# other countries are accepted within ISO 13616's 15-34 bounds.
IBAN_LENGTHS = {
    "ES": 24, "AD": 24, "PT": 25, "FR": 27, "IT": 27, "DE": 22, "GB": 22, "IE": 22, "NL": 18, "BE": 16,
    "LU": 20, "CH": 21, "AT": 20, "PL": 28, "RO": 24, "SE": 24, "DK": 18, "FI": 18, "NO": 15, "GR": 27,
    "MC": 27, "MA": 28,
}  # fmt: skip
_LETTER_DIGITS = {ord(c): str(ord(c) - ord("A") + 10) for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
_CIF_LETTER_CONTROL = "PQRSNW"  # organisations whose control character is always a letter
_CIF_DIGIT_CONTROL = "ABEH"  # companies whose control character is always a digit


def compact(value: str) -> str:
    """The value upper-cased with separators removed."""
    return _SEPARATORS.sub("", value).upper()


def dni_letter(number: int) -> str:
    return DNI_LETTERS[number % 23]


def is_dni(value: str) -> bool:
    m = _DNI.fullmatch(compact(value))
    return m is not None and dni_letter(int(m.group(1))) == m.group(2)


def is_nie(value: str) -> bool:
    m = _NIE.fullmatch(compact(value))
    if not m:
        return False
    number = int(str("XYZ".index(m.group(1))) + m.group(2))
    return dni_letter(number) == m.group(3)


def cif_control(letter: str, digits: str) -> tuple[str, str]:
    """The control character of a CIF as (digit, letter); which one applies depends on the first letter."""
    total = 0
    for position, char in enumerate(digits, start=1):
        n = int(char)
        if position % 2:  # odd positions are doubled and their digits summed
            n *= 2
            n = n // 10 + n % 10
        total += n
    control = (10 - total % 10) % 10
    return str(control), "JABCDEFGHI"[control]


def is_cif(value: str) -> bool:
    m = _CIF.fullmatch(compact(value))
    if not m:
        return False
    letter, digits, given = m.groups()
    as_digit, as_letter = cif_control(letter, digits)
    if letter in _CIF_LETTER_CONTROL:
        return given == as_letter
    if letter in _CIF_DIGIT_CONTROL:
        return given == as_digit
    return given in (as_digit, as_letter)


def iban_remainder(iban: str) -> int:
    """ISO 7064 mod 97-10 of a compact IBAN: first four characters moved to the end, letters expanded
    to two digits (A=10 ... Z=35), the whole read as one integer."""
    return int((iban[4:] + iban[:4]).translate(_LETTER_DIGITS)) % 97


def is_iban(value: str) -> bool:
    iban = compact(value)
    m = _IBAN.fullmatch(iban)
    if not m:
        return False
    expected = IBAN_LENGTHS.get(m.group(1))
    if expected is not None and len(iban) != expected:
        return False
    if not 15 <= len(iban) <= 34:
        return False
    return iban_remainder(iban) == 1


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        n = int(char)
        if i % 2:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def plausible_iin(digits: str) -> bool:
    """Whether the leading digits belong to a card network that issues cards of this length."""
    n = len(digits)
    two, four, six = int(digits[:2]), int(digits[:4]), int(digits[:6])
    if digits[0] == "4":  # Visa
        return n in (13, 16, 19)
    if 51 <= two <= 55 or 2221 <= four <= 2720:  # Mastercard
        return n == 16
    if two in (34, 37):  # American Express
        return n == 15
    if four == 6011 or two == 65 or 644 <= int(digits[:3]) <= 649 or 622126 <= six <= 622925:  # Discover
        return 16 <= n <= 19
    if 3528 <= four <= 3589:  # JCB
        return 16 <= n <= 19
    if two in (36, 38, 39) or 300 <= int(digits[:3]) <= 305:  # Diners Club
        return 14 <= n <= 19
    if two == 62:  # UnionPay
        return 16 <= n <= 19
    if two in (50, 56, 57, 58) or digits[:2] in ("63", "67"):  # Maestro
        return 12 <= n <= 19
    return False


def is_card(value: str) -> bool:
    digits = compact(value)
    return digits.isdigit() and 13 <= len(digits) <= 19 and plausible_iin(digits) and luhn_ok(digits)
