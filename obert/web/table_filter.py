"""The table page's filter: conditions read from a GET form, turned into the datastore's filters.

A condition is a column, an operator and a value, given as repeated ``column``, ``op`` and ``value``
parameters (the n-th of each make the n-th condition), so the form works without JavaScript and a
filtered page is a link. Conditions on different columns all apply (AND); a "from" and a "to" on one
column make one range. A value the column cannot hold (``abc`` for a year) does not fail the page: that
condition is left out, the rows shown are those of the others, and the form says what is wrong next to
the field (see ``Condition.error``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any, Literal

from starlette.datastructures import QueryParams

from obert.datastore import Contains, FilterValue, Range
from obert.tableservice.handle import TableRef

Op = Literal["contains", "eq", "gte", "lte"]
OPS: tuple[Op, ...] = ("contains", "eq", "gte", "lte")
MAX_CONDITIONS = 10  # a page link is not a query language; the API takes more
# Parameters the datastore endpoints read themselves; a filter on a column named like one goes in `filters`.
API_RESERVED = frozenset(
    {
        "version",
        "q",
        "fields",
        "sort",
        "limit",
        "offset",
        "cursor",
        "count",
        "filters",
        "group_by",
        "metrics",
        "spreadsheet",
    }
)
_DECIMAL_COMMA = re.compile(r"^\s*-?\d+,\d+\s*$")


@dataclass(frozen=True, slots=True)
class Condition:
    column: str
    op: Op
    value: str
    # Why the condition was left out: the column's type whose values it cannot hold ("integer", "date"…),
    # "masked" (small counts are hidden there), "unknown" (no such column) or "repeated" (the column
    # already has a condition of another kind). None when it applies.
    error: str | None = None


def read_conditions(params: QueryParams) -> list[Condition]:
    """The conditions the query string asks for, blank ones left out. Without ``op`` a condition is an
    equality (the page's older links)."""
    columns, ops, values = params.getlist("column"), params.getlist("op"), params.getlist("value")
    out = []
    for i, column in enumerate(columns[:MAX_CONDITIONS]):
        value = values[i] if i < len(values) else ""
        op = ops[i] if i < len(ops) else "eq"
        if column and value.strip():
            out.append(Condition(column=column, op=op if op in OPS else "eq", value=value.strip()))
    return out


def apply_conditions(
    table: TableRef, conditions: list[Condition], types: dict[str, str]
) -> tuple[list[Condition], dict[str, FilterValue]]:
    """Each condition checked against the table (its error set when the table cannot apply it), and
    the filters of those that apply. `types` are the table's column types."""
    checked: list[Condition] = []
    filters: dict[str, FilterValue] = {}
    for cond in conditions:
        cond = _normalised(cond, types)
        if cond.column not in types:
            checked.append(replace(cond, error="unknown"))
            continue
        merged = _merge(filters.get(cond.column), cond)
        if merged is None:
            checked.append(replace(cond, error="repeated"))
            continue
        problem = table.filter_problem(cond.column, merged)
        if problem is not None:
            checked.append(replace(cond, error="masked" if problem == "masked" else types[cond.column]))
            continue
        filters[cond.column] = merged
        checked.append(cond)
    return checked, filters


def _normalised(cond: Condition, types: dict[str, str]) -> Condition:
    # Catalan and Spanish write 2,5 for two and a half.
    if types.get(cond.column) == "decimal" and _DECIMAL_COMMA.match(cond.value):
        return replace(cond, value=cond.value.replace(",", "."))
    return cond


def _merge(current: FilterValue | None, cond: Condition) -> FilterValue | None:
    """`cond` added to the filter its column already has, or None when the two cannot be one filter."""
    if cond.op == "contains":
        new: FilterValue = Contains(cond.value)
    elif cond.op == "eq":
        new = cond.value
    else:
        new = Range(gte=cond.value) if cond.op == "gte" else Range(lte=cond.value)
    if current is None:
        return new
    if isinstance(current, Range) and isinstance(new, Range):
        return Range(gte=new.gte or current.gte, lte=new.lte or current.lte)
    if isinstance(current, str) and isinstance(new, str):
        return [current, new]  # any of the values
    if isinstance(current, list) and isinstance(new, str):
        return [*current, new]
    return None


def api_filter_params(filters: dict[str, Any]) -> dict[str, str]:
    """The filters as datastore API parameters: ``col=value``, ``col__contains=``, ``col__gte=``,
    ``col__lte=``, or ``filters`` JSON for lists and for columns named like a parameter of the API."""
    plain: dict[str, str] = {}
    odd: dict[str, Any] = {}
    for name, value in filters.items():
        if name in API_RESERVED or "__" in name or isinstance(value, list):
            odd[name] = _json_filter(value)
        elif isinstance(value, Contains):
            plain[f"{name}__contains"] = value.text
        elif isinstance(value, Range):
            for op in ("gte", "gt", "lte", "lt"):
                bound = getattr(value, op)
                if bound is not None:
                    plain[f"{name}__{op}"] = str(bound)
        else:
            plain[name] = str(value)
    return plain | ({"filters": json.dumps(odd, ensure_ascii=False)} if odd else {})


def _json_filter(value: Any) -> Any:
    if isinstance(value, Contains):
        return {"contains": value.text}
    if isinstance(value, Range):
        return {k: getattr(value, k) for k in ("gte", "gt", "lte", "lt") if getattr(value, k) is not None}
    return value


def condition_params(conditions: Iterable[Condition]) -> dict[str, list[str]]:
    """The page's query parameters for `conditions` (for links that keep the filter)."""
    conds = list(conditions)
    return {
        "column": [c.column for c in conds],
        "op": [c.op for c in conds],
        "value": [c.value for c in conds],
    }
