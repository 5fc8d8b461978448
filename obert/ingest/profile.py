"""Per-column profile of a written Parquet version: nulls, distinct, range, top values, unknowns.

Computed from the Parquet file rather than the source, so it describes exactly what is published.
Row and null counts and exact ranges come from the statistics the Parquet writer returned in the pass
that wrote the file; what is left is asked of the file, each column at most once: columns with few
values in one GROUP BY each (exact counts, top values, ``-1`` counts, longest text, and the coordinate
percentiles, from the groups), the others in one aggregate row, and the coordinate percentiles of
columns with many values on a sample of row groups.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from obert.datastore.engine import quote_ident, quote_literal
from obert.datastore.geo import Range, coordinate_candidates
from obert.datastore.schema import ColumnType, Field
from obert.ingest.result import Scalar, TopValue
from obert.ingest.stage import WriteStats

# Top values are noise for near-unique columns (ids, coordinates), and the GROUP BY costs memory.
TOP_DISTINCT_LIMIT = 100_000
TOP_N = 5
# Above this many rows, coordinate percentiles are taken on about this many rows.
QUANTILE_SAMPLE_ROWS = 200_000
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
    con: duckdb.DuckDBPyConnection,
    path: Path,
    names: list[str],
    types: list[ColumnType],
    stats: WriteStats | None = None,
    *,
    few: frozenset[str] = frozenset(),
) -> list[Profile]:
    """Profile the written file; `stats` (the writer's own counts and ranges) spares recomputing them.

    Columns named in `few` (few distinct values in the reader's sample) have their values counted
    exactly by the query that finds their top values, which spares estimating the count apart.
    """
    src = f"read_parquet({quote_literal(str(path))})"
    known = _known_ranges(names, types, stats)
    grouped = [i for i, (n, t) in enumerate(zip(names, types, strict=True)) if n in few and t != "geometry"]
    coords = set(coordinate_candidates([Field(n, t) for n, t in zip(names, types, strict=True)]))
    counted = _grouped_values(con, src, names, types, grouped, coords=coords)
    # One aggregate row: (column, measure) -> value, asking only for what the writer did not record
    # and the grouped columns' query did not tell.
    wanted: list[tuple[int, str, str]] = []
    for i, (name, typ) in enumerate(zip(names, types, strict=True)):
        c = quote_ident(name)
        if i not in counted:
            wanted.append((i, "distinct", f"approx_count_distinct({c})"))
            if typ in _NUMERIC:
                wanted.append((i, "minus1", f"count_if({c} = -1)"))
            if typ in ("text", "geometry"):
                wanted.append((i, "max_length", f"max(strlen({c}))"))
        if name not in known:
            wanted += [(i, "count", f"count({c})"), (i, "min", f"min({c})"), (i, "max", f"max({c})")]
    exprs = ["count(*)"] + [w[2] for w in wanted]  # count(*) keeps it one row even with no columns
    row = con.execute(f"SELECT {', '.join(exprs)} FROM {src}").fetchone()
    assert row is not None
    total = int(row[0])
    got: dict[tuple[int, str], Any] = {(w[0], w[1]): v for w, v in zip(wanted, row[1:], strict=True)}
    for i, grouped_column in counted.items():
        got[i, "minus1"], got[i, "max_length"] = grouped_column.minus1, grouped_column.max_length
    ranges = {names[i]: g.coord_range for i, g in counted.items() if g.coord_range is not None}
    ranges.update(
        _coordinate_ranges(con, src, names, types, total, done=frozenset(names[i] for i in counted))
    )
    distinct = [
        counted[i].distinct if i in counted else int(got[i, "distinct"] or 0) for i in range(len(names))
    ]
    tops = _top_values(con, src, names, types, [0 if i in counted else d for i, d in enumerate(distinct)])
    for i, grouped_column in counted.items():
        tops[i] = grouped_column.top if grouped_column.distinct <= TOP_DISTINCT_LIMIT else []
    out = []
    for i, name in enumerate(names):
        if name in known:
            nulls, lo, hi = known[name]
        else:
            nulls = total - int(got[i, "count"])
            lo, hi = _scalar(got[i, "min"]), _scalar(got[i, "max"])
        unknowns = {}
        if minus1 := got.get((i, "minus1")):
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
                nulls=nulls,
                distinct=distinct[i],
                min=lo,
                max=hi,
                top=tops[i],
                unknowns=unknowns,
                max_length=int(got.get((i, "max_length")) or 0),
                coord_range=ranges.get(name),
            )
        )
    return out


def _known_ranges(
    names: list[str], types: list[ColumnType], stats: WriteStats | None
) -> dict[str, tuple[int, Scalar, Scalar]]:
    """Nulls, min and max of each column whose writer statistics are exact and readable."""
    if stats is None:
        return {}
    known: dict[str, tuple[int, Scalar, Scalar]] = {}
    for name, typ in zip(names, types, strict=True):
        col = stats.columns.get(name)
        if col is None or (col.min is None) != (col.max is None):
            continue
        if col.min is None or col.max is None:
            if col.nulls != stats.rows:
                continue  # values but no exact range (long text, NaN): compute it
            known[name] = (col.nulls, None, None)
            continue
        try:
            known[name] = (col.nulls, _from_stat(col.min, typ), _from_stat(col.max, typ))
        except ValueError:
            continue
    return known


def _from_stat(text: str, typ: ColumnType) -> Scalar:
    """A Parquet statistic (text) as the value the profile shows, like :func:`_scalar` would."""
    if typ == "integer":
        return int(text)
    if typ == "decimal":
        return _scalar(float(text))
    if typ == "boolean":
        return text in ("1", "true")
    if typ == "date":
        return date.fromisoformat(text).isoformat()
    if typ == "datetime":
        return datetime.fromisoformat(text).isoformat()
    return _scalar(text)


def _coordinate_ranges(
    con: duckdb.DuckDBPyConnection,
    src: str,
    names: list[str],
    types: list[ColumnType],
    total: int,
    *,
    done: frozenset[str] = frozenset(),
) -> dict[str, Range]:
    """1st-99th percentile of columns named like coordinates, ignoring -1 unknowns (except those in
    `done`, whose percentiles came from their grouped values).

    Percentiles rather than min/max: one mistyped value (the 2018 accidents file has a longitude of
    2188) must not hide a lon/lat pair. Only candidate columns pay for the quantile, and big tables
    pay for it on a sample of their row groups: the percentiles only tell which pair of columns
    looks like coordinates. The exact quantile of that sample costs half of ``approx_quantile``'s
    digest for the same answer to this question.
    """
    fields = [Field(n, t) for n, t in zip(names, types, strict=True)]
    wanted = [n for n in coordinate_candidates(fields) if n not in done]
    if not wanted:
        return {}
    exprs = [
        f"quantile_cont({quote_ident(n)}, [0.01, 0.99]) FILTER (WHERE {quote_ident(n)} <> -1)" for n in wanted
    ]
    sample = ""
    if total > QUANTILE_SAMPLE_ROWS:
        sample = f" USING SAMPLE {math.ceil(100 * QUANTILE_SAMPLE_ROWS / total)} PERCENT (system, 1)"
    row = con.execute(f"SELECT {', '.join(exprs)} FROM {src}{sample}").fetchone()
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
        f"(SELECT {i} AS col, CAST(v AS VARCHAR) AS v, n FROM (SELECT {quote_ident(names[i])} AS v, "
        f"count(*) AS n FROM {src} WHERE {quote_ident(names[i])} IS NOT NULL "
        f"GROUP BY 1 ORDER BY n DESC, CAST(v AS VARCHAR) LIMIT {TOP_N}))"
        for i in wanted
    ]
    for col, value, n in con.execute(" UNION ALL ".join(parts)).fetchall():
        tops[int(col)].append(TopValue(_typed(str(value), types[int(col)]), int(n)))
    for t in tops:
        t.sort(key=lambda tv: -tv.count)
    return tops


@dataclass(frozen=True, slots=True)
class _Grouped:
    distinct: int
    top: list[TopValue]
    minus1: int
    max_length: int
    coord_range: Range | None = None


def _grouped_values(
    con: duckdb.DuckDBPyConnection,
    src: str,
    names: list[str],
    types: list[ColumnType],
    wanted: list[int],
    *,
    coords: set[str] | frozenset[str] = frozenset(),
) -> dict[int, _Grouped]:
    """Exact distinct count, top values, ``-1`` count and longest text of each column in `wanted`, from
    one GROUP BY per column (all in one query), and the 1st-99th percentiles (ignoring ``-1``) of those
    named in `coords`, read off the same groups rather than from a scan of their own."""
    if not wanted:
        return {}
    # Values are grouped as they are stored and only the groups are turned into text (ties in count are
    # broken by the text, as before); windows over the groups count them (the column's distinct values)
    # and find the -1s, the longest text and the percentiles (the first value whose running count,
    # -1s left out, reaches 1 % and 99 % of the values).
    parts = []
    for i in wanted:
        c, typ = quote_ident(names[i]), types[i]
        minus1 = "sum(n) FILTER (WHERE v = -1) OVER ()" if typ in _NUMERIC else "0"
        longest = "max(strlen(v)) OVER ()" if typ == "text" else "0"
        groups = f"SELECT {c} AS v, count(*) AS n FROM {src} WHERE {c} IS NOT NULL GROUP BY 1"
        lo = hi = "NULL"
        if typ in _NUMERIC and names[i] in coords:
            groups = (
                f"SELECT v, n, sum(n) FILTER (WHERE v <> -1) OVER (ORDER BY v) AS run, "
                f"sum(n) FILTER (WHERE v <> -1) OVER () AS known FROM ({groups})"
            )
            lo, hi = (
                f"min(v) FILTER (WHERE v <> -1 AND run >= {share} * known) OVER ()" for share in (0.01, 0.99)
            )
        parts.append(
            f"(SELECT {i} AS col, CAST(v AS VARCHAR) AS v, n, d, m, l, lo, hi FROM (SELECT v, n, "
            f"count(*) OVER () AS d, {minus1} AS m, {longest} AS l, CAST({lo} AS DOUBLE) AS lo, "
            f"CAST({hi} AS DOUBLE) AS hi FROM ({groups}) ORDER BY n DESC, CAST(v AS VARCHAR) LIMIT {TOP_N}))"
        )
    found: dict[int, _Grouped] = {}
    for col, value, n, d, m, length, lo, hi in con.execute(" UNION ALL ".join(parts)).fetchall():
        i = int(col)
        top = found[i].top if i in found else []
        found[i] = _Grouped(
            int(d),
            [*top, TopValue(_typed(str(value), types[i]), int(n))],
            int(m or 0),
            int(length or 0),
            None if lo is None or hi is None else (float(lo), float(hi)),
        )
    out = {i: _Grouped(0, [], 0, 0) for i in wanted}
    for i, grouped in found.items():
        grouped.top.sort(key=lambda tv: -tv.count)
        out[i] = grouped
    return out


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
    if isinstance(value, Decimal):
        return float(value)  # DECIMAL columns: JSON numbers, like DOUBLE ones
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value)
    return text if len(text) <= _MAX_TEXT else text[:_MAX_TEXT] + "…"
