"""CKAN's query language: `q` and `fq` in Solr's Lucene syntax, parsed by luqum into the catalogue's
criteria (obert.catalog.criteria), and `sort` into an order.

What CKAN clients write is served: `field:value`, AND / OR / NOT / `-` / `+`, quoted phrases (their
words in a row, after the site's analysis), groups,
`field:(a OR b)`, ranges such as `metadata_modified:[2024-01-01T00:00:00Z TO *]`, wildcards (`name:air*`),
`*:*`. Words without a field must all match, analysed as on the site (case, accents, stems). What has
no meaning here (fuzzy `~`, boosts `^`, regular expressions, unknown fields) is refused with a
validation error naming it, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

from luqum import tree
from luqum.exceptions import ParseError
from luqum.parser import parser

from obert.catalog.criteria import (
    AllOf,
    AnyOf,
    Criterion,
    DateField,
    Dates,
    Everything,
    Not,
    TextField,
    Value,
    ValueField,
    Words,
)
from obert.catalog.licences import licence_code
from obert.catalog.listing import OrderKey
from obert.errors import FieldError, Invalid

MAX_QUERY_CHARS = 4000  # an fq listing a few dozen organisations fits; more is a mistake or an attack

# CKAN (Solr) field -> what it means here.
TEXT_FIELDS: dict[str, tuple[TextField, ...]] = {
    "text": (),
    "title": ("title",),
    "notes": ("description",),
    "res_name": ("other",),
    "res_description": ("other",),
}
VALUE_FIELDS: dict[str, ValueField] = {
    "id": "id",
    "name": "name",
    "organization": "organization",
    "owner_org": "organization_id",
    "tags": "tags",
    "res_format": "res_format",
    "license_id": "license_id",
    "groups": "groups",
    "theme": "theme",
}
DATE_FIELDS: dict[str, DateField] = {"metadata_modified": "modified", "metadata_created": "created"}
SORT_KEYS: dict[str, OrderKey] = {
    "id": "id",
    "name": "name",
    "title": "title",
    "title_string": "title",
    "metadata_modified": "modified",
    "metadata_created": "created",
    "score": "score",
}
_KNOWN = sorted({*TEXT_FIELDS, *VALUE_FIELDS, *DATE_FIELDS, "dataset_type", "type"})


def parse(text: str, *, source: str) -> Criterion:
    """The criterion of one `q` or `fq` value; an empty one matches everything."""
    if not text.strip():
        return Everything()
    if len(text) > MAX_QUERY_CHARS:
        raise _refuse(source, f"at most {MAX_QUERY_CHARS} characters, got {len(text)}")
    try:
        parsed = parser.parse(text)
    except (ParseError, TypeError, ValueError) as exc:
        raise _refuse(source, f"cannot read this query ({exc})") from None
    return _Reader(source).read(parsed, None)


def order(text: str) -> tuple[tuple[OrderKey, bool], ...]:
    """CKAN's `sort`: comma-separated `field [asc|desc]` (e.g. "score desc, metadata_modified desc")."""
    keys: list[tuple[OrderKey, bool]] = []
    for clause in text.split(","):
        parts = clause.split()
        if not parts:
            continue
        key = SORT_KEYS.get(parts[0])
        if key is None:
            raise _refuse("sort", f"'{parts[0]}' is not sortable; sort on {', '.join(SORT_KEYS)}")
        direction = parts[1].lower() if len(parts) > 1 else "asc"
        if direction not in ("asc", "desc") or len(parts) > 2:
            raise _refuse("sort", f"'{clause.strip()}': a field, then asc or desc")
        keys.append((key, direction == "desc"))
    return tuple(keys)


