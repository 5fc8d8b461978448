"""Identifiers inside text: running prose (comments, descriptions) and short notes, codes or JSON.

A prose column (long values of several words, in Catalan, Spanish or English) is reported as free text
when any of its values holds a valid identifier. Any other text column is searched too, cell by cell,
for identifiers embedded in it ("Contacte: maria@…, tel 612 345 678", ``{"deep": "DNI 12345678Z"}``):
those count per kind, like whole values, so one real DNI in a column of codes is caught and a code that
happens to pass a check letter is not. Values that are an identifier whole are the whole-value
detectors' (`identifiers`); only the others are read here, and only those an Arrow prefilter picks.
"""

from __future__ import annotations

from obert.privacy.column import Column, Options
from obert.privacy.identifiers import ANY_IDENTIFIER
from obert.privacy.kinds import Kind
from obert.privacy.lexicon import PHONE_HINTS, has_hint
from obert.privacy.masking import mask
from obert.privacy.spans import PREFILTER, find_spans, span_candidates
from obert.privacy.tally import FreeTextTally, Tally

WHAT: dict[Kind, str] = {
    "dni": "DNI numbers with a correct check letter",
    "nie": "NIE numbers with a correct check letter",
    "iban": "IBANs with a correct mod-97 checksum",
    "email": "e-mail addresses",
    "phone": "valid phone numbers",
    "card": "payment card numbers (issuer prefix and Luhn check)",
}


def free_text_tally(column: Column, options: Options) -> FreeTextTally:
    """Texts of a prose column that hold at least one valid identifier."""
    tally = FreeTextTally()
    if column.numeric or column.temporal or not column.prose:
        return tally
    bare_phones = has_hint(column.name, PHONE_HINTS)
    for value, count in column.candidates(PREFILTER):
        spans = list(find_spans(value, bare_phones=bare_phones))
        if not spans:
            continue
        tally.matched += count
        for kind, start, end in spans:
            tally.kinds[kind] = tally.kinds.get(kind, 0) + count
            if len(tally.examples) < options.max_examples:
                tally.examples.append(mask(value[start:end], kind))
    return tally


def embedded_tallies(column: Column, options: Options) -> list[Tally]:
    """Identifiers inside the values of a column that is not prose, kind by kind."""
    if column.numeric or column.temporal or column.prose:
        return []
    inside = column.narrowed(PREFILTER).without(ANY_IDENTIFIER)
    if not len(inside.distinct):
        return []
    hinted = has_hint(column.name, PHONE_HINTS)
    tallies: dict[Kind, Tally] = {}
    for value, count in inside.all_values():
        seen: dict[Kind, tuple[bool, bool, str | None]] = {}
        for span in span_candidates(value):
            if span.kind == "phone" and not (hinted or span.formatted or span.labelled):
                continue
            valid, sure, example = seen.get(span.kind, (False, False, None))
            if span.valid and example is None:
                example = mask(span.text, span.kind)
            seen[span.kind] = (valid or span.valid, sure or span.sure, example)
        for kind, (valid, sure, example) in seen.items():
            tally = tallies.setdefault(kind, Tally(kind=kind, what=WHAT[kind]))
            tally.looked_at += count
            if valid:
                tally.matched += count
                tally.embedded += count
            if sure:
                tally.sure += count
            if example is not None and example not in tally.examples[: options.max_examples]:
                tally.examples = [*tally.examples, example][: options.max_examples]
    if hinted and "phone" in tallies:
        tallies["phone"].reason = "both"
    return list(tallies.values())
