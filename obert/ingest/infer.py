"""Column type inference over text values, done as one DuckDB aggregate pass.

Every column is checked against every candidate type at once (a count of values matching each
candidate's pattern and cast), then :func:`decide` picks the narrowest type that fits all values.
The rules are conservative because a wrong type loses information: zero-padded codes (``08``,
``019``) stay text, ``1``/``0`` columns are integers rather than booleans, and a value that fits no
candidate makes the whole column text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import duckdb

from obert.datastore.engine import quote_ident
from obert.datastore.schema import ColumnType
from obert.ingest.numbers import (
    DECORATED_RE,
    NumberFormat,
    ShapeStats,
    ambiguity,
    convert_sql,
    decide_number,
    digits_sql,
    shape_sql,
)

# Statistical-suppression marks used by Barcelona's and INE's tables. They become NULL.
PLACEHOLDERS = ("..", "...")
_BOOL_TRUE = ("true", "t", "sí", "si", "s", "yes", "verdadero", "cert")
_BOOL_FALSE = ("false", "f", "no", "n", "falso", "fals")
_BOOL_STRONG = ("true", "false", "sí", "si", "yes", "verdadero", "falso", "cert", "fals")
_DMY = "['%d/%m/%Y', '%d-%m-%Y']"
_DMY_TIME = "['%d/%m/%Y %H:%M:%S', '%d/%m/%Y %H:%M', '%d-%m-%Y %H:%M:%S', '%d-%m-%Y %H:%M']"
_RE_EXP = r"[+-]?(\d+\.\d*|\.\d+|\d+)[eE][+-]?\d+"
_RE_DATE = r"\d{4}-\d{2}-\d{2}"
_RE_TS = r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?"
_RE_TSTZ = _RE_TS + r"(Z|[+-]\d{2}(:?\d{2})?)"
_RE_DATE_ES = r"\d{1,2}[/-]\d{1,2}[/-]\d{4}"
_RE_TS_ES = _RE_DATE_ES + r" \d{1,2}:\d{2}(:\d{2})?"
_RE_WKT = r"(?i)\s*(MULTI)?(POINT|LINESTRING|POLYGON)\s*(Z|M|ZM)?\s*(\(.*|EMPTY)|\s*GEOMETRYCOLLECTION.*"

Conversion = Literal[
    "text",
    "integer",
    "decimal",
    "date",
    "date_dmy",
    "datetime",
    "datetime_tz",
    "datetime_dmy",
    "boolean",
    "geometry",
]
_TYPE_OF: dict[Conversion, ColumnType] = {
    "text": "text",
    "integer": "integer",
    "decimal": "decimal",
    "date": "date",
    "date_dmy": "date",
    "datetime": "datetime",
    "datetime_tz": "datetime",
    "datetime_dmy": "datetime",
    "boolean": "boolean",
    "geometry": "geometry",
}


@dataclass(frozen=True, slots=True)
class Inferred:
    conversion: Conversion
    padded: bool  # some values carry leading/trailing spaces
    placeholders: int  # values that were a suppression mark
    number: NumberFormat | None = None  # how an "integer" or "decimal" column writes its numbers
    distinct: int | None = None  # distinct values seen (grouped inference only)

    @property
    def type(self) -> ColumnType:
        return _TYPE_OF[self.conversion]


def _kind_sql() -> str:
    """Classify one trimmed value `v` into the first shape it matches.

    A CASE chain only evaluates later tests on the values earlier ones rejected, and the costly
    casts only on values whose pattern already matched, which keeps the pass cheap on wide files.
    """
    ph = ", ".join(f"'{p}'" for p in PLACEHOLDERS)
    bools = ", ".join(f"'{b}'" for b in _BOOL_TRUE + _BOOL_FALSE)
    return f"""CASE
    WHEN v IS NULL THEN 'null'
    WHEN v IN ({ph}) THEN 'placeholder'
    WHEN regexp_full_match(v, '[+-]?[0-9]+') THEN CASE
        WHEN regexp_full_match(v, '[+-]?0[0-9].*') THEN 'n:lead0:'
        WHEN TRY_CAST(v AS BIGINT) IS NULL THEN 'n:huge:'
        ELSE 'n:int:' END
    WHEN regexp_full_match(v, '{DECORATED_RE}') THEN {shape_sql("v")}
    WHEN regexp_full_match(v, '{_RE_EXP}') THEN 'n:exp:'
    WHEN NOT regexp_matches(v, '^[-+.0-9]') THEN CASE
        WHEN lower(v) IN ({bools}) THEN 'bool:' || lower(v)
        WHEN regexp_full_match(v, '{_RE_WKT}') THEN 'wkt'
        ELSE 'other' END
    WHEN regexp_full_match(v, '{_RE_DATE}') THEN
        CASE WHEN TRY_CAST(v AS DATE) IS NULL THEN 'other' ELSE 'date' END
    WHEN regexp_full_match(v, '{_RE_TS}') THEN
        CASE WHEN TRY_CAST(v AS TIMESTAMP) IS NULL THEN 'other' ELSE 'ts' END
    WHEN regexp_full_match(v, '{_RE_TSTZ}') THEN
        CASE WHEN TRY_CAST(v AS TIMESTAMPTZ) IS NULL THEN 'other' ELSE 'tstz' END
    WHEN regexp_full_match(v, '{_RE_DATE_ES}') THEN
        CASE WHEN try_strptime(v, {_DMY}) IS NULL THEN 'other' ELSE 'date_es' END
    WHEN regexp_full_match(v, '{_RE_TS_ES}') THEN
        CASE WHEN try_strptime(v, {_DMY_TIME}) IS NULL THEN 'other' ELSE 'ts_es' END
    ELSE 'other' END"""


def infer(
    con: duckdb.DuckDBPyConnection, source: str, columns: list[str], *, grouped: bool = False
) -> tuple[int, list[Inferred]]:
    """Row count of `source` (a SQL table expression of VARCHAR columns) and each column's inference.

    The table is unpivoted to (column, value) so the query has the same few expressions however
    wide the file is; planning a thousand-column aggregate costs more than running it. `grouped`
    classifies each distinct value once (half the time on a sample, where most columns repeat a
    few values), at the cost of a hash table of all distinct values: only for bounded sources.
    """
    if not columns:
        return 0, []
    # NULLs become '' so that UNPIVOT (which drops NULLs) keeps every row of every column.
    aliases = ", ".join(f"coalesce({quote_ident(c)}, '') AS c{i}" for i, c in enumerate(columns))
    values = "(UNPIVOT src ON COLUMNS(*) INTO NAME col VALUE raw)"
    if grouped:
        values = f"(SELECT col, raw, count(*) AS n FROM {values} GROUP BY ALL)"
    n = "n" if grouped else "1"
    digits, frac = digits_sql("v")
    sql = f"""
    WITH src AS (SELECT {aliases} FROM {source})
    SELECT col, kind, padded, sum(n), max(d), max(d - f), min(f), max(f), arg_max(v, d), count(*) FROM (
        SELECT *,
            CASE WHEN kind = 'n:int:' THEN length(ltrim(v, '+-'))
                WHEN starts_with(kind, 'n:') THEN {digits} END AS d,
            CASE WHEN kind = 'n:int:' THEN 0 WHEN starts_with(kind, 'n:') THEN {frac} END AS f
        FROM (
            SELECT col, v, {n} AS n, coalesce(length(raw) <> length(v), false) AS padded,
                {_kind_sql()} AS kind
            FROM (SELECT *, NULLIF(trim(raw), '') AS v FROM {values})
        )
    ) GROUP BY col, kind, padded"""
    counts: list[dict[str, int]] = [{} for _ in columns]
    shapes: list[dict[str, ShapeStats]] = [{} for _ in columns]
    padded = [False] * len(columns)
    distinct = [0] * len(columns)  # grouped: each input row of a group is one distinct raw value
    for col, kind, pad, n, d, whole, f_lo, f_hi, example, values in con.execute(sql).fetchall():
        i, kind = int(str(col)[1:]), str(kind)
        counts[i][kind] = counts[i].get(kind, 0) + int(n)
        if kind != "null":
            distinct[i] += int(values)
        padded[i] = padded[i] or bool(pad)
        if kind.startswith("n:"):
            got = ShapeStats(
                int(n), int(d or 0), int(whole or 0), int(f_lo or 0), int(f_hi or 0), str(example)
            )
            shapes[i].setdefault(kind, ShapeStats()).add(got)
    rows = sum(counts[0].values())
    proven = {ambiguity(s) for c, s in zip(counts, shapes, strict=True) if _numeric_only(c)} - {None}
    file_decimal = proven.pop() if len(proven) == 1 else None
    out = []
    for c, s, p, d in zip(counts, shapes, padded, distinct, strict=True):
        conversion, number = decide(c, s, file_decimal=file_decimal)
        out.append(Inferred(conversion, p, c.get("placeholder", 0), number, d if grouped else None))
    return rows, out


def _real(kinds: dict[str, int]) -> dict[str, int]:
    return {k: n for k, n in kinds.items() if k not in ("null", "placeholder") and n}


def _numeric_only(kinds: dict[str, int]) -> bool:
    real = _real(kinds)
    return bool(real) and all(k.startswith("n:") for k in real)


def decide(
    kinds: dict[str, int], shapes: dict[str, ShapeStats] | None = None, *, file_decimal: str | None = None
) -> tuple[Conversion, NumberFormat | None]:
    """The narrowest conversion that every non-empty, non-placeholder value fits, and for numbers the
    way the column writes them (`shapes`: the statistics of each ``n:`` kind)."""
    real = _real(kinds)
    if not real:
        return "text", None
    present = set(real)
    if _numeric_only(kinds):
        seen = {k: v for k, v in (shapes or {}).items() if k in present}
        number = decide_number(seen, file_decimal=file_decimal)
        if number is None:
            return "text", None  # zero-padded codes ("08"), integers beyond BIGINT, mixed separators
        return ("integer" if number.integer else "decimal"), number
    if present == {"date"}:
        return "date", None
    if present <= {"date", "ts"}:
        return "datetime", None
    if present <= {"date", "ts", "tstz"}:
        return "datetime_tz", None
    if present == {"date_es"}:
        return "date_dmy", None
    if present <= {"date_es", "ts_es"}:
        return "datetime_dmy", None
    if all(k.startswith("bool:") for k in present):
        tokens = {k[5:] for k in present}
        strong = tokens & set(_BOOL_STRONG)
        if strong or len(tokens) == 2:
            return "boolean", None
    if present == {"wkt"}:
        return "geometry", None
    return "text", None


def _value(col: str) -> str:
    return f"NULLIF(trim({quote_ident(col)}), '')"


def convert_expr(
    col: str, conversion: Conversion, *, trim: bool = True, number: NumberFormat | None = None
) -> str:
    """SQL turning the VARCHAR column `col` into its typed value (placeholders and blanks to NULL)."""
    raw = _value(col) if trim else f"NULLIF({quote_ident(col)}, '')"
    ph = ", ".join(f"'{p}'" for p in PLACEHOLDERS)
    v = f"CASE WHEN {raw} IN ({ph}) THEN NULL ELSE {raw} END"
    if number is not None:
        return f"{convert_sql(f'({v})', number)} AS {quote_ident(col)}"
    true = ", ".join(f"'{b}'" for b in _BOOL_TRUE)
    expr = {
        "text": v,
        "geometry": v,
        "integer": f"CAST({v} AS BIGINT)",
        "decimal": f"CAST({v} AS DOUBLE)",
        "date": f"CAST({v} AS DATE)",
        "date_dmy": f"CAST(strptime({v}, {_DMY}) AS DATE)",
        "datetime": f"CAST({v} AS TIMESTAMP)",
        "datetime_tz": f"timezone('UTC', CAST({v} AS TIMESTAMPTZ))",
        "datetime_dmy": f"CAST(strptime({v}, {_DMY_TIME + ' || ' + _DMY}) AS TIMESTAMP)",
        "boolean": f"(lower({v}) IN ({true}))",
    }[conversion]
    return f"{expr} AS {quote_ident(col)}"


def placeholder_counts(con: duckdb.DuckDBPyConnection, source: str, columns: list[str]) -> list[int]:
    """Exact suppression-mark counts per column over the whole `source`."""
    ph = ", ".join(f"'{p}'" for p in PLACEHOLDERS)
    exprs = [f"count(*) FILTER (WHERE trim({quote_ident(c)}) IN ({ph}))" for c in columns]
    row = con.execute(f"SELECT {', '.join(exprs)} FROM {source}").fetchone()
    assert row is not None
    return [int(x) for x in row]


def units(names: list[str], inferred: list[Inferred]) -> dict[str, str]:
    """The unit each number column was written with ('EUR', '%'), kept in the version's metadata."""
    return {n: i.number.unit for n, i in zip(names, inferred, strict=True) if i.number and i.number.unit}
