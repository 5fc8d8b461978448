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

# Statistical-suppression marks used by Barcelona's and INE's tables. They become NULL.
PLACEHOLDERS = ("..", "...")
_BOOL_TRUE = ("true", "t", "sí", "si", "s", "yes", "verdadero", "cert")
_BOOL_FALSE = ("false", "f", "no", "n", "falso", "fals")
_BOOL_STRONG = ("true", "false", "sí", "si", "yes", "verdadero", "falso", "cert", "fals")
_DMY = "['%d/%m/%Y', '%d-%m-%Y']"
_DMY_TIME = "['%d/%m/%Y %H:%M:%S', '%d/%m/%Y %H:%M', '%d-%m-%Y %H:%M:%S', '%d-%m-%Y %H:%M']"
_RE_INT = r"[+-]?\d+"
_RE_LEAD0 = r"[+-]?0\d.*"
_RE_DEC = r"[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?"
_RE_COMMA = r"[+-]?\d+,\d+"
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
    "decimal_comma",
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
    "decimal_comma": "decimal",
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
    WHEN NOT regexp_matches(v, '^[-+.0-9]') THEN CASE
        WHEN lower(v) IN ({bools}) THEN 'bool:' || lower(v)
        WHEN regexp_full_match(v, '{_RE_WKT}') THEN 'wkt'
        ELSE 'other' END
    WHEN regexp_full_match(v, '{_RE_INT}') THEN CASE
        WHEN regexp_full_match(v, '{_RE_LEAD0}') THEN 'lead0'
        WHEN TRY_CAST(v AS BIGINT) IS NULL THEN 'huge'
        ELSE 'int' END
    WHEN regexp_full_match(v, '{_RE_DEC}') THEN CASE
        WHEN regexp_full_match(v, '{_RE_LEAD0}') THEN 'lead0' ELSE 'dec' END
    WHEN regexp_full_match(v, '{_RE_COMMA}') THEN 'comma'
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
    sql = f"""
    WITH src AS (SELECT {aliases} FROM {source})
    SELECT col, kind, padded, sum(n) FROM (
        SELECT col, {n} AS n, coalesce(length(raw) <> length(v), false) AS padded, {_kind_sql()} AS kind
        FROM (SELECT *, NULLIF(trim(raw), '') AS v FROM {values})
    ) GROUP BY ALL"""
    counts: list[dict[str, int]] = [{} for _ in columns]
    padded = [False] * len(columns)
    for col, kind, pad, n in con.execute(sql).fetchall():
        i = int(str(col)[1:])
        counts[i][str(kind)] = counts[i].get(str(kind), 0) + int(n)
        padded[i] = padded[i] or bool(pad)
    rows = sum(counts[0].values())
    return rows, [
        Inferred(decide(c), p, c.get("placeholder", 0)) for c, p in zip(counts, padded, strict=True)
    ]


def decide(kinds: dict[str, int]) -> Conversion:
    """The narrowest conversion that every non-empty, non-placeholder value fits."""
    real = {k: n for k, n in kinds.items() if k not in ("null", "placeholder") and n}
    if not real:
        return "text"
    present = set(real)
    if present <= {"int"}:
        return "integer"
    if present <= {"int", "dec"}:
        return "decimal"
    if present <= {"int", "comma"}:
        return "decimal_comma"
    if present == {"date"}:
        return "date"
    if present <= {"date", "ts"}:
        return "datetime"
    if present <= {"date", "ts", "tstz"}:
        return "datetime_tz"
    if present == {"date_es"}:
        return "date_dmy"
    if present <= {"date_es", "ts_es"}:
        return "datetime_dmy"
    if all(k.startswith("bool:") for k in present):
        tokens = {k[5:] for k in present}
        strong = tokens & set(_BOOL_STRONG)
        if strong or len(tokens) == 2:
            return "boolean"
    if present == {"wkt"}:
        return "geometry"
    return "text"  # includes zero-padded codes ("lead0") and integers beyond BIGINT ("huge")


def _value(col: str) -> str:
    return f"NULLIF(trim({quote_ident(col)}), '')"


def convert_expr(col: str, conversion: Conversion, *, trim: bool = True) -> str:
    """SQL turning the VARCHAR column `col` into its typed value (placeholders and blanks to NULL)."""
    raw = _value(col) if trim else f"NULLIF({quote_ident(col)}, '')"
    ph = ", ".join(f"'{p}'" for p in PLACEHOLDERS)
    v = f"CASE WHEN {raw} IN ({ph}) THEN NULL ELSE {raw} END"
    true = ", ".join(f"'{b}'" for b in _BOOL_TRUE)
    expr = {
        "text": v,
        "geometry": v,
        "integer": f"CAST({v} AS BIGINT)",
        "decimal": f"CAST({v} AS DOUBLE)",
        "decimal_comma": f"CAST(replace({v}, ',', '.') AS DOUBLE)",
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
