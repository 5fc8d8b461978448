"""Small pieces of Catalan and Spanish grammar for phrases built around a name the portal does not know
in advance (a table's title, a column's name): "de" before a vowel, "del", "y"/"e".

A translation cannot choose between "Mapa de Barris" and "Mapa d'Accidents" by itself, so the phrase
"of <title>" is made here and the translation places it ("Map %(of_title)s" → "Mapa %(of_title)s").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_VOWELS = "aeiou"
# A number as Catalan writes it: "." or a space between thousands, "," before decimals.
_NUMBER = re.compile(r"^\d[\d. \u00a0\u202f]*")


def _plain(word: str) -> str:
    """`word` lower-cased without accents (à → a, ï → i)."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def elides(text: str) -> bool:
    """Whether Catalan's "de" takes an apostrophe before `text`: before a vowel sound (d'Accidents,
    d'habitatges, d'11), not before a consonant or an i/u that is followed by a vowel (de iogurt, de
    Huelva)."""
    stripped = text.lstrip(" \"'“«(")
    if not stripped:
        return False
    if stripped[0].isdigit():
        return _vowel_number(stripped)
    word = _plain(stripped)
    if word.startswith("h"):
        word = word[1:]
    if not word or word[0] not in _VOWELS:
        return False
    # i and u before a vowel are consonants in Catalan: "de iode", "de Huelva", "de whisky" (w is left out).
    return not (word[0] in "iu" and len(word) > 1 and word[1] in _VOWELS and not _stressed(stripped))


def _vowel_number(text: str) -> bool:
    """Whether the Catalan reading of the number `text` starts with a vowel: u/un (1), onze (11), onze mil
    (11,000-11,999), un milió, onze milions. Vuit (8) starts with a consonant, mil (1,000) too."""
    found = _NUMBER.match(text)
    digits = "".join(ch for ch in found.group(0) if ch.isdigit()) if found else ""
    if not digits:
        return False
    n = int(digits)
    while n >= 1_000_000:  # "un milió", "onze milions": what counts the millions is read first
        n //= 1_000_000
    return n in (1, 11) or 11_000 <= n <= 11_999


def _stressed(text: str) -> bool:
    # "ï", "ü" or an accent on the first letter mark a full vowel: "d'Ïària".
    first = text.lstrip("hH")[:1]
    return first in "ÏÜïüÍÚíú"


def of_phrase(text: str, lang: str) -> str:
    """ "of `text`" in `lang`: ca "d'Accidents" / "de Barris", es "de Accidentes" / "del ..." for a
    lowercase "el", en "of Accidents"."""
    if lang == "ca":
        return f"d'{text}" if elides(text) else f"de {text}"
    if lang == "es":
        # "de el" contracts to "del"; a name that begins with El (El Raval, El Prat) keeps it.
        return f"del {text[3:]}" if text.startswith("el ") else f"de {text}"
    return f"of {text}"


def _spanish_and(next_item: str) -> str:
    # "y" becomes "e" before the sound i (e Inspecciones, e hijos), but not before a diphthong (y hielo).
    word = _plain(next_item.lstrip(" \"'“«("))
    if word.startswith("h"):
        word = word[1:]
    if word.startswith("i") and not (len(word) > 1 and word[1] in "aeou"):
        return "e"
    return "y"


def and_join(items: Iterable[str], lang: str) -> str:
    """`items` as one list in `lang`: "a, b i c", "a, b y c" (or "e" before an i sound), "a, b and c"."""
    parts = list(items)
    if len(parts) <= 1:
        return parts[0] if parts else ""
    last = parts[-1]
    word = {"ca": "i", "en": "and"}.get(lang) or _spanish_and(last)
    return ", ".join(parts[:-1]) + f" {word} {last}"


_COUNT_OF = re.compile(
    r"^(?:n[uú]mero|nombre|number|num|n[º°o]?|total|quantitat|cantidad)(?:\s+(?:de|d'|of|del)\s*|\s+|(?<=')|$)",
    re.IGNORECASE,
)


def column_words(name: str) -> str:
    """A column's name as words: "Numero_victimes" → "Numero victimes"."""
    return " ".join(name.replace("_", " ").split())


def counted(name: str) -> str | None:
    """What a column that counts something counts: "Número de víctimes" → "víctimes", "Numero_morts" →
    "morts", "Number of vehicles" → "vehicles"; None for a name that is not "number of …". A sum of such
    a column is a number of those things, and a chart's title says so: "Víctimes per any"."""
    words = column_words(name)
    found = _COUNT_OF.match(words)
    rest = words[found.end() :].strip() if found else ""
    return rest or None


def lower_first(text: str) -> str:
    """`text` with its first letter lower-cased to follow a preposition ("per any"), unless it begins an
    acronym or a name written in capitals ("SEXE", "NK Any")."""
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def upper_first(text: str) -> str:
    """`text` with its first letter in capitals, to begin a title ("víctimes" → "Víctimes")."""
    return text[:1].upper() + text[1:]
