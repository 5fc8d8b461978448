"""Small-count protection for statistics about people.

A table that counts people by small areas and categories can single someone out ("one woman aged 90+
with a doctorate in census section 1001"). Barcelona's census tables print ``..`` in place of counts
under five; `suppress_small_counts` does the same to any table, and `min_group_size` tells an aggregate
query how small its smallest group is, so a caller can refuse or suppress it. Leaving out small groups
of true totals is not enough once readers choose their own groupings and filters: the difference of two
published totals gives a hidden one back. The datastore's aggregates therefore follow another rule,
figures of the published cells only (obert.datastore.aggregate).
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc

from obert.errors import FieldError, Invalid, msg


def _numbers(values: pa.ChunkedArray, column: str) -> pa.ChunkedArray:
    if pa.types.is_integer(values.type) or pa.types.is_floating(values.type):
        return values
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        # Counts published as text keep their existing markers (".."): those cells are already hidden.
        text = pc.utf8_trim_whitespace(values)
        numeric = pc.match_substring_regex(text, r"^-?\d+(?:[.,]\d+)?$")
        cleaned = pc.if_else(numeric, pc.replace_substring(text, ",", "."), pa.scalar(None, pa.string()))
        return pc.cast(cleaned, pa.float64())
    raise Invalid(
        msg("counts must be numbers"),
        errors=[FieldError(field=column, message=f"column type is {values.type}")],
    )


def suppress_small_counts(
    table: pa.Table,
    *,
    count_columns: Sequence[str],
    threshold: int = 5,
    marker: str | None = None,
    suppress_zero: bool = False,
) -> pa.Table:
    """Hide every count below `threshold` in `count_columns`: null, or `marker` (e.g. ``".."``), in which
    case the column becomes text. Zero is kept unless `suppress_zero`, since "nobody" is how most
    statistical offices publish it; the rest of the table is unchanged."""
    if threshold < 1:
        raise Invalid(
            msg("the threshold must be at least 1"), errors=[FieldError(field="threshold", message="")]
        )
    missing = [c for c in count_columns if c not in table.column_names]
    if missing:
        raise Invalid(
            msg("no such count columns"),
            errors=[FieldError(field=c, message=msg("not in table")) for c in missing],
        )
    for column in count_columns:
        original = table.column(column)
        numbers = _numbers(original, column)
        small = pc.less(numbers, threshold)
        if not suppress_zero:
            small = pc.and_(small, pc.not_equal(numbers, 0))
        small = pc.fill_null(small, False)
        if marker is None and not pa.types.is_string(original.type):
            hidden = pc.if_else(small, pa.scalar(None, original.type), original)
        else:
            text = pc.cast(original, pa.string())
            hidden = pc.if_else(small, pa.scalar(marker, pa.string()), text)
        index = table.column_names.index(column)
        table = table.set_column(index, pa.field(column, hidden.type), hidden)
    return table


def min_group_size(
    table: pa.Table, *, count_column: str | None = None, group_columns: Sequence[str] = ()
) -> int | None:
    """The smallest group in an aggregate: the least value of `count_column` when the table already
    holds counts, otherwise the size of the smallest group of rows sharing `group_columns`. None for an
    empty table."""
    if table.num_rows == 0:
        return None
    if count_column is not None:
        if count_column not in table.column_names:
            raise Invalid(
                msg("no such column"), errors=[FieldError(field=count_column, message=msg("not in table"))]
            )
        smallest = pc.min(_numbers(table.column(count_column), count_column)).as_py()
        return None if smallest is None else int(smallest)
    if not group_columns:
        return int(table.num_rows)
    missing = [c for c in group_columns if c not in table.column_names]
    if missing:
        raise Invalid(
            msg("no such group columns"),
            errors=[FieldError(field=c, message=msg("not in table")) for c in missing],
        )
    grouped = table.group_by(list(group_columns)).aggregate([([], "count_all")])
    return int(pc.min(grouped.column("count_all")).as_py())
