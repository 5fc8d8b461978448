"""What dates a table's rows, for OGC API's `datetime` and a collection's temporal extent.

A table's first date or date-time column, when it has one. Else a date put together from columns that
split it in parts, as Barcelona's accident tables do (`Any`, `Mes_any`, `Dia_mes`, `Hora_dia`; `NK Any`,
`Mes de any`, `Dia de mes`, `Hora de dia`): a year, a month and a day column (an hour column too, when
there is one), recognised by the words of their names in Catalan, Spanish and English and by their type
(whole numbers, or text holding them, like "03"). A row whose parts do not make a date (-1, 31 February)
has no date: it is in no interval.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from obert.datastore.engine import quote_ident
from obert.datastore.schema import TableSchema
from obert.errors import FieldError, Invalid

Part = Literal["year", "month", "day", "hour"]
_PART_WORDS: dict[Part, set[str]] = {
    "hour": {"hora", "hour"},
    "day": {"dia", "day"},
    "month": {"mes", "month"},
    "year": {"any", "year", "ano", "anyo", "anio"},
}
# A column naming these is a label or another reckoning (day of the week), not a part of the date.
_NOT_A_PART = {
    "nom", "nombre", "name", "descripcio", "descripcion", "description", "tipus", "tipo", "type",
    "setmana", "semana", "week", "weekday", "torn", "turno", "minut", "minuto", "minute", "id",
}  # fmt: skip
_PART_TYPES = {"integer", "text"}


@dataclass(frozen=True, slots=True)
class TimeSpan:
    """An instant (start == end) or an interval, either end open (None); times without a zone are UTC."""

    start: date | None
    end: date | None

    @property
    def instant(self) -> bool:
        return self.start is not None and self.start == self.end


@dataclass(frozen=True, slots=True)
class Temporal:
    """The date of a row: one column, or an expression over the columns that hold its parts."""

    kind: Literal["date", "datetime"]
    column: str | None = None  # a date or date-time column
    parts: tuple[tuple[Part, str], ...] = ()  # (part, column), year first

    @property
    def label(self) -> str:
        """The column, or the part columns joined by '+' (what a collection says dates its rows)."""
        return self.column or "+".join(c for _, c in self.parts)

    @property
    def columns(self) -> list[str]:
        return [self.column] if self.column else [c for _, c in self.parts]

    def sql(self) -> str:
        """The row's date (DATE or TIMESTAMP), NULL where the parts do not make one."""
        if self.column:
            return quote_ident(self.column)
        values = {part: f"TRY_CAST({quote_ident(col)} AS INTEGER)" for part, col in self.parts}
        if "hour" in values:
            y, m, d, h = values["year"], values["month"], values["day"], values["hour"]
            return f"try(make_timestamp({y}, {m}, {d}, {h}, 0, 0))"
        return f"try(make_date({values['year']}, {values['month']}, {values['day']}))"


def temporal_of(schema: TableSchema) -> Temporal | None:
    """What dates the rows of a table with `schema` (see the module docstring), if anything does."""
    for f in schema.fields:
        if f.type in ("date", "datetime"):
            return Temporal(kind="date" if f.type == "date" else "datetime", column=f.name)
    found: dict[Part, str] = {}
    for f in schema.fields:
        if f.type not in _PART_TYPES:
            continue
        part = _part(f.name)
        if part is not None and part not in found:
            found[part] = f.name
    if not {"year", "month", "day"} <= set(found):
        return None
    order: tuple[Part, ...] = ("year", "month", "day", "hour")
    parts = tuple((p, found[p]) for p in order if p in found)
    return Temporal(kind="datetime" if "hour" in found else "date", parts=parts)


def _part(name: str) -> Part | None:
    words = _words(name)
    if words & _NOT_A_PART:
        return None
    # "Mes de any" is a month, "Dia de mes" a day, "Hora de dia" an hour: the first part named wins.
    for part, names in _PART_WORDS.items():
        if words & names:
            return part
    return None


def _words(name: str) -> set[str]:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return {w for w in re.split(r"[^a-z0-9]+", folded) if w}


def time_condition(temporal: Temporal | None, span: TimeSpan) -> tuple[str, list[object]]:
    """The SQL test (and its parameters) that a row's date lies in `span`."""
    if temporal is None:
        raise Invalid(
            "this collection has no date to filter on",
            errors=[FieldError("datetime", "the table has no date or date-time column")],
        )
    expr = temporal.sql()
    if temporal.kind == "date":
        start, end = _day(span.start), _day(span.end)
        if span.instant:
            return f"{expr} = ?", [start]
        return _between(expr, start, end, inclusive_end=True)
    if span.instant and isinstance(span.start, datetime):
        return f"{expr} = ?", [_utc(span.start)]
    lower = _utc(span.start) if isinstance(span.start, datetime) else _midnight(span.start)
    if isinstance(span.end, datetime):
        return _between(expr, lower, _utc(span.end), inclusive_end=True)
    # A day ends where the next begins.
    upper = _midnight(span.end + timedelta(days=1)) if span.end else None
    return _between(expr, lower, upper, inclusive_end=False)


def _between(
    expr: str, lower: object | None, upper: object | None, *, inclusive_end: bool
) -> tuple[str, list[object]]:
    parts, params = [], []
    if lower is not None:
        parts.append(f"{expr} >= ?")
        params.append(lower)
    if upper is not None:
        parts.append(f"{expr} {'<=' if inclusive_end else '<'} ?")
        params.append(upper)
    return " AND ".join(parts) or f"{expr} IS NOT NULL", params


def _day(value: date | None) -> date | None:
    if isinstance(value, datetime):
        return _utc(value).date()
    return value


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def _midnight(value: date | None) -> datetime | None:
    return datetime(value.year, value.month, value.day) if value is not None else None


__all__ = ["Temporal", "TimeSpan", "temporal_of", "time_condition"]
