"""Numbers as offices write them: thousands separators, a decimal comma, '%', '€', negatives in parentheses.

Each number-looking value is classified by its shape (see :func:`shape_sql`); a column's format is then
decided from the shapes of all its values together (:func:`decide_number`). ``1.234`` on its own can be
one thousand two hundred thirty-four (Spanish thousands dot) or one point two three four (decimal point):
the column's other values decide, then the file's other columns, then the way Spanish and Catalan offices
write numbers. The decision comes with a reason, written into the ingest report in ca, es and en.

Decimals written with a fixed number of places (money: ``12.034,10``) are stored exactly, as
DECIMAL(18, places), so that sums do not lose cents; others are DOUBLE.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from obert.datastore.engine import quote_literal
from obert.i18n import translations
from obert.types import LANGS

# A value that is a number with optional decorations: a sign or parentheses, a currency sign before or
# after, a percent sign after. The body holds digits with '.' and ',' in any order; its shape is
# classified afterwards.
# Spaces, no-break spaces and narrow no-break spaces (French- and ISO-style thousands, '12,5 %').
_SPACES = "\u00a0\u202f"
_SP = f"[\\s{_SPACES}]"
# A single space between digits groups thousands ("1 234,56"); the shapes check the groups.
_BODY = rf"[0-9.,]*[0-9]([0-9.,]|[ {_SPACES}][0-9])*"
_CUR = r"(€|\$|EUR|eur|USD)"
_INNER = rf"[-+]?{_SP}*({_CUR}{_SP}*)?[-+]?{_BODY}({_SP}*{_CUR})?({_SP}*%)?"
# Accounting negatives: "(1.234,50)", the currency sign inside or after the parentheses.
DECORATED_RE = rf"\({_SP}*{_INNER}{_SP}*\)({_SP}*{_CUR})?|{_INNER}"
# Body shapes. "3" means a group of exactly three digits after one separator: ambiguous on its own.
_SHAPES: list[tuple[str, str]] = [
    ("lead0", r"0[0-9].*"),
    ("int", r"[0-9]+"),
    ("dot3", r"[1-9][0-9]{0,2}\.[0-9]{3}"),
    ("dotk", r"[1-9][0-9]{0,2}(\.[0-9]{3}){2,}"),
    ("es", r"[1-9][0-9]{0,2}(\.[0-9]{3})+,[0-9]+"),
    ("comma3", r"[1-9][0-9]{0,2},[0-9]{3}"),
    ("commak", r"[1-9][0-9]{0,2}(,[0-9]{3}){2,}"),
    ("en", r"[1-9][0-9]{0,2}(,[0-9]{3})+\.[0-9]+"),
    ("dot", r"[0-9]*\.[0-9]+"),
    ("comma", r"[0-9]*,[0-9]+"),
    # Thousands grouped by spaces (no-break ones made plain first), then a decimal comma or point.
    ("sp", r"[1-9][0-9]{0,2}( [0-9]{3})+"),
    ("spc", r"[1-9][0-9]{0,2}( [0-9]{3})+,[0-9]+"),
    ("spd", r"[1-9][0-9]{0,2}( [0-9]{3})+\.[0-9]+"),
]
# BIGINT holds 18 digits safely; DECIMAL(18, s) likewise. A DOUBLE holds 15 significant digits exactly,
# which the fast reading path relies on to check a DECIMAL column without parsing its text.
MAX_DIGITS = 18
EXACT_DIGITS = 15
ERROR_MARK = "obert-number"

_COMMA_DECIMALS = {"comma", "es", "dotk", "spc"}  # only possible with ',' as the decimal separator
_DOT_DECIMALS = {"dot", "en", "commak", "exp", "spd"}  # only possible with '.' as the decimal separator
_SPACED = {"sp", "spc", "spd"}  # thousands grouped by spaces
# Currency signs as written -> the unit kept in the version's metadata (ISO 4217 codes).
_CURRENCIES = (("€", "EUR"), ("EUR", "EUR"), ("eur", "EUR"), ("$", "USD"), ("USD", "USD"))


def _(message: str) -> str:
    """Marks a message for extraction; it is translated when the report is written (see :func:`reading`)."""
    return message


def shape_sql(v: str) -> str:
    """SQL classifying the trimmed text `v` (known to match :data:`DECORATED_RE`) as ``n:SHAPE:FLAGS``.

    FLAGS holds ``n`` (negative in parentheses), ``p`` (percent), ``c`` (a euro sign) and ``u`` (a
    dollar sign).
    """
    body = f"regexp_replace(regexp_extract({v}, '{_BODY}'), '[{_SPACES}]', ' ', 'g')"
    # Whole numbers beyond BIGINT stay text.
    huge = f"WHEN regexp_full_match({body}, '[0-9]+') AND TRY_CAST({body} AS BIGINT) IS NULL THEN 'huge'"
    cases = " ".join([huge] + [f"WHEN regexp_full_match({body}, '{p}') THEN '{name}'" for name, p in _SHAPES])
    flags = (
        f"CASE WHEN starts_with({v}, '(') THEN 'n' ELSE '' END || "
        f"CASE WHEN contains({v}, '%') THEN 'p' ELSE '' END || "
        f"CASE WHEN regexp_matches({v}, '€|EUR|eur') THEN 'c' ELSE '' END || "
        f"CASE WHEN regexp_matches({v}, '\\$|USD') THEN 'u' ELSE '' END"
    )
    return f"'n:' || CASE {cases} ELSE 'other' END || ':' || ({flags})"


def digits_sql(v: str) -> tuple[str, str]:
    """SQL for (all digits of the number, digits after its last separator) of the value `v`."""
    body = f"regexp_extract({v}, '{_BODY}')"
    return (
        f"length(regexp_replace({body}, '[^0-9]', '', 'g'))",
        f"length(regexp_extract({body}, '[.,]([0-9]*)$', 1))",
    )


@dataclass(slots=True)
class ShapeStats:
    """What one column's values of one shape looked like."""

    count: int = 0
    digits: int = 0  # most digits in a value
    int_digits: int = 0  # most digits before the last separator
    frac_min: int = 99
    frac_max: int = 0
    example: str = ""  # the value with the most digits

    def add(self, other: ShapeStats) -> None:
        if other.digits > self.digits or not self.example:
            self.example = other.example
        self.count += other.count
        self.digits = max(self.digits, other.digits)
        self.int_digits = max(self.int_digits, other.int_digits)
        self.frac_min = min(self.frac_min, other.frac_min)
        self.frac_max = max(self.frac_max, other.frac_max)


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a column was read as it was: a message (see :func:`_`) and its values."""

    message: str
    values: dict[str, str] = field(default_factory=dict)

    def text(self, lang: str) -> str:
        return translations(lang).gettext(self.message).format(**self.values)


@dataclass(frozen=True, slots=True)
class NumberFormat:
    """How a column writes its numbers, and how it is stored."""

    decimal: str = "."  # the decimal separator
    thousands: str | None = None  # the thousands separator, if any value uses one
    integer: bool = False  # BIGINT (no value has decimals)
    scale: int | None = None  # DECIMAL(18, scale) when every value is written with that many decimals
    decorated: bool = False  # some values carry '%', a currency sign or parentheses
    reasons: tuple[Reason, ...] = ()
    unit: str | None = None  # what the values were written with and stored without: 'EUR', 'USD', '%'

    @property
    def plain(self) -> bool:
        """DuckDB's own parser reads these values (no separators to remove, nothing to strip)."""
        return self.decimal == "." and self.thousands is None and not self.decorated

    @property
    def storage(self) -> str:
        if self.integer:
            return "BIGINT"
        return f"DECIMAL({MAX_DIGITS},{self.scale})" if self.scale is not None else "DOUBLE"

    def value_re(self) -> str:
        """A regular expression every value of the column matches (the check of the fast reading path)."""
        d, t = _re_char(self.decimal), _re_char(self.thousands) if self.thousands else None
        # (values are checked after no-break spaces became plain ones: see convert_sql)
        frac = "" if self.integer else (f"({d}[0-9]{{1,{self.scale}}})?" if self.scale else f"({d}[0-9]+)?")
        whole = "[0-9]+" if t is None else f"([0-9]+|[1-9][0-9]{{0,2}}({t}[0-9]{{3}})+)"
        body = f"{whole}{frac}"
        if not self.integer and not self.scale:
            body = f"({body}|{d}[0-9]+)" + ("([eE][-+]?[0-9]+)?" if self.decimal == "." else "")
        if not self.decorated:
            return f"[-+]?{body}"
        inner = rf"[-+]?\s*({_CUR}\s*)?[-+]?{body}(\s*{_CUR})?(\s*%)?"
        return rf"\(\s*{inner}\s*\)(\s*{_CUR})?|{inner}"

    def parse(self, text: str) -> Decimal:
        """The number that `text` is read as (for reports and tests; the ingest does this in SQL)."""
        text = text.strip()
        negative = text.startswith("(") or "-" in text.split(next(c for c in text if c.isdigit()), 1)[0]
        body = "".join(c for c in text if c.isdigit() or c in ".,eE")
        if self.thousands:
            body = body.replace(self.thousands, "")
        body = body.replace(self.decimal, ".")
        try:
            number = Decimal(body)
        except InvalidOperation as exc:
            raise ValueError(text) from exc
        return -number if negative else number


