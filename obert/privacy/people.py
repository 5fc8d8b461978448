"""Detectors that need judgement rather than a check digit: person names, postal addresses, birth dates.

They weigh two signals, the column's name and its values, and say which one carried the finding. A
column name alone is enough only when it is unambiguous (``cognoms``, ``surname``); words such as
``nom`` or ``name`` also label streets and districts in open data, so the values must agree.
"""

from __future__ import annotations

import re
from datetime import date

from obert.privacy.column import Column, Options
from obert.privacy.kinds import Finding, Reason
from obert.privacy.lexicon import (
    ADDRESS_HINTS,
    BIRTH_HINTS,
    GIVEN_NAMES,
    HONORIFICS,
    NAME_NEGATIVE,
    NAME_STRONG,
    NAME_WEAK,
    PARTICLES,
    SURNAMES,
    column_tokens,
    fold,
    has_hint,
)

# Capitalised word, then another word: the shape of "Jordi Fernández" or "FERNÁNDEZ, JORDI".
NAME_PREFILTER = r"^[A-ZÀ-ÝÃ][\w'·.\-]*,? +\w"
_NAME_SHAPE = re.compile(r"^[^\W\d_][\w'·.\- ,]{0,60}$")
_WORDS = re.compile(r"[^\W\d_]+(?:['·][^\W\d_]+)*")

ROAD = (
    r"(?:c/|c\.|cl\.?|calle|carrer|avda\.?|av\.?|avinguda|avenida|pg\.?|passeig|paseo|pl\.?|plaça|plaza|"
    r"ptge\.?|passatge|pasaje|rambla|ronda|travessera|via|camí|camino|carretera|ctra\.?|gran via)"
)
# Road, name, number: "C/ Mallorca 401" or "Carrer de Sants, 12".
ADDRESS_SHAPE = r"(?i)^" + ROAD + r"\s*[\w'·.\- ]+?,?\s+(?:n[º°o]\.?\s*)?\d{1,4}[a-z]?\b"
# Floor and door, which make an address a home: "3r 2a", "1º 2ª", "pral.", "bxs", "piso 4".
DWELLING = (
    r"(?i)(?:\b\d{1,2}\s*(?:r|n|t|è|º|ª|o|a)\b.*\b\d{1,2}\s*(?:r|n|t|è|º|ª|o|a)?\b|\bpral\b|\bbxs\b|"
    r"\bentl\b|\bàtic\b|\batico\b|\bpiso\b|\bpuerta\b|\bpta\b|\besc\b|\bescalera\b|\bescala\b)"
)
_HAS_NUMBER = r"\d"
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
_DMY_DATE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")


def person_score(value: str) -> tuple[bool, bool]:
    """(full, given_only): a given name followed by a known surname or two capitalised words, or a
    single known given name. Place-like values (articles first, saints) are never names."""
    words = _WORDS.findall(value)
    if not words or not words[0][:1].isupper() or len(words) > 6:
        return False, False
    folded = [fold(w) for w in words]
    if folded[0] in HONORIFICS:
        folded, words = folded[1:], words[1:]
    if "," in value and len(folded) >= 2:  # "Fernández García, Jordi"
        head, _, tail = value.partition(",")
        folded = [fold(w) for w in _WORDS.findall(tail) + _WORDS.findall(head)]
    if not folded:
        return False, False
    if len(folded) == 1:
        return False, folded[0] in GIVEN_NAMES
    rest = [w for w in folded[1:] if w not in PARTICLES]
    if folded[0] not in GIVEN_NAMES or not rest:
        return False, False
    if any(w in SURNAMES for w in rest):
        return True, False
    # Two unknown surnames, both capitalised, as in the Spanish naming custom ("Núria Vallbona Tresserra").
    capitalised = [w for w in words[1:] if fold(w) not in PARTICLES]
    return len(capitalised) >= 2 and all(w[:1].isupper() for w in capitalised), False


def detect_person_name(column: Column, options: Options) -> Finding | None:
    if column.numeric or column.temporal or not column.filled:
        return None
    words, joined = column_tokens(column.name)
    strong = bool((words | joined) & NAME_STRONG)
    weak = bool((words | joined) & NAME_WEAK)
    negative = bool(words & NAME_NEGATIVE) and not strong
    if negative:
        return None
    if strong:
        shaped = [(v, n) for v, n in column.all_values() if _NAME_SHAPE.match(v)]
        if sum(n for _, n in shaped) < options.min_share * column.filled:
            return None
        return _name_finding(column, shaped, "column_name", options)
    full: list[tuple[str, int]] = []
    given: list[tuple[str, int]] = []
    pool = column.all_values() if weak else column.candidates(NAME_PREFILTER)
    for value, count in pool:
        is_full, is_given = person_score(value)
        if is_full:
            full.append((value, count))
        elif is_given:
            given.append((value, count))
    if weak:
        hits = full + given
        # Weak hint: a third of the values being names is already telling; given-only values count.
        if sum(n for _, n in hits) >= 0.3 * column.filled and len(hits) >= 1:
            return _name_finding(column, hits, "both", options)
        return None
    matched = sum(n for _, n in full)
    if len(full) >= 2 and matched >= max(options.min_share, 0.6) * column.filled:
        return _name_finding(column, full, "content", options)
    return None


def _name_finding(column: Column, hits: list[tuple[str, int]], reason: Reason, options: Options) -> Finding:
    matched = sum(n for _, n in hits)
    detail = {
        "column_name": "the column name says it holds people's names",
        "both": f"the column name suggests names and {matched} values are common given names or surnames",
        "content": f"{matched} values look like a given name followed by surnames",
    }[reason]
    return column.finding_from("person_name", hits, reason, options, detail)


def detect_address(column: Column, options: Options) -> Finding | None:
    if column.numeric or column.temporal:
        return None
    # Only the leaf: the fields of an ``addresses`` record are mostly codes, not addresses.
    if has_hint(column.name, ADDRESS_HINTS, levels=1):
        hits = [(v, n) for v, n in column.candidates(_HAS_NUMBER) if _letters(v) >= 3]
        reason: Reason = "both"
        detail = "the column name says addresses and the values carry street numbers"
    else:
        hits = [(v, n) for v, n in column.candidates(ADDRESS_SHAPE) if re.search(DWELLING, v)]
        reason = "content"
        detail = "values are street addresses with floor and door"
    matched = sum(n for _, n in hits)
    if not matched or matched < options.min_share * column.filled:
        return None
    return column.finding_from("address", hits, reason, options, detail)


def _letters(value: str) -> int:
    return sum(c.isalpha() for c in value)


def _parse_date(value: str) -> date | None:
    m = _ISO_DATE.match(value)
    if m:
        year, month, day = (int(g) for g in m.groups())
    else:
        m = _DMY_DATE.match(value)
        if not m:
            return None
        day, month, year = (int(g) for g in m.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None


def detect_birth_date(column: Column, options: Options) -> Finding | None:
    """Dates in a column named for births, within a human lifetime of `options.today`."""
    if column.numeric or not has_hint(column.name, BIRTH_HINTS):
        return None
    hits = []
    for value, count in column.candidates(r"^\d"):
        born = _parse_date(value)
        if born is not None and 0 <= (options.today - born).days <= 120 * 366:
            hits.append((value, count))
    matched = sum(n for _, n in hits)
    if not matched or matched < options.min_share * column.filled:
        return None
    detail = f"the column name says birth dates and {matched} values are dates within a human lifetime"
    return column.finding_from("birth_date", hits, "both", options, detail)
