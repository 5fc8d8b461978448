"""Detectors for values that are, whole, an identifier: DNI, NIE, CIF, IBAN, e-mail, phone, card.

Each one prefilters the column's distinct values with an anchored pattern inside Arrow, validates the
candidates (check letters, mod 97, Luhn, phone numbering plans) and reports the column only when most
candidates validate: a column of codes that merely look like DNIs validates about one time in 23.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import phonenumbers

from obert.privacy.checks import is_card, is_cif, is_dni, is_iban, is_nie
from obert.privacy.column import Column, Options
from obert.privacy.kinds import Finding, Kind, Reason
from obert.privacy.lexicon import CARD_HINTS, PHONE_HINTS, has_hint

DNI_PATTERN = r"^(?:\d{8}|\d{2}\.\d{3}\.\d{3})[ -]?[A-Za-z]$"
NIE_PATTERN = r"^[XYZxyz][ -]?\d{7}[ -]?[A-Za-z]$"
CIF_PATTERN = r"^[ABCDEFGHJNPQRSUVWabcdefghjnpqrsuvw][ -]?\d{7}[ -]?[0-9A-Ja-j]$"
IBAN_PATTERN = r"^[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]){11,30}$"
EMAIL_PATTERN = r"^[\pL\pN._%+\-]+@[\pL\pN\-]+(?:\.[\pL\pN\-]+)*\.\pL{2,}$"
CARD_PATTERN = r"^\d(?:[ -]?\d){12,18}$"
PHONE_PATTERN = r"^(?:\+|00)?[\d ().\-/]{9,22}$"

_DECIMAL = re.compile(r"\d+[.,]\d+")
_FORMATTED_PHONE = re.compile(r"^(?:\+|00)|\d[ .\-/)]\(?\d")


@dataclass(frozen=True, slots=True)
class CheckedDetector:
    """A whole-value identifier with a check digit: prefilter by `pattern`, confirm with `valid`."""

    kind: Kind
    pattern: str
    valid: Callable[[str], bool]
    what: str
    hints: frozenset[str] = frozenset()
    numbers_too: bool = False  # whether an integer column can hold it (cards can; DNIs have a letter)

    def __call__(self, column: Column, options: Options) -> Finding | None:
        if column.numeric and not self.numbers_too:
            return None
        candidates = column.candidates(self.pattern)
        hits = [(v, n) for v, n in candidates if self.valid(v)]
        looked_at = sum(n for _, n in candidates)
        matched = sum(n for _, n in hits)
        if not matched or matched < options.min_share * looked_at:
            return None
        reason: Reason = "both" if self.hints and has_hint(column.name, self.hints) else "content"
        return column.finding(self.kind, hits, reason, options, f"{matched} values are {self.what}")


detect_dni = CheckedDetector("dni", DNI_PATTERN, is_dni, "DNI numbers with a correct check letter")
detect_nie = CheckedDetector("nie", NIE_PATTERN, is_nie, "NIE numbers with a correct check letter")
detect_cif = CheckedDetector(
    "cif", CIF_PATTERN, is_cif, "company tax codes (CIF) with a correct control character"
)
detect_iban = CheckedDetector("iban", IBAN_PATTERN, is_iban, "IBANs with a correct mod-97 checksum")
detect_email = CheckedDetector("email", EMAIL_PATTERN, lambda _: True, "e-mail addresses")
detect_card = CheckedDetector(
    "card",
    CARD_PATTERN,
    is_card,
    "payment card numbers (issuer prefix and Luhn check)",
    hints=CARD_HINTS,
    numbers_too=True,
)


def is_phone(value: str, region: str = "ES") -> bool:
    digits = sum(c.isdigit() for c in value)
    if not 9 <= digits <= 15 or _DECIMAL.fullmatch(value):
        return False
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return False
    return bool(phonenumbers.is_valid_number(number))


def detect_phone(column: Column, options: Options) -> Finding | None:
    """Phone numbers. A bare run of nine digits is a valid Spanish number surprisingly often (codes,
    identifiers), so unformatted digits only count in a column whose name says it holds phones."""
    hinted = has_hint(column.name, PHONE_HINTS)
    candidates = column.candidates(PHONE_PATTERN)
    if not hinted:
        candidates = [(v, n) for v, n in candidates if _FORMATTED_PHONE.search(v)]
        if column.numeric:
            return None
    hits = [(v, n) for v, n in candidates if is_phone(v)]
    looked_at = sum(n for _, n in candidates)
    matched = sum(n for _, n in hits)
    if not matched or matched < options.min_share * looked_at:
        return None
    reason: Reason = "both" if hinted else "content"
    return column.finding("phone", hits, reason, options, f"{matched} values are valid phone numbers")


IDENTIFIER_DETECTORS: tuple[Callable[[Column, Options], Finding | None], ...] = (
    detect_dni,
    detect_nie,
    detect_cif,
    detect_iban,
    detect_email,
    detect_phone,
    detect_card,
)