def _re_char(c: str) -> str:
    return "\\." if c == "." else c


def convert_sql(v: str, fmt: NumberFormat) -> str:
    """SQL turning the trimmed text `v` into the column's number, failing loudly on a value that the
    format does not fit (so that a guess made on the first rows is never applied wrongly to a later one)."""
    if fmt.thousands == " " or fmt.decorated:
        v = f"regexp_replace({v}, '[{_SPACES}]', ' ', 'g')"
    body = f"regexp_extract({v}, '{_BODY}')" if fmt.decorated else v
    if fmt.thousands:
        body = f"replace({body}, {quote_literal(fmt.thousands)}, '')"
    if fmt.decimal != ".":
        body = f"replace({body}, {quote_literal(fmt.decimal)}, '.')"
    if fmt.decorated:
        body = f"CASE WHEN regexp_matches({v}, '^[^0-9]*[-(]') THEN '-' ELSE '' END || {body}"
    value = f"CAST({body} AS {fmt.storage})"
    mark = quote_literal(f"{ERROR_MARK}: ")
    return (
        f"CASE WHEN {v} IS NULL THEN NULL WHEN regexp_full_match({v}, {quote_literal(fmt.value_re())}) "
        f"THEN {value} ELSE error({mark} || {v}) END"
    )


