"""Personal data inside running text (comments, descriptions, notes) in Catalan, Spanish or English.

A long-text column is searched for identifiers embedded anywhere in its values; each candidate span is
validated exactly as a whole-value identifier would be. The same span finder lets a transform redact
only the identifiers and keep the rest of the text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from obert.privacy.checks import is_card, is_dni, is_iban, is_nie
from obert.privacy.column import Column, Options
from obert.privacy.identifiers import is_phone
from obert.privacy.kinds import SEVERITY, Finding, Kind
from obert.privacy.masking import mask

PREFILTER = r"@|\d{7}|\d{2,3}[ .\-]\d{2,3}[ .\-]\d{2,3}|[A-Z]{2}\d{2} ?\d{4}"

_SPANS: tuple[tuple[Kind, re.Pattern[str], Callable[[str], bool]], ...] = (
    ("email", re.compile(r"[\w.%+\-]+@[\w\-]+(?:\.[\w\-]+)*\.[A-Za-z]{2,}"), lambda _: True),
    ("iban", re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b"), is_iban),
    ("nie", re.compile(r"\b[XYZ][ \-]?\d{7}[ \-]?[A-Za-z]\b"), is_nie),
    ("dni", re.compile(r"\b(?:\d{8}|\d{2}\.\d{3}\.\d{3})[ \-]?[A-Za-z]\b"), is_dni),
    ("card", re.compile(r"\b\d(?:[ \-]?\d){12,18}\b"), is_card),
    # Nine digits (a Spanish number) with any single separators, after an optional country code.
    ("phone", re.compile(r"(?:(?:\+|\b00)\d{2}[ .\-]?)?\b\d(?:[ .\-]?\d){8}\b"), is_phone),
)


def find_spans(text: str) -> Iterator[tuple[Kind, int, int]]:
    """Validated identifiers in `text` as (kind, start, end), earliest first, never overlapping."""
    taken: list[tuple[int, int]] = []
    found: list[tuple[Kind, int, int]] = []
    for kind, pattern, valid in _SPANS:
        for m in pattern.finditer(text):
            start, end = m.span()
            if any(start < e and s < end for s, e in taken) or not valid(m.group(0)):
                continue
            taken.append((start, end))
            found.append((kind, start, end))
    yield from sorted(found, key=lambda item: item[1])


def redact(text: str) -> str:
    """`text` with every identifier found in it replaced by its mask."""
    out: list[str] = []
    last = 0
    for kind, start, end in find_spans(text):
        out.append(text[last:start])
        out.append(mask(text[start:end], kind))
        last = end
    out.append(text[last:])
    return "".join(out)


def detect_free_text(column: Column, options: Options) -> Finding | None:
    if column.numeric or column.temporal or not column.prose:
        return None
    hits: list[tuple[str, int]] = []
    kinds: dict[str, int] = {}
    examples: list[str] = []
    for value, count in column.candidates(PREFILTER):
        spans = list(find_spans(value))
        if not spans:
            continue
        hits.append((value, count))
        for kind, start, end in spans:
            kinds[kind] = kinds.get(kind, 0) + count
            if len(examples) < options.max_examples:
                examples.append(mask(value[start:end], kind))
    if not hits:
        return None
    matched = sum(n for _, n in hits)
    inside = ", ".join(f"{kind} ({n})" for kind, n in sorted(kinds.items()))
    # Examples show only the masked identifiers, never the surrounding text, which may name people too.
    return Finding(
        column=column.name,
        kind="free_text",
        severity=SEVERITY["free_text"],
        matched=matched,
        scanned=column.scanned,
        reason="content",
        examples=tuple(examples),
        detail=f"{matched} texts contain {inside}",
    )
