"""Text as the detectors read it, whatever way it was typed or disguised.

An identifier survives being written in full-width digits (``１２３４５６７８Ｚ``), with invisible characters
inside (U+200B, U+200C, U+200D, U+2060, U+FEFF, soft hyphens), with no-break spaces or typographic
dashes between its groups, or escaped inside JSON text (``\\u200b``, ``\\uff11``). Normalising undoes all
of that before any pattern runs: JSON ``\\uXXXX`` escapes decoded, Unicode compatibility forms folded
(NFKC: full-width and mathematical digits become ASCII, exotic spaces become spaces), invisible
characters removed, dashes made ``-``. Check digits are validated on the result, so folding more text into
the identifier shapes never lowers precision.

`normalise_array` does it over an Arrow array (only the few cells that are not plain ASCII pay for it);
`normalise_with_map` does it for one string and says where each character came from, so a redaction can
mask the identifier in the original text.
"""

from __future__ import annotations

import re
import unicodedata

import pyarrow as pa
import pyarrow.compute as pc

# Characters that render as nothing: format characters (Cf: zero-width space and joiners, word joiner,
# byte-order mark, soft hyphen, bidirectional marks), the combining grapheme joiner, variation
# selectors and the Hangul fillers, which fonts draw as blanks.
_IGNORABLE_RANGES = (
    (0x034F, 0x034F),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFFA0, 0xFFA0),
    (0xE0100, 0xE01EF),
)
IGNORABLE_RE2 = "[\\p{Cf}" + "".join(f"\\x{{{a:04X}}}-\\x{{{b:04X}}}" for a, b in _IGNORABLE_RANGES) + "]"
# Dashes NFKC leaves alone: hyphen, non-breaking hyphen, figure dash, en and em dashes, minus sign.
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2e3a\u2e3b\ufe58"
DASHES_RE2 = "[" + "".join(f"\\x{{{ord(c):04X}}}" for c in _DASHES) + "]"
_DASH_MAP = {ord(c): "-" for c in _DASHES}
# The blocks holding every character whose compatibility form brings in a digit, a Latin letter or
# identifier punctuation (full-width and mathematical forms, circled and parenthesised numbers,
# super- and subscripts, ligatures, odd spaces); tests/privacy checks no other character does.
_COMPAT_BLOCKS = ((0x80, 0x3400), (0xA700, 0xA800), (0xFB00, 0x10000), (0x10700, 0x10800),
                  (0x1D400, 0x1D800), (0x1F100, 0x1F200), (0x1FB00, 0x1FC00))  # fmt: skip
IDENTIFIER_CHARS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz@+.-()/ ")


def folds_into_identifier(char: str) -> bool:
    """Whether NFKC turns `char` into something else holding an identifier's character."""
    folded = unicodedata.normalize("NFKC", char)
    return folded != char and any(c in IDENTIFIER_CHARS for c in folded)


def _compat_class() -> str:
    ranges: list[list[int]] = []
    for first, end in _COMPAT_BLOCKS:
        for code in range(first, end):
            if folds_into_identifier(chr(code)):
                if ranges and ranges[-1][1] == code - 1:
                    ranges[-1][1] = code
                else:
                    ranges.append([code, code])
    return "".join(f"\\x{{{a:04X}}}-\\x{{{b:04X}}}" for a, b in ranges)


# A JSON escape of a character that is not half of a surrogate pair (those stay as they are).
_ESCAPE = re.compile(r"\\u(?![dD][89a-fA-F])([0-9a-fA-F]{4})")
ESCAPE_RE2 = r"\\u[0-9a-fA-F]{4}"
# Cells that normalising may change in a way a detector would notice; the others (plain ASCII, or text
# whose only exotic characters are accented letters and Catalan or Spanish punctuation) are left alone.
NEEDS_NORMALISING = f"{IGNORABLE_RE2[:-1]}{DASHES_RE2[1:-1]}{_compat_class()}]|{ESCAPE_RE2}"


def _ignorable(char: str) -> bool:
    if unicodedata.category(char) == "Cf":
        return True
    code = ord(char)
    return any(a <= code <= b for a, b in _IGNORABLE_RANGES)


def _fold(char: str) -> str:
    if _ignorable(char):
        return ""
    return unicodedata.normalize("NFKC", char).translate(_DASH_MAP)


def normalise_text(text: str) -> str:
    """`text` as the detectors read it (see the module's docstring)."""
    if text.isascii() and "\\u" not in text:
        return text
    return normalise_with_map(text)[0]


def normalise_with_map(text: str) -> tuple[str, list[tuple[int, int]]]:
    """The normalised text and, for each of its characters, the span of `text` it came from."""
    out: list[str] = []
    origin: list[tuple[int, int]] = []
    position = 0
    while position < len(text):
        escape = _ESCAPE.match(text, position) if text[position] == "\\" else None
        if escape is not None:
            char, end = chr(int(escape.group(1), 16)), escape.end()
        else:
            char, end = text[position], position + 1
        for folded in _fold(char):
            out.append(folded)
            origin.append((position, end))
        position = end
    return "".join(out), origin


def normalise_array(values: pa.Array) -> pa.Array:
    """`values` (strings) normalised cell by cell; only the cells `NEEDS_NORMALISING` picks pay for it,
    so a column of ordinary text costs one RE2 pass."""
    if not len(values):
        return values
    todo = pc.fill_null(pc.match_substring_regex(values, NEEDS_NORMALISING), False)
    if not pc.any(todo).as_py():
        return values
    picked = pc.filter(values, todo)
    if pc.any(pc.match_substring_regex(picked, ESCAPE_RE2)).as_py():
        fixed = pa.array([None if v is None else normalise_text(v) for v in picked.to_pylist()], pa.string())
    else:
        fixed = pc.utf8_normalize(picked, "NFKC")
        fixed = pc.replace_substring_regex(fixed, IGNORABLE_RE2, "")
        fixed = pc.replace_substring_regex(fixed, DASHES_RE2, "-")
    fixed = pc.utf8_trim_whitespace(fixed)  # what was an invisible or ideographic space at either end
    return pc.replace_with_mask(values, todo, fixed.cast(values.type))
