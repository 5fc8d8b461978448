"""The query parameters of OGC API - Features, read strictly: a value that cannot be read is a 400 that
names the parameter, and so is a parameter the API does not define (OGC's /req/core/query-param-unknown)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime

from starlette.datastructures import QueryParams

from obert.datastore.crs import CRS84, Crs, parse_crs
from obert.datastore.filters import FilterValue
from obert.errors import FieldError, Invalid, msg
from obert.tableservice.handle import BBox, TimeSpan

DEFAULT_LIMIT = 10
MAX_LIMIT = 10_000
MAX_OFFSET = 2**53  # past any table's rows; row numbers are 64-bit
FORMATS = ("json", "html")
ITEMS_PARAMS = frozenset({"f", "bbox", "bbox-crs", "crs", "limit", "offset", "datetime"})
_OPEN = ("", "..")


def refuse_unknown(params: QueryParams, known: Iterable[str]) -> None:
    """400 for a parameter the API does not define here (a column name is one, on items)."""
    allowed = set(known)
    unknown = sorted({k for k in params if k not in allowed})
    if unknown:
        raise Invalid(
            "unknown query parameter",
            errors=[
                FieldError(k, "not a parameter of this resource (nor a column of the table)") for k in unknown
            ],
        )


def output_format(params: QueryParams, accept: str) -> str:
    """`json` or `html`: the `f` parameter, else what the Accept header prefers (JSON unless HTML is)."""
    f = params.get("f")
    if f is not None:
        if f not in FORMATS:
            raise Invalid(msg("unknown format"), errors=[FieldError("f", f"use one of {', '.join(FORMATS)}")])
        return f
    html = _quality(accept, "text/html")
    json = max(_quality(accept, t) for t in ("application/json", "application/geo+json"))
    return "html" if html > 0 and html > json else "json"


def _quality(accept: str, media_type: str) -> float:
    for part in accept.split(","):
        kind, _, rest = part.strip().partition(";")
        if kind.strip().lower() == media_type:
            q = rest.strip()
            try:
                return float(q[2:]) if q.startswith("q=") else 1.0
            except ValueError:
                return 0.0
    return 0.0


def limit(params: QueryParams) -> int:
    """The page size: 10 unless asked; above the maximum it is the maximum (OGC: not an error)."""
    text = params.get("limit")
    if text is None:
        return DEFAULT_LIMIT
    value = _integer(text, "limit")
    if value < 1:
        raise Invalid("limit out of range", errors=[FieldError("limit", f"between 1 and {MAX_LIMIT}")])
    return min(value, MAX_LIMIT)


def offset(params: QueryParams) -> int:
    text = params.get("offset")
    if text is None:
        return 0
    value = _integer(text, "offset")
    if not 0 <= value <= MAX_OFFSET:
        raise Invalid("offset out of range", errors=[FieldError("offset", f"between 0 and {MAX_OFFSET}")])
    return value


def _integer(text: str, name: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise Invalid(
            f"{name} is not a whole number", errors=[FieldError(name, f"{text!r} is not a whole number")]
        ) from None


def crs(params: QueryParams, name: str, allowed: Sequence[Crs]) -> Crs:
    """The CRS a parameter names (CRS84 when absent), if the collection is served in it."""
    text = params.get(name)
    return CRS84 if text is None else parse_crs(text, field=name, allowed=allowed)


def bbox(params: QueryParams, allowed: Sequence[Crs]) -> BBox | None:
    """`bbox`, in the system `bbox-crs` names (default CRS84), in that system's axis order."""
    text = params.get("bbox")
    if text is None:
        if "bbox-crs" in params:
            raise Invalid("bbox-crs without bbox", errors=[FieldError("bbox-crs", "give a bbox too")])
        return None
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise Invalid(
            "malformed bounding box",
            errors=[FieldError("bbox", f"{text!r}: give 4 numbers (or 6 with heights), separated by commas")],
        ) from None
    return BBox.from_axes(values, crs(params, "bbox-crs", allowed))


def time_span(params: QueryParams) -> TimeSpan | None:
    """`datetime`: an instant (a date or a date-time) or an interval `start/end`, either end open (`..`)."""
    text = params.get("datetime")
    if text is None:
        return None
    text = text.strip()
    if "/" not in text:
        instant = _moment(text)
        if instant is None:
            raise _bad_time(text)
        return TimeSpan(instant, instant)
    start_text, _, end_text = text.partition("/")
    start, end = _moment(start_text), _moment(end_text)
    if start is None and end is None:
        raise _bad_time(text)
    if start is not None and end is not None and _as_datetime(start) > _as_datetime(end):
        raise Invalid("the interval ends before it starts", errors=[FieldError("datetime", text)])
    return TimeSpan(start, end)


def _moment(text: str) -> date | None:
    text = text.strip()
    if text in _OPEN:
        return None
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        raise _bad_time(text) from None


def _as_datetime(value: date) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo is None else value.astimezone(UTC).replace(tzinfo=None)
    return datetime(value.year, value.month, value.day)


def _bad_time(text: str) -> Invalid:
    return Invalid(
        "malformed datetime",
        errors=[
            FieldError(
                "datetime",
                f"{text!r}: give a date or date-time in RFC 3339 (2018-02-12, 2018-02-12T23:20:50Z) "
                "or an interval start/end where either may be '..'",
            )
        ],
    )


def property_filters(params: QueryParams, columns: Sequence[str]) -> dict[str, FilterValue]:
    """`?column=value` for each column named (repeated: any of the values)."""
    out: dict[str, FilterValue] = {}
    names = set(columns)
    for key in params:
        if key in names and key not in ITEMS_PARAMS:
            values = params.getlist(key)
            out[key] = values[0] if len(values) == 1 else list(values)
    return out