def check_exact_sql(col: str, fmt: NumberFormat) -> str:
    """SQL taking a column DuckDB's parser read as DOUBLE to DECIMAL(18, scale), failing on a value with
    more decimals than the scale (the parser would round it silently)."""
    mark = quote_literal(f"{ERROR_MARK}: ")
    return (
        f"CASE WHEN {col} IS NULL OR round({col}, {fmt.scale}) = {col} THEN CAST({col} AS {fmt.storage}) "
        f"ELSE error({mark} || CAST({col} AS VARCHAR)) END"
    )


def split_kind(kind: str) -> tuple[str, str]:
    _, shape, flags = kind.split(":")
    return shape, flags


def ambiguity(stats: dict[str, ShapeStats]) -> str | None:
    """The decimal separator that the column's own values prove, or None when they do not tell."""
    shapes = {split_kind(k)[0] for k in stats}
    if shapes & _COMMA_DECIMALS and not shapes & _DOT_DECIMALS:
        return ","
    if shapes & _DOT_DECIMALS and not shapes & _COMMA_DECIMALS:
        return "."
    return None


def decide_number(stats: dict[str, ShapeStats], *, file_decimal: str | None) -> NumberFormat | None:
    """The format of a column whose values are all numbers of the shapes in `stats` (``n:SHAPE:FLAGS``
    keys), or None when no single format reads them all. `file_decimal` is the decimal separator that the
    file's other columns prove, if they agree."""
    by_shape: dict[str, ShapeStats] = {}
    flags = ""
    for kind, s in stats.items():
        shape, f = split_kind(kind)
        by_shape.setdefault(shape, ShapeStats()).add(s)
        flags += f
    shapes = set(by_shape)
    if shapes & {"lead0", "other", "huge"}:
        return None
    comma, dot = bool(shapes & _COMMA_DECIMALS), bool(shapes & _DOT_DECIMALS)
    if comma and dot:
        return None
    reasons: list[Reason] = []
    thousands: str | None
    if shapes & _SPACED:
        spaced = _spaced(by_shape, comma=comma, file_decimal=file_decimal, reasons=reasons)
        if spaced is None:
            return None
        decimal, thousands = spaced
        allowed = {"int", "sp", "spc", "comma"} if decimal == "," else {"int", "sp", "spd", "dot"}
        fractional, grouped = {"spc", "spd", "comma", "dot"}, set()
    else:
        decimal, thousands = _separators(
            by_shape, comma=comma, dot=dot, file_decimal=file_decimal, reasons=reasons
        )
        if decimal == ",":
            allowed = {"int", "comma", "comma3", "es", "dot3", "dotk"}
            fractional, grouped = {"comma", "comma3", "es"}, {"dot3", "dotk", "es"}
        else:
            allowed = {"int", "dot", "dot3", "en", "exp", "comma3", "commak"}
            fractional, grouped = {"dot", "dot3", "en", "exp"}, {"comma3", "commak", "en"}
    if not shapes <= allowed or (shapes & grouped and thousands is None):
        return None
    frac = [by_shape[s] for s in shapes & fractional]
    integer = not frac
    scale = None
    if frac and "exp" not in shapes:
        lo, hi = min(s.frac_min for s in frac), max(s.frac_max for s in frac)
        whole = [s.int_digits for s in frac] + [s.digits for n, s in by_shape.items() if n not in fractional]
        if lo == hi and max(whole) + hi <= EXACT_DIGITS:
            scale = hi
    if integer and max((s.digits for n, s in by_shape.items() if n != "int"), default=0) > MAX_DIGITS:
        return None
    if "n" in flags:
        reasons.append(Reason(_("values in parentheses were read as negative numbers")))
    if "p" in flags:
        reasons.append(Reason(_("'%' signs were left out: the numbers are percentages as written")))
    units = {u for f, u in (("c", "EUR"), ("u", "USD"), ("p", "%")) if f in flags}
    if "c" in flags or "u" in flags:
        reasons.append(Reason(_("currency signs were left out")))
    if len(units) == 1:
        reasons.append(
            Reason(_("the unit {unit} is kept in the table's description"), {"unit": next(iter(units))})
        )
    if scale is not None:
        reasons.append(Reason(_("kept exact with {places} decimal places"), {"places": str(scale)}))
    return NumberFormat(
        decimal=decimal,
        thousands=thousands,
        integer=integer,
        scale=scale,
        decorated=any(c in flags for c in "npcu"),
        reasons=tuple(reasons),
        unit=units.pop() if len(units) == 1 else None,
    )


