"""Per-column profile of a written Parquet version: nulls, distinct, range, top values, unknowns.

Computed from the Parquet file rather than the source, so it describes exactly what is published,
in two scans: one aggregate row over all columns, and one small GROUP BY per column for the top values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb

from obert.datastore.engine import quote_ident, quote_literal
from obert.datastore.geo import Range, coordinate_candidates
from obert.datastore.schema import ColumnType, Field
from obert.ingest.result import Scalar, TopValue

# Top values are noise for near-unique columns (ids, coordinates), and the GROUP BY costs memory.
TOP_DISTINCT_LIMIT = 100_000
TOP_N = 5
_MAX_TEXT = 200
# Words Barcelona's files use for "unknown" in text columns; kept as values, counted in the profile.
UNKNOWN_WORDS = ("desconegut", "desconeguda", "desconocido", "desconocida", "unknown", "sense dades", "n/d")
_NUMERIC = ("integer", "decimal")


@dataclass(frozen=True, slots=True)
class Profile:
    nulls: int
    distinct: int
    min: Scalar
    max: Scalar
    top: list[TopValue]
    unknowns: dict[str, int]
    max_length: int
    coord_range: Range | None  # 1st-99th percentile ignoring -1 unknowns, for coordinate detection


def profile_parquet(
    con: duckdb.DuckDBPyConnection, path: Path, names: list[str], types: list[ColumnType]
) -> list[Profile]:
    src = f"read_parquet({quote_literal(str(path))})"
    width = 6
    exprs = ["count(*)"]
    for name, typ in zip(names, types, strict=True):
        c = quote_ident(name)
        numeric = typ in _NUMERIC
        exprs += [
            f"count({c})",
            f"approx_count_distinct({c})",
            f"min({c})",
            f"max({c})",
            f"count(*) FILTER (WHERE {c} = -1)" if numeric else "0",
            f"max(strlen({c}))" if typ in ("text", "geometry") else "0",
        ]
    row = con.execute(f"SELECT {', '.join(exprs)} FROM {src}").fetchone()
    assert row is not None
    total = int(row[0])
    ranges = _coordinate_ranges(con, src, names, types)
    tops = _top_values(con, src, names, types, [int(row[2 + i * width] or 0) for i in range(len(names))])
    out = []
    for i in range(len(types)):
        count, distinct, lo, hi, minus1, max_len = row[1 + i * width : 1 + (i + 1) * width]
        unknowns = {}
        if minus1:
            unknowns["-1"] = int(minus1)
        # "Unknown" words are counted when frequent enough to be a top value; a full pass of
        # string comparisons over every text column would cost more than the whole profile.
        unknown = sum(
            t.count for t in tops[i] if isinstance(t.value, str) and t.value.lower() in UNKNOWN_WORDS
        )
        if unknown:
            unknowns["unknown"] = unknown
        out.append(
            Profile(
                nulls=total - int(count),
                distinct=int(distinct or 0),
                min=_scalar(lo),
                max=_scalar(hi),
                top=tops[i],
                unknowns=unknowns,
                max_length=int(max_len or 0),
                coord_range=ranges.get(names[i]),
            )
        )
    return out


def _coordinate_ranges(
    con: duckdb.DuckDBPyConnection, src: str, names: list[str], types: list[ColumnType]
) -> dict[str, Range]:
    """1st-99th percentile of columns named like coordinates, ignoring -1 unknowns.

    Percentiles rather than min/max: one mistyped value (the 2018 accidents file has a longitude of
    2188) must not hide a lon/lat pair. Only candidate columns pay for the quantile.
    """
    fields = [Field(n, t) for n, t in zip(names, types, strict=True)]
    wanted = coordinate_candidates(fields)
    if not wanted:
        return {}
    exprs = [
        f"approx_quantile({quote_ident(n)}, [0.01, 0.99]) FILTER (WHERE {quote_ident(n)} <> -1)"
        for n in wanted
    ]
    row = con.execute(f"SELECT {', '.join(exprs)} FROM {src}").fetchone()
    assert row is not None
    return {
        n: (float(q[0]), float(q[1]))
        for n, q in zip(wanted, row, strict=True)
        if q is not None and q[0] is not None
    }


def _top_values(
    con: duckdb.DuckDBPyConnection, src: str, names: list[str], types: list[ColumnType], distinct: list[int]
) -> list[list[TopValue]]:
    wanted = [i for i, d in enumerate(distinct) if 0 < d <= TOP_DISTINCT_LIMIT and types[i] != "geometry"]
    tops: list[list[TopValue]] = [[] for _ in names]
    if not wanted:
        return tops
    # One UNION ALL query lets DuckDB scan each column once, in parallel; values travel as text
    # and are turned back into numbers below.
    parts = [
        f"(SELECT {i} AS col, CAST({quote_ident(names[i])} AS VARCHAR) AS v, count(*) AS n FROM {src} "
        f"WHERE {quote_ident(names[i])} IS NOT NULL GROUP BY 2 ORDER BY n DESC, v LIMIT {TOP_N})"
        for i in wanted
    ]
    for col, value, n in con.execute(" UNION ALL ".join(parts)).fetchall():
        tops[int(col)].append(TopValue(_typed(str(value), types[int(col)]), int(n)))
    for t in tops:
        t.sort(key=lambda tv: -tv.count)
    return tops


def _typed(value: str, typ: ColumnType) -> Scalar:
    if typ == "integer":
        return int(value)
    if typ == "decimal":
        return float(value)
    if typ == "boolean":
        return value == "true"
    return value


def _scalar(value: object) -> Scalar:
    """A JSON-friendly min/max: numbers stay numbers, dates become ISO text, long text is cut."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value)
    return text if len(text) <= _MAX_TEXT else text[:_MAX_TEXT] + "…"
