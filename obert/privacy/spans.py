"""Identifiers anywhere inside a text: a comment, a short note, JSON written into a cell, a column name.

Text is normalised first (see `normalise`), so full-width digits, invisible characters and typographic
dashes or spaces do not hide an identifier. Each shape is then matched with the separators people put
between groups of digits (spaces, dots, dashes, brackets around a prefix) and validated exactly as a
whole-value identifier would be: DNI/NIE check letter, IBAN mod 97, card issuer and Luhn, the Spanish
numbering plan for phones. A span also says whether a word naming its kind stands right before it
("DNI 12345678Z", "tel. 612 345 678"): a labelled identifier with a correct check digit is sure enough
to count on its own, wherever it appears.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from obert.privacy.checks import IBAN_LENGTHS, is_card, is_dni, is_iban, is_nie
from obert.privacy.kinds import Kind
from obert.privacy.masking import mask
from obert.privacy.normalise import normalise_text, normalise_with_map
from obert.privacy.vector import phone_valid

# The kinds found inside text, in the order they claim overlapping text (an e-mail address before the
# digits in it, an IBAN before the card-like run of digits it contains).
SPAN_KINDS: tuple[Kind, ...] = ("email", "iban", "nie", "dni", "card", "phone")

_SEP = r"[ .\-]"
# A check letter after a space must be a capital: "12 345 678 a" is more often prose than a DNI.
_LETTER = r"(?:[ .\-]?[A-Z]|-?[a-z])"
_PATTERNS: dict[Kind, re.Pattern[str]] = {
    "email": re.compile(r"[\w.%+\-]+@[\w\-]+(?:\.[\w\-]+)*\.[^\W\d_]{2,}"),
    "nie": re.compile(rf"(?<!\w)[XYZxyz]{_SEP}?[0-9](?:{_SEP}?[0-9]){{6}}{_LETTER}(?!\w)"),
    "dni": re.compile(rf"(?<!\w)[0-9](?:{_SEP}?[0-9]){{7}}{_LETTER}(?!\w)"),
    "card": re.compile(rf"(?<!\w)[0-9](?:{_SEP}?[0-9]){{12,18}}(?!\w)"),
    # Nine digits (a Spanish number), after an optional +34 / 0034 prefix, possibly in brackets.
    "phone": re.compile(r"(?:\(?(?:\+|(?<!\w)00)[0-9]{2}\)?[ .\-]?|(?<!\w))"
                        r"\(?[0-9](?:[ .\-()]{0,2}[0-9]){8}(?!\w)"),
}  # fmt: skip
_IBAN_START = re.compile(r"(?<!\w)[A-Za-z]{2}[0-9]{2}")

# What an Arrow (RE2) pass uses to pick the cells worth reading in Python, kind by kind: each shape above
# matches its prefilter (RE2's ASCII \b is looser than the look-arounds, so nothing is left out).
PREFILTERS: dict[Kind, str] = {
    "email": "@",
    "iban": r"\b[A-Za-z]{2}[0-9]{2}(?:[ \-]?[0-9A-Za-z]){11,30}",
    "nie": r"\b[XYZxyz][ .\-]?[0-9](?:[ .\-]?[0-9]){6}[ .\-]?[A-Za-z]\b",
    "dni": r"\b[0-9](?:[ .\-]?[0-9]){7}[ .\-]?[A-Za-z]\b",
    "card": r"\b[0-9](?:[ .\-]?[0-9]){12,18}\b",
    "phone": r"(?:\+|\b00|\b)[0-9]{0,2}\)?[ .\-]?\(?[0-9](?:[ .\-()]{0,2}[0-9]){8}\b",
}
PREFILTER = "|".join(PREFILTERS.values())


def prefilter(kinds: Iterable[Kind]) -> str | None:
    """One RE2 pattern for the shapes of `kinds` (None when there are none)."""
    chosen = [PREFILTERS[k] for k in SPAN_KINDS if k in set(kinds)]
    return "|".join(chosen) if chosen else None


# Words that name an identifier's kind when they come just before it (matched in lower case).
_LABELS: dict[Kind, re.Pattern[str]] = {
    "dni": re.compile(r"\b(?:dni|nif|nie|d\.n\.i|n\.i\.f|n\.i\.e|document|documento|doc|passaport|pasaporte|"
                      r"passport|identitat|identidad)\b"),
    "iban": re.compile(r"\b(?:iban|compte|cuenta|account|ccc|c\.c\.c|banc|banco|bank)\b"),
    "card": re.compile(r"\b(?:targeta|tarjeta|card|visa|mastercard|amex|cr[eè]dit|cr[eé]dito)\b"),
    # Stems: telèfon, teléfono, telephone; mòbil, móvil, mobile; truqueu, llámenos, call...
    "phone": re.compile(r"\b(?:tel\w*|tlf|tfn|tfno|phone\w*|m[oò]bil\w*|m[oó]vil\w*|cel|cell\w*|whatsapp|fax|"
                        r"truc\w*|truq\w*|llam\w*|call\w*|contact\w*)\b"),
    "email": re.compile(r"\b(?:email|e-mail|mail|correu|correo)\b"),
}  # fmt: skip
_LABELS["nie"] = _LABELS["dni"]
_LABEL_WINDOW = 24


def is_phone(value: str) -> bool:
    """One value, as the column detector would judge it."""
    return phone_valid(value)


_CHECKS: dict[Kind, Callable[[str], bool]] = {
    "email": lambda _: True,
    "iban": is_iban,
    "nie": is_nie,
    "dni": is_dni,
    "card": is_card,
    "phone": is_phone,
}


@dataclass(frozen=True, slots=True)
class Span:
    kind: Kind
    start: int
    end: int
    text: str
    valid: bool  # the check digit (or numbering plan) is right
    labelled: bool  # valid, and a word naming the kind stands right before it
    formatted: bool  # for phones: a prefix or separators, not a bare run of digits

    @property
    def sure(self) -> bool:
        return self.valid and self.labelled


def _iban_candidates(text: str) -> Iterator[tuple[int, int]]:
    """IBAN-shaped spans: country, check digits, then as many characters as the country's IBAN has
    (separators between them skipped), or the first length from 15 to 34 that validates."""
    for m in _IBAN_START.finditer(text):
        ends: list[int] = []
        count, position = 4, m.end()
        while position < len(text) and count < 34:
            char = text[position]
            if char.isascii() and char.isalnum():
                count += 1
                position += 1
                ends.append(position)
            elif char in " -" and _alnum_at(text, position + 1):
                position += 1
            else:
                break
        known = IBAN_LENGTHS.get(m.group(0)[:2].upper())
        lengths = [known] if known else list(range(15, 35))
        fitting = [ends[n - 5] for n in lengths if len(ends) >= n - 4]
        if not fitting:
            continue
        end = next((e for e in fitting if is_iban(text[m.start() : e])), fitting[-1] if known else None)
        if end is not None and not _alnum_at(text, end):
            yield m.start(), end


def _alnum_at(text: str, position: int) -> bool:
    return position < len(text) and text[position].isascii() and text[position].isalnum()


def _formatted_phone(text: str) -> bool:
    # A prefix, brackets, spaces or dashes between groups, or two dots ("612.345.678"); a single dot or
    # comma is a decimal number ("4584941.35"), not a written phone number.
    prefixed = re.match(r"\(?(?:\+|00)", text) is not None
    return prefixed or re.search(r"[0-9][ \-()]+[0-9]", text) is not None or text.count(".") >= 2


def _labelled(kind: Kind, text: str, start: int) -> bool:
    label = _LABELS.get(kind)
    if label is None:
        return False
    return label.search(text[max(0, start - _LABEL_WINDOW) : start].lower()) is not None


def span_candidates(text: str, kinds: Iterable[Kind] = SPAN_KINDS) -> list[Span]:
    """Every identifier-shaped span of normalised `text`, valid or not, earliest first. A valid span
    claims its text: shapes overlapping it (the digits of an IBAN read as a card) are left out.
    `kinds` may leave out kinds whose prefilter does not match `text` (they would find nothing)."""
    raw: list[tuple[Kind, int, int]] = []
    for kind in kinds:
        if kind == "iban":
            raw.extend((kind, start, end) for start, end in _iban_candidates(text))
        else:
            raw.extend((kind, *m.span()) for m in _PATTERNS[kind].finditer(text))
    spans = []
    for kind, start, end in raw:
        valid = _CHECKS[kind](text[start:end])
        spans.append(
            Span(
                kind=kind,
                start=start,
                end=end,
                text=text[start:end],
                valid=valid,
                labelled=valid and _labelled(kind, text, start),  # only a valid span needs to know
                formatted=kind != "phone" or _formatted_phone(text[start:end]),
            )
        )
    spans.sort(key=lambda span: SPAN_KINDS.index(span.kind))
    claimed: list[Span] = []
    for span in spans:
        if span.valid and not any(span.start < c.end and c.start < span.end for c in claimed):
            claimed.append(span)
    kept = claimed + [
        s for s in spans if not s.valid and not any(s.start < c.end and c.start < s.end for c in claimed)
    ]
    return sorted(kept, key=lambda s: (s.start, s.end))


def find_spans(text: str, *, bare_phones: bool = True) -> Iterator[tuple[Kind, int, int]]:
    """Valid identifiers in normalised `text` as (kind, start, end), earliest first, never overlapping.
    Without `bare_phones`, a phone number counts only when written as one (prefix, separators) or
    labelled: a bare run of nine digits is as often a code."""
    for span in span_candidates(text):
        if span.valid and (bare_phones or span.formatted or span.labelled):
            yield span.kind, span.start, span.end


def redact(text: str) -> str:
    """`text` with every identifier found in it replaced by its mask. Identifiers are found in the
    normalised text and masked in the original, invisible characters and all."""
    normal, origin = normalise_with_map(text)
    out: list[str] = []
    last = 0
    for kind, start, end in find_spans(normal):
        first, final = origin[start][0], origin[end - 1][1]
        out.append(text[last:first])
        out.append(mask(normal[start:end], kind))
        last = final
    out.append(text[last:])
    return "".join(out)


def header_spans(name: str) -> list[Span]:
    """Valid identifiers in a column name (phones only when written as one)."""
    return [s for s in span_candidates(normalise_text(name)) if s.valid and s.formatted]


def display_name(name: str) -> str:
    """A column name as a report may show it: any identifier in it masked."""
    normal = normalise_text(name)
    spans = header_spans(name)
    if not spans:
        return name
    out, last = [], 0
    for span in spans:
        out.append(normal[last : span.start])
        out.append(mask(span.text, span.kind))
        last = span.end
    out.append(normal[last:])
    return "".join(out)
