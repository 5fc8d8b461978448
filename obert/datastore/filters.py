"""Row filters from user input → a parameterised WHERE clause.

User values only ever travel as query parameters; column names are checked against the table's
schema and then quoted, so no input can change the shape of the SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeAlias

from obert.datastore.engine import quote_ident
from obert.datastore.schema import ColumnType, TableSchema
from obert.errors import FieldError, Invalid, msg

Scalar: TypeAlias = str | int | float | bool | date | datetime | None


@dataclass(frozen=True, slots=True)
class Range:
    gte: Scalar = None
    gt: Scalar = None
    lte: Scalar = None
    lt: Scalar = None


@dataclass(frozen=True, slots=True)
class Contains:
    """Case- and accent-insensitive substring match (``Sants`` finds ``Sants-Montjuïc``)."""

    text: str


FilterValue: TypeAlias = Scalar | list[Scalar] | Range | Contains
_TRUE = {"true", "1", "yes", "sí", "si", "t"}
_FALSE = {"false", "0", "no", "f"}


def check_column(schema: TableSchema, name: str, *, field: str) -> ColumnType:
    typ = schema.type_of(name)
    if typ is None:
        raise Invalid(
            msg("unknown column {name}", name=repr(name)),
            errors=[FieldError(field, msg("no column named {name}", name=repr(name)))],
        )
    return typ


def where_clause(
    schema: TableSchema, filters: dict[str, FilterValue], q: str | None
) -> tuple[str, list[object]]:
    """``WHERE …`` (or an empty string) and its parameters."""
    parts: list[str] = []
    params: list[object] = []
    for name, value in filters.items():
        typ = check_column(schema, name, field=f"filters.{name}")
        col = quote_ident(name)
        where = f"filters.{name}"
        if isinstance(value, Contains):
            parts.append(f"strip_accents(CAST({col} AS VARCHAR)) ILIKE strip_accents(?) ESCAPE '\\'")
            params.append(f"%{_escape_like(value.text)}%")
        elif isinstance(value, Range):
            for op, bound in (("gte", ">="), ("gt", ">"), ("lte", "<="), ("lt", "<")):
                v = getattr(value, op)
                if v is not None:
                    parts.append(f"{col} {bound} ?")
                    params.append(coerce(v, typ, field=f"{where}.{op}"))
        elif isinstance(value, list):
            if not value:
                parts.append("false")
                continue
            values = [coerce(v, typ, field=where) for v in value if v is not None]
            nulls = any(v is None for v in value)
            alts = [f"{col} IN ({', '.join('?' for _ in values)})"] if values else []
            if nulls:
                alts.append(f"{col} IS NULL")
            parts.append("(" + " OR ".join(alts) + ")")
            params.extend(values)
        elif value is None:
            parts.append(f"{col} IS NULL")
        else:
            parts.append(f"{col} = ?")
            params.append(coerce(value, typ, field=where))
    if q:
        texts = [f for f in schema.fields if f.type == "text"]
        if texts:
            ors = " OR ".join(
                f"strip_accents({quote_ident(f.name)}) ILIKE strip_accents(?) ESCAPE '\\'" for f in texts
            )
            parts.append(f"({ors})")
            params.extend([f"%{_escape_like(q)}%"] * len(texts))
        else:
            parts.append("false")
    return ("WHERE " + " AND ".join(parts)) if parts else "", params


def filter_problem(schema: TableSchema, name: str, value: FilterValue) -> str | None:
    """Why `value` cannot filter column `name`: "unknown" (no such column), the column's type when it
    cannot hold the value, or None when it can."""
    typ = schema.type_of(name)
    if typ is None:
        return "unknown"
    try:
        where_clause(schema, {name: value}, None)
    except Invalid:
        return typ
    return None


def coerce(value: Scalar, typ: ColumnType, *, field: str) -> object:
    """A filter value as the column's Python type, so a bad value is reported as the user's error."""
    if value is None:
        return None
    try:
        if typ == "integer":
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError
            number = int(value) if not isinstance(value, date) else _fail()
            if not -(2**63) <= number < 2**63:
                raise ValueError  # integer columns are 64-bit
            return number
        if typ == "decimal":
            if isinstance(value, bool | date):
                raise ValueError
            return float(value)
        if typ == "boolean":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in _TRUE | _FALSE:
                return text in _TRUE
            raise ValueError
        if typ == "date":
            return value if isinstance(value, date) else date.fromisoformat(str(value))
        if typ == "datetime":
            return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except (ValueError, TypeError) as exc:
        raise Invalid(
            msg("{value} is not a valid {typ}", value=repr(value), typ=typ),
            errors=[FieldError(field, msg("expected a {typ} value", typ=typ))],
        ) from exc
    return str(value)


def _fail() -> int:
    raise ValueError


def _escape_like(text: str) -> str:
    # ILIKE's default escape is backslash; a user's % or _ must match itself.
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