def _spaced(
    by_shape: dict[str, ShapeStats], *, comma: bool, file_decimal: str | None, reasons: list[Reason]
) -> tuple[str, str] | None:
    """(decimal separator, ' ') of a column that groups thousands with spaces, or None if it mixes."""
    shapes = set(by_shape)
    if "spc" in shapes and "spd" in shapes:
        return None
    if "spd" in shapes or (not comma and "dot" in shapes):
        decimal = "."
    elif "spc" in shapes or comma:
        decimal = ","
    else:
        decimal = file_decimal or ","
    example = next(by_shape[s].example for s in ("spc", "spd", "sp") if s in by_shape)
    value = NumberFormat(decimal=decimal, thousands=" ", decorated=True).parse(example)
    reasons.append(
        Reason(
            _("{example} read as {value}: {why}"),
            {"example": " ".join(example.split()), "value": str(value), "why": "{why}"},
        )
    )
    reasons.append(Reason(_("the column groups thousands with spaces")))
    return decimal, " "


def _separators(
    by_shape: dict[str, ShapeStats],
    *,
    comma: bool,
    dot: bool,
    file_decimal: str | None,
    reasons: list[Reason],
) -> tuple[str, str | None]:
    """(decimal separator, thousands separator) of a column, adding the reason when it was not plain."""
    shapes = set(by_shape)
    es = Reason(_("the column writes thousands with '.' and decimals with ','"))
    if comma:
        thousands = "." if shapes & {"dot3", "dotk", "es"} else None
        _explain(by_shape, ",", thousands, es if thousands or "comma3" in shapes else None, reasons)
        return ",", thousands
    if dot:
        thousands = "," if shapes & {"comma3", "commak", "en"} else None
        en = Reason(_("the column writes thousands with ',' and decimals with '.'"))
        _explain(by_shape, ".", thousands, en if thousands or "dot3" in shapes else None, reasons)
        return ".", thousands
    ambiguous = shapes & {"dot3", "comma3"}
    if not ambiguous:
        return ".", None
    big = by_shape.get("int")
    example = big.example if big else ""
    if len(ambiguous) == 1 and big is not None:
        sep = "." if "dot3" in ambiguous else ","
        if big.digits >= 4:
            why = Reason(
                _(
                    "'{sep}' is the decimal separator: the column writes numbers over 999 without one "
                    "(as {other})"
                ),
                {"sep": sep, "other": example},
            )
            _explain(by_shape, sep, None, why, reasons)
            return sep, None
        why = Reason(
            _(
                "'{sep}' separates thousands: the column's other values are whole numbers below 1000 "
                "(as {other})"
            ),
            {"sep": sep, "other": example},
        )
        decimal = "," if sep == "." else "."
        _explain(by_shape, decimal, sep, why, reasons)
        return decimal, sep
    if file_decimal is not None:
        decimal = file_decimal
        why = Reason(
            _("the column alone does not tell; the file's other columns write decimals with '{sep}'"),
            {"sep": decimal},
        )
    else:
        decimal = ","
        why = Reason(
            _(
                "the column alone does not tell; read as Spanish and Catalan offices write numbers, "
                "'.' for thousands and ',' for decimals"
            )
        )
    thousands = "." if decimal == "," else ","
    _explain(by_shape, decimal, thousands, why, reasons)
    return decimal, thousands


