"""Detectors for values that are, whole, an identifier: DNI, NIE, CIF, IBAN, e-mail, phone, card.

Each one prefilters the column's distinct values with an anchored pattern inside Arrow, validates the
candidates (check letters, mod 97, Luhn, phone numbering plans) and tallies how many look-alikes it saw
and how many validate. The column is reported only when most validate (see `tally`): a column of codes
that merely look like DNIs validates about one time in 23. Values are already normalised (full-width
digits, invisible characters, dashes), and the usual separators between digit groups are accepted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import pyarrow as pa
import pyarrow.compute as pc

from obert.privacy.checks import IBAN_LENGTHS, is_card, is_cif, is_iban
from obert.privacy.column import Column, Options
from obert.privacy.kinds import Kind, Reason
from obert.privacy.lexicon import CARD_HINTS, PHONE_HINTS, has_hint
from obert.privacy.masking import mask
from obert.privacy.tally import Tally
from obert.privacy.vector import always, dni_ok, iban_ok, nie_ok, per_value, phone_ok

_SEP = r"[ .\-]"
DNI_PATTERN = rf"^[0-9](?:{_SEP}?[0-9]){{7}}{_SEP}?[A-Za-z]$"
NIE_PATTERN = rf"^[XYZxyz]{_SEP}?[0-9](?:{_SEP}?[0-9]){{6}}{_SEP}?[A-Za-z]$"
CIF_PATTERN = rf"^[ABCDEFGHJNPQRSUVWabcdefghjnpqrsuvw]{_SEP}?[0-9](?:{_SEP}?[0-9]){{6}}{_SEP}?[0-9A-Ja-j]$"
IBAN_PATTERN = r"^[A-Za-z]{2}[0-9]{2}(?:[ \-]?[A-Za-z0-9]){11,30}$"
EMAIL_PATTERN = r"^[\pL\pN._%+\-]+@[\pL\pN\-]+(?:\.[\pL\pN\-]+)*\.\pL{2,}$"
CARD_PATTERN = rf"^[0-9](?:{_SEP}?[0-9]){{12,18}}$"
# Nine to fifteen digits with the usual separators, the prefix possibly in brackets ("(+34) 612 345
# 678"); a decimal number ("4574123.45") is a measurement.
PHONE_PATTERN = r"^\(?(?:\+|00)?(?:[ ().\-/]*[0-9]){9,15}[ ()]*$"
PHONE_NOT = r"^[0-9]+[.,][0-9]+$"
# What sets a written phone number apart from a bare code: an international prefix or digit groups.
FORMATTED_PHONE = r"^\(?(?:\+|00)|[0-9][ .\-/)]\(?[0-9]"


def tally_of(
    column: Column,
    *,
    kind: Kind,
    what: str,
    candidates: pa.Array,
    counts: pa.Array,
    valid: pa.Array,
    reason: Reason,
    options: Options,
) -> Tally:
    """What a detector saw: every candidate, the valid ones, and a few masked examples."""
    examples: list[str] = pc.filter(candidates, valid)[: options.max_examples].to_pylist()
    return Tally(
        kind=kind,
        what=what,
        reason=reason,
        looked_at=int(pc.sum(counts).as_py() or 0),
        matched=int(pc.sum(pc.filter(counts, valid)).as_py() or 0),
        examples=[mask(value, kind) for value in dict.fromkeys(examples)],
    )


@dataclass(frozen=True, slots=True)
class CheckedDetector:
    """A whole-value identifier with a check digit: prefilter by `pattern`, confirm with `valid`."""

    kind: Kind
    pattern: str
    valid: Callable[[pa.Array], pa.Array]
    what: str
    hints: frozenset[str] = frozenset()
    numbers_too: bool = False  # whether an integer column can hold it (cards can; DNIs have a letter)

    def __call__(self, column: Column, options: Options) -> Tally | None:
        if column.numeric and not self.numbers_too:
            return None
        candidates, counts = column.match(self.pattern)
        if not len(candidates):
            return None
        reason: Reason = "both" if self.hints and has_hint(column.name, self.hints) else "content"
        return tally_of(
            column, kind=self.kind, what=self.what, candidates=candidates, counts=counts,
            valid=self.valid(candidates), reason=reason, options=options,
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


def detect_phone(column: Column, options: Options) -> Tally | None:
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
    return tally_of(
        column, kind="phone", what="valid phone numbers", candidates=candidates, counts=counts,
        valid=phone_ok(candidates), reason="both" if hinted else "content", options=options,
    )  # fmt: skip


# Any of the shapes above: one pass that lets most columns skip every identifier check.
ANY_IDENTIFIER = "|".join(
    f"(?:{p})" for p in (DNI_PATTERN, NIE_PATTERN, CIF_PATTERN, IBAN_PATTERN, EMAIL_PATTERN, CARD_PATTERN,
                         PHONE_PATTERN)
)  # fmt: skip
# The same shapes with the e-mail's reduced to its "@": a value matching none of these matches none of the
# shapes. RE2 takes 3 ms to compile the e-mail's Unicode letter classes, and the scan asks once for every
# piece of every column (a tenth of the whole scan of a million rows), while most columns have no value
# of any shape; this pattern compiles in a twentieth of that.
ANY_ASCII_SHAPE = "|".join(
    f"(?:{p})"
    for p in (DNI_PATTERN, NIE_PATTERN, CIF_PATTERN, IBAN_PATTERN, "@", CARD_PATTERN, PHONE_PATTERN)
)


def identifier_shaped(column: Column) -> Column:
    """`column` narrowed to the distinct values of one of the identifier shapes (ANY_IDENTIFIER)."""
    maybe = column.narrowed(ANY_ASCII_SHAPE)
    return maybe.narrowed(ANY_IDENTIFIER) if len(maybe.distinct) else maybe


def without_identifier_shapes(column: Column) -> Column:
    """`column` without the distinct values of one of the identifier shapes (ANY_IDENTIFIER)."""
    if not len(column.match(ANY_ASCII_SHAPE)[0]):
        return column
    return column.without(ANY_IDENTIFIER)


IDENTIFIER_DETECTORS: tuple[Callable[[Column, Options], Tally | None], ...] = (
    detect_dni,
    detect_nie,
    detect_cif,
    detect_iban,
    detect_email,
    detect_phone,
    detect_card,
)
