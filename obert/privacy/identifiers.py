"""Detectors for values that are, whole, an identifier: DNI, NIE, CIF, IBAN, e-mail, phone, card.

Each one prefilters the column's distinct values with an anchored pattern inside Arrow, validates the
candidates (check letters, mod 97, Luhn, phone numbering plans) and reports the column only when most
candidates validate: a column of codes that merely look like DNIs validates about one time in 23.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import pyarrow as pa
import pyarrow.compute as pc

from obert.privacy.checks import IBAN_LENGTHS, is_card, is_cif, is_iban
from obert.privacy.column import Column, Options
from obert.privacy.kinds import Finding, Kind, Reason
from obert.privacy.lexicon import CARD_HINTS, PHONE_HINTS, has_hint
from obert.privacy.vector import always, dni_ok, iban_ok, nie_ok, per_value, phone_ok

DNI_PATTERN = r"^(?:\d{8}|\d{2}\.\d{3}\.\d{3})[ -]?[A-Za-z]$"
NIE_PATTERN = r"^[XYZxyz][ -]?\d{7}[ -]?[A-Za-z]$"
CIF_PATTERN = r"^[ABCDEFGHJNPQRSUVWabcdefghjnpqrsuvw][ -]?\d{7}[ -]?[0-9A-Ja-j]$"
IBAN_PATTERN = r"^[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]){11,30}$"
EMAIL_PATTERN = r"^[\pL\pN._%+\-]+@[\pL\pN\-]+(?:\.[\pL\pN\-]+)*\.\pL{2,}$"
CARD_PATTERN = r"^\d(?:[ -]?\d){12,18}$"
# Nine to fifteen digits with the usual separators; a decimal number ("4574123.45") is a measurement.
PHONE_PATTERN = r"^(?:\+|00)?(?:[ ().\-/]*\d){9,15}[ ()]*$"
PHONE_NOT = r"^\d+[.,]\d+$"
# What sets a written phone number apart from a bare code: an international prefix or digit groups.
FORMATTED_PHONE = r"^(?:\+|00)|\d[ .\-/)]\(?\d"


def _decide(
    column: Column,
    options: Options,
    *,
    kind: Kind,
    candidates: pa.Array,
    counts: pa.Array,
    valid: pa.Array,
    reason: Reason,
    what: str,
) -> Finding | None:
    looked_at = int(pc.sum(counts).as_py() or 0)
    matched = int(pc.sum(pc.filter(counts, valid)).as_py() or 0)
    if not matched or matched < options.min_share * looked_at:
        return None
    examples: list[str] = pc.filter(candidates, valid)[: options.max_examples].to_pylist()
    return column.finding(
        kind, matched=matched, examples=examples, reason=reason, options=options,
        detail=f"{matched} values are {what}",
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class CheckedDetector:
    """A whole-value identifier with a check digit: prefilter by `pattern`, confirm with `valid`."""

    kind: Kind
    pattern: str
    valid: Callable[[pa.Array], pa.Array]
    what: str
    hints: frozenset[str] = frozenset()
    numbers_too: bool = False  # whether an integer column can hold it (cards can; DNIs have a letter)

    def __call__(self, column: Column, options: Options) -> Finding | None:
        if column.numeric and not self.numbers_too:
            return None
        candidates, counts = column.match(self.pattern)
        if not len(candidates):
            return None
        reason: Reason = "both" if self.hints and has_hint(column.name, self.hints) else "content"
        return _decide(
            column, options, kind=self.kind, candidates=candidates, counts=counts,
            valid=self.valid(candidates), reason=reason, what=self.what,
        )  # fmt: skip


detect_dni = CheckedDetector("dni", DNI_PATTERN, dni_ok, "DNI numbers with a correct check letter")
detect_nie = CheckedDetector("nie", NIE_PATTERN, nie_ok, "NIE numbers with a correct check letter")
detect_cif = CheckedDetector(
    "cif", CIF_PATTERN, per_value(is_cif), "company tax codes (CIF) with a correct control character"
)
detect_iban = CheckedDetector(
    "iban",
    IBAN_PATTERN,
    partial(iban_ok, lengths=IBAN_LENGTHS, fallback=is_iban),
    "IBANs with a correct mod-97 checksum",
)
detect_email = CheckedDetector("email", EMAIL_PATTERN, always, "e-mail addresses")
detect_card = CheckedDetector(
    "card",
    CARD_PATTERN,
    per_value(is_card),
    "payment card numbers (issuer prefix and Luhn check)",
    hints=CARD_HINTS,
    numbers_too=True,
)


def detect_phone(column: Column, options: Options) -> Finding | None:
    """Phone numbers. A bare run of nine digits is a valid Spanish number surprisingly often (codes,
    identifiers), so unformatted digits only count in a column whose name says it holds phones."""
    hinted = has_hint(column.name, PHONE_HINTS)
    if column.numeric and not hinted:
        return None
    candidates, counts = column.match(PHONE_PATTERN)
    keep = pc.invert(pc.match_substring_regex(candidates, PHONE_NOT))
    if not hinted:
        keep = pc.and_(keep, pc.match_substring_regex(candidates, FORMATTED_PHONE))
    candidates, counts = pc.filter(candidates, keep), pc.filter(counts, keep)
    if not len(candidates):
        return None
    return _decide(
        column, options, kind="phone", candidates=candidates, counts=counts, valid=phone_ok(candidates),
        reason="both" if hinted else "content", what="valid phone numbers",
    )  # fmt: skip


def is_phone(value: str) -> bool:
    """One value, as the column detector would judge it (used on spans found inside free text)."""
    return bool(phone_ok(pa.array([value], pa.string()))[0].as_py())


# Any of the shapes above: one pass that lets most columns skip every identifier check.
ANY_IDENTIFIER = "|".join(
    f"(?:{p})" for p in (DNI_PATTERN, NIE_PATTERN, CIF_PATTERN, IBAN_PATTERN, EMAIL_PATTERN, CARD_PATTERN,
                         PHONE_PATTERN)
)  # fmt: skip

IDENTIFIER_DETECTORS: tuple[Callable[[Column, Options], Finding | None], ...] = (
    detect_dni,
    detect_nie,
    detect_cif,
    detect_iban,
    detect_email,
    detect_phone,
    detect_card,
)
