"""Identifiers inside text: running prose (comments, descriptions) and short notes, codes or JSON.

A prose column (long values of several words, in Catalan, Spanish or English) is reported as free text
when any of its values holds a valid identifier. Any other text column is searched too, cell by cell,
for identifiers embedded in it ("Contacte: maria@…, tel 612 345 678", ``{"deep": "DNI 12345678Z"}``):
those count per kind, like whole values, so one real DNI in a column of codes is caught and a code that
happens to pass a check letter is not. Values that are an identifier whole are the whole-value
detectors' (`identifiers`); only the others are read here, and only those an Arrow prefilter picks.
"""

from __future__ import annotations

import pyarrow.compute as pc

from obert.privacy.column import Column, Options
from obert.privacy.identifiers import without_identifier_shapes
from obert.privacy.kinds import Kind
from obert.privacy.lexicon import PHONE_HINTS, has_hint
from obert.privacy.masking import mask
from obert.privacy.spans import PREFILTERS, SPAN_KINDS, prefilter, span_candidates
from obert.privacy.tally import FreeTextTally, Tally

WHAT: dict[Kind, str] = {
    "dni": "DNI numbers with a correct check letter",
    "nie": "NIE numbers with a correct check letter",
    "iban": "IBANs with a correct mod-97 checksum",
    "email": "e-mail addresses",
    "phone": "valid phone numbers",
    "card": "payment card numbers (issuer prefix and Luhn check)",
}


def _candidates(
    column: Column, kinds: tuple[Kind, ...], *, whole_too: bool
) -> list[tuple[str, int, tuple[Kind, ...]]]:
    """The column's distinct values that may hold a span of `kinds`, their counts, and which of the
    kinds' prefilters each one matches (Python then looks only for those)."""
    pattern = prefilter(kinds)
    if pattern is None:
        return []
    narrowed = column.narrowed(pattern)
    if not whole_too:
        narrowed = without_identifier_shapes(narrowed)
    if not len(narrowed.distinct):
        return []
    if not narrowed.counted:
        tally = pc.value_counts(narrowed.distinct)
        values, counts = tally.field("values"), tally.field("counts")
    else:
        values, counts = narrowed.distinct, narrowed.counts
    masks = [pc.match_substring_regex(values, PREFILTERS[kind]).to_pylist() for kind in kinds]
    return [
        (value, count, tuple(kind for kind, mask in zip(kinds, masks, strict=True) if mask[i]))
        for i, (value, count) in enumerate(zip(values.to_pylist(), counts.to_pylist(), strict=True))
    ]


def free_text_tally(column: Column, options: Options, *, skip: frozenset[str] = frozenset()) -> FreeTextTally:
    """Texts of a prose column that hold at least one valid identifier (none once `skip` holds
    "free_text": the column is already known to hold some)."""
    tally = FreeTextTally()
    if column.numeric or column.temporal or not column.prose or "free_text" in skip:
        return tally
    bare_phones = has_hint(column.name, PHONE_HINTS)
    for value, count, kinds in _candidates(column, SPAN_KINDS, whole_too=True):
        spans = [
            s for s in span_candidates(value, kinds) if s.valid and (bare_phones or s.formatted or s.labelled)
        ]
        if not spans:
            continue
        tally.matched += count
        for span in spans:
            tally.kinds[span.kind] = tally.kinds.get(span.kind, 0) + count
            if len(tally.examples) < options.max_examples:
                tally.examples.append(mask(span.text, span.kind))
    return tally


def embedded_tallies(column: Column, options: Options, *, skip: frozenset[str] = frozenset()) -> list[Tally]:
    """Identifiers inside the values of a column that is not prose, kind by kind (except the kinds in
    `skip`, already found in the column)."""
    if column.numeric or column.temporal or column.prose:
        return []
    hinted = has_hint(column.name, PHONE_HINTS)
    tallies: dict[Kind, Tally] = {}
    wanted = tuple(k for k in SPAN_KINDS if k not in skip)
    for value, count, kinds in _candidates(column, wanted, whole_too=False):
        seen: dict[Kind, tuple[bool, bool, str | None]] = {}
        for span in span_candidates(value, kinds):
            if span.kind == "phone" and not (hinted or span.formatted or span.labelled):
                continue
            valid, sure, example = seen.get(span.kind, (False, False, None))
            if span.valid and example is None:
                example = span.text
            seen[span.kind] = (valid or span.valid, sure or span.sure, example)
        for kind, (valid, sure, example) in seen.items():
            tally = tallies.setdefault(kind, Tally(kind=kind, what=WHAT[kind]))
            tally.looked_at += count
            if valid:
                tally.matched += count
                tally.embedded += count
            if sure:
                tally.sure += count
            if example is not None and len(tally.examples) < options.max_examples:
                masked = mask(example, kind)
                if masked not in tally.examples:
                    tally.examples.append(masked)
    if hinted and "phone" in tallies:
        tallies["phone"].reason = "both"
    return list(tallies.values())
