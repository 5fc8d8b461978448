"""Small counts hidden at the source: the SQL that reads a count column nulls its values under a threshold.

The rule of Barcelona's census tables: a count from 1 to threshold - 1 is withheld (they print ``..``; a
JSON or Parquet reader gets null, the same null the ingest makes of a published ``..``), zero is kept.
Filtering or sorting on a masked column is refused, since either would tell the hidden values apart.
"""

from __future__ import annotations

from collections.abc import Mapping

from obert.datastore.engine import quote_ident
from obert.errors import FieldError, Invalid

Masked = Mapping[str, int]  # count column → threshold


def column_expr(name: str, masked: Masked | None) -> str:
    """The select expression for column `name`: the column itself, or its masked value under its name."""
    col = quote_ident(name)
    threshold = (masked or {}).get(name)
    if threshold is None:
        return col
    return f"CASE WHEN {col} > 0 AND {col} < {int(threshold)} THEN NULL ELSE {col} END AS {col}"


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