def _refuse(source: str, message: str) -> Invalid:
    return Invalid(f"unsupported {source}", errors=[FieldError(source, message)])


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source

    def read(self, node: tree.Item, field: str | None) -> Criterion:
        handler = self._handlers().get(type(node))
        if handler is None:
            raise _refuse(self.source, f"'{node}' is not supported here ({type(node).__name__.lower()})")
        return handler(node, field)

    def _handlers(self) -> dict[type, Callable[[tree.Item, str | None], Criterion]]:
        return {
            tree.AndOperation: self._all,
            tree.UnknownOperation: self._all,  # CKAN: every term must match
            tree.OrOperation: self._any,
            tree.Not: self._not,
            tree.Prohibit: self._not,
            tree.Plus: self._inner,
            tree.Group: self._inner,
            tree.FieldGroup: self._inner,
            tree.SearchField: self._field,
            tree.Word: self._term,
            tree.Phrase: self._term,
            tree.Range: self._range,
        }

    def _all(self, node: tree.Item, field: str | None) -> Criterion:
        return AllOf(_merged([self.read(child, field) for child in node.children]))

    def _any(self, node: tree.Item, field: str | None) -> Criterion:
        return AnyOf(tuple(self.read(child, field) for child in node.children))

    def _not(self, node: tree.Item, field: str | None) -> Criterion:
        return Not(self.read(node.children[0], field))

    def _inner(self, node: tree.Item, field: str | None) -> Criterion:
        return self.read(node.children[0], field)

    def _field(self, node: tree.Item, field: str | None) -> Criterion:
        assert isinstance(node, tree.SearchField)
        if field is not None:
            raise _refuse(self.source, f"'{node}': a field inside the field {field}")
        name = node.name
        if name == "*" and str(node.expr) == "*":
            return Everything()
        if name not in _KNOWN:
            known = ", ".join(_KNOWN)
            raise _refuse(self.source, f"'{name}' is not a field to search on; use one of {known}")
        return self.read(node.expr, name)

    def _term(self, node: tree.Item, field: str | None) -> Criterion:
        phrase = isinstance(node, tree.Phrase)
        value = str(node.value)[1:-1] if phrase else str(node.value)
        wild = not phrase and ("*" in value or "?" in value)
        if field in ("dataset_type", "type"):
            return Everything() if value == "dataset" else Not(Everything())
        if field in DATE_FIELDS:
            moment = self._date(value)
            return Dates(DATE_FIELDS[field], moment, moment)
        if field == "license_id" and not wild:
            # package_show answers CKAN's licence ids: they filter as the licences they stand for.
            return Value("license_id", licence_code(value) or value)
        if field in VALUE_FIELDS:
            return Value(VALUE_FIELDS[field], value, pattern=wild)
        if value == "*":
            return Everything()
        fields = TEXT_FIELDS[field or "text"]
        if not wild:
            # A quoted phrase's words must come in a row, as in Solr; one word is just a word.
            return Words(value, fields, phrase=phrase and len(value.split()) > 1)
        stem = value[:-1]
        if not value.endswith("*") or "*" in stem or "?" in stem:
            raise _refuse(self.source, f"'{value}': in words, only a trailing * (a prefix) is supported")
        return Words(stem, fields, prefix=True)

    def _range(self, node: tree.Item, field: str | None) -> Criterion:
        assert isinstance(node, tree.Range)
        if field not in DATE_FIELDS:
            dates = " or ".join(DATE_FIELDS)
            raise _refuse(self.source, f"'{node}': ranges are supported on {dates} only")
        return Dates(
            DATE_FIELDS[field],
            self._bound(str(node.low)),
            self._bound(str(node.high)),
            include_start=node.include_low,
            include_end=node.include_high,
        )

    def _bound(self, text: str) -> datetime | None:
        return None if text == "*" else self._date(text)

    def _date(self, text: str) -> datetime:
        if text == "NOW":
            return datetime.now(UTC)
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            try:
                moment = datetime.combine(date.fromisoformat(text), datetime.min.time())
            except ValueError:
                raise _refuse(
                    self.source, f"'{text}' is not a date; write 2024-01-01T00:00:00Z, *, or NOW"
                ) from None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _merged(parts: list[Criterion]) -> tuple[Criterion, ...]:
    """Adjacent plain words of the same fields joined into one Words: one index lookup, not one a word."""
    out: list[Criterion] = []
    for part in parts:
        last = out[-1] if out else None
        if (
            isinstance(part, Words)
            and isinstance(last, Words)
            and not part.prefix
            and not last.prefix
            and not part.phrase
            and not last.phrase
            and part.fields == last.fields
        ):
            out[-1] = Words(f"{last.text} {part.text}", part.fields)
        else:
            out.append(part)
    return tuple(out)
