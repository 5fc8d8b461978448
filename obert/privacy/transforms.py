"""Transforms that take personal data out of a table before it is published.

Each transform is pure: it takes a pyarrow Table and returns a new one, leaving the input untouched. A
plan is a list of transform records that can be written as JSON, stored next to the version it
produced and audited later. The hashing salt is a secret, so a plan never carries it: it is passed to
`apply_transforms` when the plan runs.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, TypeAlias

import pyarrow as pa
import pyarrow.compute as pc

from obert.errors import FieldError, Invalid, msg
from obert.privacy.kinds import Kind
from obert.privacy.masking import mask, mask_keep_last
from obert.privacy.spans import redact

MIN_SALT_BYTES = 16
_DATE = re.compile(r"^(\d{4})-(\d{2})(?:-\d{2})?|^\d{1,2}[/.\-](\d{1,2})[/.\-](\d{4})")


@dataclass(frozen=True, slots=True)
class DropColumn:
    column: str


@dataclass(frozen=True, slots=True)
class MaskColumn:
    """Replace each value by a mask: the last `keep_last` characters kept, or the mask usual for `kind`."""

    column: str
    keep_last: int = 0
    kind: Kind | None = None


@dataclass(frozen=True, slots=True)
class HashColumn:
    """HMAC-SHA256 of each value under the secret salt: equal values stay equal, so joins still work."""

    column: str


@dataclass(frozen=True, slots=True)
class GeneraliseDate:
    column: str
    to: Literal["month", "year"] = "month"


@dataclass(frozen=True, slots=True)
class GeneraliseCoordinates:
    """Round coordinates to `decimals` places, or snap them to the centre of a `grid`-sized cell (degrees
    for longitude/latitude, metres for UTM)."""

    columns: tuple[str, ...]
    decimals: int | None = None
    grid: float | None = None


@dataclass(frozen=True, slots=True)
class SuppressText:
    """Blank a free-text column, or with `redact_only` keep the text and mask the identifiers in it."""

    column: str
    redact_only: bool = False


Transform: TypeAlias = (
    DropColumn | MaskColumn | HashColumn | GeneraliseDate | GeneraliseCoordinates | SuppressText
)


def _require(table: pa.Table, column: str, field: str = "column") -> None:
    if column not in table.column_names:
        raise Invalid(
            msg("no column named {column}", column=repr(column)),
            errors=[FieldError(field=field, message=msg("not in table"))],
        )


def _replace(table: pa.Table, column: str, values: pa.Array | pa.ChunkedArray) -> pa.Table:
    index = table.column_names.index(column)
    return table.set_column(index, pa.field(column, values.type), values)


def _text(table: pa.Table, column: str) -> list[str | None]:
    values: list[str | None] = pc.cast(table.column(column), pa.string()).to_pylist()
    return values


def drop_column(table: pa.Table, column: str) -> pa.Table:
    _require(table, column)
    return table.drop_columns([column])


def mask_column(table: pa.Table, column: str, *, keep_last: int = 0, kind: Kind | None = None) -> pa.Table:
    _require(table, column)
    masked = [
        None if v is None else (mask(v, kind) if kind is not None else mask_keep_last(v, keep_last))
        for v in _text(table, column)
    ]
    return _replace(table, column, pa.array(masked, pa.string()))


def hash_column(table: pa.Table, column: str, *, salt: bytes) -> pa.Table:
    _require(table, column)
    if len(salt) < MIN_SALT_BYTES:
        raise Invalid(
            msg("the hashing salt is too short"),
            errors=[FieldError(field="salt", message=f"at least {MIN_SALT_BYTES} bytes are needed")],
        )
    hashed = [
        None if v is None else hmac.digest(salt, v.encode("utf-8"), "sha256").hex()
        for v in _text(table, column)
    ]
    return _replace(table, column, pa.array(hashed, pa.string()))


def _generalise(value: str, to: str) -> str | None:
    m = _DATE.match(value.strip())
    if not m:
        return None
    year, month = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
    return year if to == "year" else f"{year}-{int(month):02d}"


def generalise_date(table: pa.Table, column: str, *, to: Literal["month", "year"] = "month") -> pa.Table:
    """Dates become ``YYYY-MM`` or ``YYYY`` text; values that are not dates become empty, since a date
    the transform cannot read is one it cannot vouch for."""
    _require(table, column)
    if to not in ("month", "year"):
        raise Invalid(
            msg("dates generalise to a month or a year"), errors=[FieldError(field="to", message=to)]
        )
    values = [None if v is None else _generalise(v, to) for v in _text(table, column)]
    return _replace(table, column, pa.array(values, pa.string()))


def generalise_coordinates(
    table: pa.Table, columns: Sequence[str], *, decimals: int | None = None, grid: float | None = None
) -> pa.Table:
    if (decimals is None) == (grid is None):
        raise Invalid(
            msg("give either decimals or a grid size"),
            errors=[FieldError(field="decimals", message="exactly one of decimals and grid is needed")],
        )
    if grid is not None and grid <= 0:
        raise Invalid(
            msg("the grid size must be positive"), errors=[FieldError(field="grid", message=str(grid))]
        )
    for column in columns:
        _require(table, column, field="columns")
        numbers = _as_float(table.column(column))
        if decimals is not None:
            rounded = pc.round(numbers, ndigits=decimals)
        else:
            assert grid is not None
            rounded = pc.add(pc.multiply(pc.floor(pc.divide(numbers, grid)), grid), grid / 2)
        table = _replace(table, column, rounded)
    return table


def _as_float(values: pa.ChunkedArray) -> pa.ChunkedArray:
    if pa.types.is_floating(values.type) or pa.types.is_integer(values.type):
        return pc.cast(values, pa.float64())
    # Text coordinates as Open Data BCN writes them: "4584941,35" with a decimal comma.
    text = pc.replace_substring(pc.cast(values, pa.string()), ",", ".")
    try:
        return pc.cast(text, pa.float64())
    except pa.ArrowInvalid as exc:
        raise Invalid(
            msg("coordinates must be numbers"), errors=[FieldError(field="columns", message=str(exc))]
        ) from exc


def suppress_text(table: pa.Table, column: str, *, redact_only: bool = False) -> pa.Table:
    _require(table, column)
    if redact_only:
        values = [None if v is None else redact(v) for v in _text(table, column)]
    else:
        values = [None] * table.num_rows
    return _replace(table, column, pa.array(values, pa.string()))


def apply_transform(table: pa.Table, step: Transform, *, salt: bytes | None = None) -> pa.Table:
    match step:
        case DropColumn(column=column):
            return drop_column(table, column)
        case MaskColumn(column=column, keep_last=keep_last, kind=kind):
            return mask_column(table, column, keep_last=keep_last, kind=kind)
        case HashColumn(column=column):
            if salt is None:
                raise Invalid(
                    msg("hashing needs a salt"), errors=[FieldError(field="salt", message=msg("missing"))]
                )
            return hash_column(table, column, salt=salt)
        case GeneraliseDate(column=column, to=to):
            return generalise_date(table, column, to=to)
        case GeneraliseCoordinates(columns=columns, decimals=decimals, grid=grid):
            return generalise_coordinates(table, columns, decimals=decimals, grid=grid)
        case SuppressText(column=column, redact_only=redact_only):
            return suppress_text(table, column, redact_only=redact_only)


def apply_transforms(table: pa.Table, plan: Sequence[Transform], *, salt: bytes | None = None) -> pa.Table:
    """Run `plan` in order and return the new table. Errors name the step: ``plan[2].column``."""
    for index, step in enumerate(plan):
        try:
            table = apply_transform(table, step, salt=salt)
        except Invalid as exc:
            errors = [FieldError(field=f"plan[{index}].{e.field}", message=e.message) for e in exc.errors]
            raise Invalid(
                msg("step {index} of the plan failed: {message}", index=index, message=exc.message),
                errors=errors,
            ) from exc
    return table
