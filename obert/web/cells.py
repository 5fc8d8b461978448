"""How a table cell is written on a page, by what its column means rather than by its type alone: a
year, a code or an identifier is written as it is ("2018", "701819", never "2.018"), a coordinate keeps
every decimal it has, only quantities get thousands separators, money keeps its two decimals, and dates
are written the reader's way ("6 de des. 2026", "6 dic 2026", "Dec 6, 2026"). What a column means is
decided once, in obert.datastore.meaning, which the charts read too (they add up quantities only)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Literal

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal, get_decimal_symbol

from obert.datastore.meaning import LABELS, Meaning, meaning_of, words

Display = Literal["quantity", "plain", "coordinate", "money", "date", "datetime", "text"]

# Words that say a quantity is an amount of money: written with its two decimals ("1.234,50").
_MONEY_WORDS = {
    "import", "imports", "importe", "importes", "amount", "amounts", "preu", "preus", "precio", "precios",
    "price", "prices", "euros", "eur", "euro", "cost", "costs", "coste", "costes", "pressupost",
    "presupuesto", "budget", "despesa", "gasto", "expenditure", "ingressos", "ingresos", "revenue",
    "salari", "salario", "salary", "subvencio", "subvencion", "grant", "quota", "cuota", "fee",
}  # fmt: skip


def display_for(meaning: Meaning) -> Display:
    """How cells of a column that means `meaning` are written."""
    if meaning in ("quantity", "coordinate", "date"):
        return meaning
    return "plain" if meaning in LABELS else "text"


@lru_cache(maxsize=8192)
def display_of(name: str, type_: str) -> Display:
    """How the cells of a column called `name`, of type `type_`, are written."""
    meaning = meaning_of(name, type_)
    if meaning == "date" and type_ != "date":
        return "datetime"
    if meaning == "quantity" and (set(words(name)) & _MONEY_WORDS or "€" in name):
        return "money"
    return display_for(meaning)


def write_cell(value: object, display: Display, lang: str) -> str:
    """`value` as the page shows it in `lang`."""
    if value is None:
        return ""
    if display in ("quantity", "money") and (kind := _KINDS.get(type(value))) is not None:
        return _number(kind, str(value), display == "money", lang)
    if (
        display in ("quantity", "money")
        and isinstance(value, int | float | Decimal)
        and not isinstance(value, bool)
    ):
        return _format_number(value, display == "money", lang)
    if display in ("date", "datetime"):
        return _when(value, display, lang)
    if display == "coordinate" and isinstance(value, int | float | Decimal):
        # Every decimal the data has (a longitude cut to 3 decimals is 100 m off), no thousands separator.
        return str(value).replace(".", get_decimal_symbol(lang))
    return str(value)


_KINDS: dict[type, str] = {int: "int", float: "float", Decimal: "Decimal"}
_READ: dict[str, Callable[[str], int | float | Decimal]] = {"int": int, "float": float, "Decimal": Decimal}


@lru_cache(maxsize=8192)
def _number(kind: str, text: str, money: bool, lang: str) -> str:
    # A preview writes a few hundred numbers, mostly the same small counts again: Babel's formatting is
    # remembered by the value's exact text (-0.0 is not 0, nor 1.50 1.5) and type, never by equality.
    return _format_number(_READ[kind](text), money, lang)


def _format_number(value: int | float | Decimal, money: bool, lang: str) -> str:
    if money:
        return str(format_decimal(value, format="#,##0.00", locale=lang, decimal_quantization=True))
    return str(format_decimal(value, locale=lang))


def _when(value: object, display: Display, lang: str) -> str:
    """A date or a time of the data as the reader's language writes it. Times are the data's own (a
    timestamp in a city's file is its local time), so they are not moved to another zone."""
    try:
        when = value if isinstance(value, date) else datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if display == "date" or not isinstance(when, datetime):
        return str(format_date(when, format="medium", locale=lang))
    return str(format_datetime(when, format="medium", locale=lang))
