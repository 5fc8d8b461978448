"""Masks for showing a found value without revealing it: enough shape to recognise the kind, never the
whole value. Every mask hides at least half of a value's letters and digits."""

from __future__ import annotations

import re
from collections.abc import Callable

from obert.privacy.checks import compact
from obert.privacy.kinds import Kind

_ALNUM = re.compile(r"[^\W_]", re.UNICODE)
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def _stars(text: str) -> str:
    return _ALNUM.sub("*", text)


def mask_dni(value: str) -> str:
    """``45678901Z`` -> ``4567****Z``; an NIE keeps its prefix letter: ``X123****L``."""
    c = compact(value)
    return c[:4] + "*" * (len(c) - 5) + c[-1:] if len(c) > 5 else "*" * len(c)


def mask_iban(value: str) -> str:
    """``ES76 **** **** **** **** 1234``: country, check digits and the last four characters."""
    c = compact(value)
    if len(c) < 12:
        return "*" * len(c)
    middle = "*" * (len(c) - 8)
    groups = [c[:4]] + [middle[i : i + 4] for i in range(0, len(middle), 4)] + [c[-4:]]
    return " ".join(groups)


def mask_card(value: str) -> str:
    """``**** **** **** 1234``."""
    digits = compact(value)
    hidden = "*" * (len(digits) - 4)
    return " ".join([hidden[i : i + 4] for i in range(0, len(hidden), 4)] + [digits[-4:]])


def mask_email(value: str) -> str:
    """``jordi@bcn.cat`` -> ``j***@b***.cat``."""
    local, _, domain = value.strip().rpartition("@")
    host, dot, tld = domain.rpartition(".")
    if not host:
        host, tld = domain, ""
    return f"{local[:1]}***@{host[:1]}***{dot}{tld}"


def mask_phone(value: str) -> str:
    """Every digit hidden but the last three; the layout (``+34 *** *** 678``) is kept."""
    total = sum(c.isdigit() for c in value)
    keep_from = total - 3
    out: list[str] = []
    seen = 0
    prefix = re.match(r"\s*\(?\+", value) is not None  # "+34 …" or "(+34) …"
    for c in value:
        if c.isdigit():
            # A leading +34 is public knowledge (the country), not part of the subscriber number.
            in_country_code = prefix and seen < 2 and total > 9
            out.append(c if seen >= keep_from or in_country_code else "*")
            seen += 1
        else:
            out.append(c)
    return "".join(out)


def mask_words(value: str) -> str:
    """First letter of each word: ``Jordi Fernández`` -> ``J**** F********``, digits hidden too."""
    return _WORD.sub(_mask_word, value)


def _mask_word(match: re.Match[str]) -> str:
    word = match.group(0)
    return word[0] + "*" * (len(word) - 1) if word.isalpha() else "*" * len(word)


def mask_date(value: str) -> str:
    """Only the century survives: ``1984-12-28`` -> ``19**-**-**``."""
    head = value[:2] if value[:2].isdigit() else ""
    return head + re.sub(r"\d", "*", value[len(head) :])


def mask_generic(value: str) -> str:
    return value[:1] + _stars(value[1:]) if len(value) > 1 else "*"


_MASKS: dict[Kind, Callable[[str], str]] = {
    "dni": mask_dni,
    "nie": mask_dni,
    "cif": mask_dni,
    "iban": mask_iban,
    "card": mask_card,
    "email": mask_email,
    "phone": mask_phone,
    "person_name": mask_words,
    "address": mask_words,
    "birth_date": mask_date,
    "free_text": mask_words,
}


def mask(value: str, kind: Kind | None = None) -> str:
    """Mask `value` the way its kind is usually shown; without a kind, keep only the first character."""
    return _MASKS[kind](value) if kind is not None else mask_generic(value)


def mask_keep_last(value: str, keep: int) -> str:
    """Every character a star except the last `keep` (at most half of the value is kept)."""
    keep = max(0, min(keep, len(value) // 2))
    return "*" * (len(value) - keep) + (value[-keep:] if keep else "")