def _explain(
    by_shape: dict[str, ShapeStats],
    decimal: str,
    thousands: str | None,
    why: Reason | None,
    reasons: list[Reason],
) -> None:
    if why is None:
        return
    for shape in ("dot3", "comma3", "es", "en", "dotk", "commak", "comma", "dot"):
        if shape in by_shape:
            example = by_shape[shape].example
            break
    else:
        return
    fmt = NumberFormat(decimal=decimal, thousands=thousands, decorated=True)
    try:
        value = str(fmt.parse(example))
    except ValueError:
        return
    reasons.append(
        Reason(
            _("{example} read as {value}: {why}"),
            {"example": example.strip(), "value": value, "why": "{why}"},
        )
    )
    reasons.append(why)


def reading(fmt: NumberFormat | None) -> dict[str, str]:
    """The reasons for a column's reading as one sentence per language (empty when it was plain)."""
    if fmt is None or not fmt.reasons:
        return {}
    out: dict[str, str] = {}
    for lang in LANGS:
        parts: list[str] = []
        pending = ""
        for r in fmt.reasons:
            text = r.text(lang)
            if "{why}" in text:
                pending = text
                continue
            if pending:
                parts.append(pending.replace("{why}", text))
                pending = ""
            else:
                parts.append(text)
        out[lang] = "; ".join(parts)
    return out
