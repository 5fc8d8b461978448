"""Query-string grammar of the datastore API: filters, fields, sort, metrics and page cursors."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from typing import Any

from starlette.datastructures import QueryParams

from obert.datastore import Contains, FilterValue, Range
from obert.errors import FieldError, Invalid, msg

# Parameters with a meaning of their own; every other one filters the column it names.
RESERVED = frozenset(
    {
        "filters",
        "q",
        "fields",
        "sort",
        "limit",
        "offset",
        "cursor",
        "version",
        "count",
        "group_by",
        "metrics",
        "spreadsheet",
    }
)
_RANGE_OPS = ("gte", "gt", "lte", "lt")


def parse_filters(params: QueryParams) -> dict[str, FilterValue]:
    """``filters`` (JSON) merged with ``col=value``, repeated ``col=a&col=b`` (any of), ``col__gte=``…
    (ranges), ``col__contains=`` (text match, accents and case ignored) and ``col__in=a,b``."""
    out: dict[str, FilterValue] = {}
    raw = params.get("filters")
    if raw:
        out.update(_json_filters(raw))
    ranges: dict[str, dict[str, Any]] = {}
    for key in dict.fromkeys(params.keys()):
        if key in RESERVED:
            continue
        values = params.getlist(key)
        column, _, op = key.rpartition("__")
        if column and op in _RANGE_OPS:
            ranges.setdefault(column, {})[op] = values[-1]
        elif column and op == "contains":
            out[column] = Contains(values[-1])
        elif column and op == "in":
            out[column] = [v for value in values for v in value.split(",")]
        else:
            out[key] = values[0] if len(values) == 1 else list(values)
    for column, bounds in ranges.items():
        out[column] = Range(**bounds)
    return out


def _json_filters(raw: str) -> dict[str, FilterValue]:
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise Invalid(msg("filters is not valid JSON"), errors=[FieldError("filters", str(exc))]) from None
    if not isinstance(data, dict):
        raise Invalid(
            msg("filters must be a JSON object"),
            errors=[FieldError("filters", msg("expected {column: value}"))],
        )
    out: dict[str, FilterValue] = {}
    for column, value in data.items():
        where = f"filters.{column}"
        if isinstance(value, dict):
            if set(value) == {"contains"} and isinstance(value["contains"], str):
                out[column] = Contains(value["contains"])
            elif value and set(value) <= set(_RANGE_OPS) and all(_scalar(v) for v in value.values()):
                out[column] = Range(**value)
            else:
                raise Invalid(
                    msg("bad filter"),
                    errors=[FieldError(where, msg("use a value, a list, {gte,gt,lte,lt} or {contains}"))],
                )
        elif isinstance(value, list):
            if not all(_scalar(v) for v in value):
                raise Invalid(
                    msg("bad filter"), errors=[FieldError(where, msg("a list holds plain values only"))]
                )
            out[column] = list(value)
        elif _scalar(value):
            out[column] = value
        else:
            raise Invalid(msg("bad filter"), errors=[FieldError(where, msg("unsupported value"))])
    return out


def _scalar(value: object) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def split_list(value: str | None) -> list[str] | None:
    """``a,b, c`` → ``["a", "b", "c"]``; None when absent."""
    if value is None:
        return None
    return [part.strip() for part in value.split(",") if part.strip()]


def parse_sort(value: str | None) -> list[tuple[str, bool]]:
    """``-year,district`` → year descending, then district ascending."""
    return [(p[1:], True) if p.startswith("-") else (p, False) for p in split_list(value) or []]


def parse_metrics(values: Iterable[str]) -> list[tuple[str, str]]:
    """``count``, ``sum:col`` or ``sum(col)``, repeated or comma-separated → (func, column) pairs."""
    metrics = []
    for value in values:
        for item in split_list(value) or []:
            if "(" in item and item.endswith(")"):
                func, column = item[:-1].split("(", 1)
            else:
                func, _, column = item.partition(":")
            metrics.append((func.strip().lower(), column.strip() or "*"))
    return metrics or [("count", "*")]


def encode_cursor(version: int, offset: int) -> str:
    return base64.urlsafe_b64encode(f"{version}:{offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, int]:
    """(version, offset): a cursor pins its version, so later pages never mix two versions."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        version, offset = (int(x) for x in text.split(":"))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise Invalid(
            msg("bad cursor"), errors=[FieldError("cursor", msg("use the `next` value of a previous page"))]
        ) from None
    if version < 1 or offset < 0:
        raise Invalid(
            msg("bad cursor"), errors=[FieldError("cursor", msg("use the `next` value of a previous page"))]
        )
    return version, offset
