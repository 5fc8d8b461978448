"""Small counts hidden at the source: the SQL that reads a count column nulls its values under a threshold.

The rule of Barcelona's census tables: a count from 1 to threshold - 1 is withheld (they print ``..``; a
JSON or Parquet reader gets null, the same null the ingest makes of a published ``..``), zero is kept.
Filtering or sorting on a masked column is refused, since either would tell the hidden values apart.
Anything computed from a protected table (aggregates, see obert.datastore.aggregate) reads it through
`published_source`, the table exactly as its rows show it; the column profile measured at ingest is cut
down by `published_profile` to what the published cells show.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from obert.datastore.engine import quote_ident
from obert.datastore.schema import TableSchema
from obert.errors import FieldError, Invalid

Masked = Mapping[str, int]  # count column → threshold


def masked_value(name: str, threshold: int) -> str:
    """The SQL value of count column `name` as published: null from 1 to `threshold` - 1."""
    col = quote_ident(name)
    return f"CASE WHEN {col} > 0 AND {col} < {int(threshold)} THEN NULL ELSE {col} END"


def column_expr(name: str, masked: Masked | None) -> str:
    """The select expression for column `name`: the column itself, or its masked value under its name."""
    threshold = (masked or {}).get(name)
    if threshold is None:
        return quote_ident(name)
    return f"{masked_value(name, threshold)} AS {quote_ident(name)}"


def published_source(schema: TableSchema, masked: Masked | None) -> str:
    """A FROM item named ``t`` holding the table ``t`` as its rows are published: every masked column
    of `schema` replaced by its masked values, the other columns as they are."""
    present = {f.name for f in schema.fields}
    replaced = [
        f"{masked_value(name, threshold)} AS {quote_ident(name)}"
        for name, threshold in (masked or {}).items()
        if name in present  # a later version may have dropped a count column
    ]
    if not replaced:
        return "t"
    return f"(SELECT * REPLACE ({', '.join(replaced)}) FROM t) AS t"


def refuse_masked(
    masked: Masked | None, *, filters: Mapping[str, object] | None, sort: list[tuple[str, bool]] | None
) -> None:
    if not masked:
        return
    errors = [
        FieldError(f"filters.{name}", "small counts are hidden in this column; it cannot be filtered on")
        for name in (filters or {})
        if name in masked
    ]
    errors += [
        FieldError("sort", f"small counts are hidden in {name}; it cannot be sorted on")
        for name, _ in (sort or [])
        if name in masked
    ]
    if errors:
        raise Invalid("this table holds statistics about people", errors=errors)


def published_profile(columns: Sequence[Mapping[str, Any]], masked: Masked | None) -> list[dict[str, Any]]:
    """The ingest's column profile (nulls, distinct, min, max, top values…) without what it measured
    on hidden cells: for each masked column, the most frequent values that are published (a published
    value's count is that of the rows showing it), the minimum and maximum when they are published
    values, and no number of empty or distinct values when cells may be hidden (the rows show more
    empty cells than the source had, and how many more would count the hidden cells)."""
    out = []
    for column in columns:
        profile = dict(column)
        threshold = (masked or {}).get(str(column.get("name")))
        if threshold is not None:
            lo, hi = column.get("min"), column.get("max")
            profile["min"] = None if _hidden(lo, threshold) else lo
            profile["max"] = None if _hidden(hi, threshold) else hi
            profile["top"] = [t for t in column.get("top") or [] if not _hidden(t.get("value"), threshold)]
            nothing_hidden = (lo is None and hi is None) or _at_least(lo, threshold) or _at_most(hi, 0)
            if not nothing_hidden:
                profile["nulls"] = profile["distinct"] = None
        out.append(profile)
    return out


def _hidden(value: object, threshold: int) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < threshold


def _at_least(value: object, bound: int) -> bool:
    return isinstance(value, int | float) and value >= bound


def _at_most(value: object, bound: int) -> bool:
    return isinstance(value, int | float) and value <= bound
