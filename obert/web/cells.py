"""How a table cell is written on a page, by what its column means rather than by its type alone: a
year, a code or an identifier is written as it is ("2018", "701819", never "2.018"), a coordinate keeps
every decimal it has, and only quantities get thousands separators. What a column means is decided once,
in obert.datastore.meaning, which the charts read too (they add up quantities only)."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from babel.numbers import format_decimal, get_decimal_symbol

from obert.datastore.meaning import LABELS, Meaning, meaning_of

Display = Literal["quantity", "plain", "coordinate", "text"]


def display_for(meaning: Meaning) -> Display:
    """How cells of a column that means `meaning` are written."""
    if meaning in ("quantity", "coordinate"):
        return meaning
    return "plain" if meaning in LABELS else "text"


def display_of(name: str, type_: str) -> Display:
    """How the cells of a column called `name`, of type `type_`, are written."""
    return display_for(meaning_of(name, type_))


def write_cell(value: object, display: Display, lang: str) -> str:
    """`value` as the page shows it in `lang`."""
    if value is None:
        return ""
    if display == "quantity" and isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return str(format_decimal(value, locale=lang))
    if display == "coordinate" and isinstance(value, int | float | Decimal):
        # Every decimal the data has (a longitude cut to 3 decimals is 100 m off), no thousands separator.
        return str(value).replace(".", get_decimal_symbol(lang))
    return str(value)
