"""Frictionless Table Schema ↔ obert's column types, and licence names ↔ the EU licence vocabulary.

Out: each obert type has one Table Schema type, so a Frictionless or pandas reader keeps obert's typing
(a zero-padded code that obert kept as text is a `string`, and stays "08"). In: every Table Schema type
maps to the obert type that holds its values without loss; the ones obert has no column type for (time,
duration, object, array, geopoint, geojson, yearmonth, any) are kept as text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from obert.catalog.vocabulary import vocabulary
from obert.datastore.schema import ColumnType
from obert.errors import FieldError, Invalid, msg
from obert.ingest.declared import Declared, DeclaredField
from obert.ingest.profile import UNKNOWN_WORDS

OBERT_TYPE = "obert:type"  # field property: the obert type, where the Table Schema type says less
MISSING_VALUES = ("",)

_OUT: dict[ColumnType, str] = {
    "integer": "integer",
    "decimal": "number",
    "date": "date",
    "datetime": "datetime",
    "boolean": "boolean",
    "text": "string",
    "geometry": "string",  # WKT; `obert:type` says so
}
_IN: dict[str, ColumnType] = {
    "integer": "integer",
    "year": "integer",
    "number": "decimal",
    "date": "date",
    "datetime": "datetime",
    "boolean": "boolean",
    "string": "text",
}
_TEXT_TYPES = {"time", "duration", "object", "array", "geopoint", "geojson", "yearmonth", "any", "list"}

# EU licence codes → Open Definition / SPDX identifiers, which Data Package `licenses[].name` expects.
_LICENCE_IDS = {
    "CC0": "CC0-1.0",
    "CC_PDM_1_0": "PDM-1.0",
    "CC_BY_4_0": "CC-BY-4.0",
    "CC_BYSA_4_0": "CC-BY-SA-4.0",
    "CC_BYND_4_0": "CC-BY-ND-4.0",
    "CC_BYNC_4_0": "CC-BY-NC-4.0",
    "CC_BYNCSA_4_0": "CC-BY-NC-SA-4.0",
    "CC_BYNCND_4_0": "CC-BY-NC-ND-4.0",
    "CC_BY_3_0": "CC-BY-3.0",
    "CC_BYSA_3_0": "CC-BY-SA-3.0",
    "ODC_BY": "ODC-BY-1.0",
    "ODC_PDDL": "ODC-PDDL-1.0",
    "ODC_ODBL": "ODbL-1.0",
    "OGL_3_0": "OGL-UK-3.0",
    "EUPL_1_2": "EUPL-1.2",
    "MIT": "MIT",
    "APACHE_2_0": "Apache-2.0",
}
_LICENCE_CODES = {v.casefold(): k for k, v in _LICENCE_IDS.items()}


def field_out(column: Mapping[str, Any]) -> dict[str, Any]:
    """The Table Schema field of one column of a version's report (name, original_name, type)."""
    kind: ColumnType = column["type"]
    out: dict[str, Any] = {"name": column["name"], "type": _OUT[kind]}
    if column.get("original_name") and column["original_name"] != column["name"]:
        out["title"] = column["original_name"]
    if kind == "geometry":
        out["description"] = "WKT geometry"
        out[OBERT_TYPE] = "geometry"
    return out


def missing_markers(column: Mapping[str, Any]) -> list[object]:
    """The values a column of a version's report keeps that mean "unknown", counted at ingest: Barcelona's
    ``-1`` in a number column, words such as ``Desconegut`` in a text column (the statistical ``..``
    became an empty cell, which the resource's missing values already name)."""
    kind = column.get("type")
    placeholders = column.get("placeholders") or {}
    markers: list[object] = []
    if placeholders.get("-1") and kind in ("integer", "decimal"):
        markers.append(-1)
    if placeholders.get("unknown") and kind == "text":
        words = [t.get("value") for t in column.get("top") or [] if isinstance(t, Mapping)]
        markers += sorted({w for w in words if isinstance(w, str) and w.lower() in UNKNOWN_WORDS})
    return markers


def with_missing(field: dict[str, Any], texts: list[str]) -> dict[str, Any]:
    """`field` with its own missing values (Data Package v2, replacing the resource's) when its column
    keeps markers of unknown values, as its CSV writes them (`texts`)."""
    return {**field, "missingValues": [*MISSING_VALUES, *texts]} if texts else field


def licence_out(code: str | None) -> dict[str, str] | None:
    """The Data Package licence of an EU licence code."""
    if not code:
        return None
    concept = vocabulary("licence").get(code)
    if concept is None:
        return {"name": code}
    return {
        "name": _LICENCE_IDS.get(concept.code, concept.code),
        "path": concept.uri,
        "title": concept.label_in("en"),
    }


def licence_in(licences: Any) -> str | None:
    """The EU licence code of a package's first recognised licence (by id, EU code or IRI)."""
    for item in licences if isinstance(licences, list) else []:
        if not isinstance(item, dict):
            continue
        for key in ("name", "path"):
            value = item.get(key)
            if not isinstance(value, str):
                continue
            if value.casefold() in _LICENCE_CODES:
                return _LICENCE_CODES[value.casefold()]
            concept = vocabulary("licence").get(value)
            if concept is not None:
                return concept.code
    return None


def declared_schema(schema: Any, *, where: str, delimiter: str | None = None) -> Declared:
    """A Table Schema (a JSON object) as the declaration an ingest reads a CSV file with."""
    if not isinstance(schema, dict) or not isinstance(schema.get("fields"), list) or not schema["fields"]:
        raise Invalid(
            "a resource has no usable schema", errors=[FieldError(f"{where}.schema", "needs fields")]
        )
    missing = _missing_values(schema.get("missingValues", list(MISSING_VALUES)), where=f"{where}.schema")
    keys = schema.get("primaryKey") or []
    keys = [keys] if isinstance(keys, str) else keys
    fields = []
    for i, raw in enumerate(schema["fields"]):
        fields.append(_declared_field(raw, where=f"{where}.schema.fields[{i}]", key=keys))
    names = [f.name for f in fields]
    for name in keys:
        if name not in names:
            raise Invalid(
                "the primary key names a field the schema does not have",
                errors=[FieldError(f"{where}.schema.primaryKey", str(name))],
            )
    return Declared(tuple(fields), tuple(missing), delimiter, tuple(keys))


def _missing_values(value: Any, *, where: str) -> list[str]:
    """A `missingValues` list (of a schema or of one field): strings only."""
    if not isinstance(value, list) or not all(isinstance(m, str) for m in value):
        raise Invalid(
            "missingValues must be a list of strings",
            errors=[FieldError(f"{where}.missingValues", "a list of strings")],
        )
    return value


def _declared_field(raw: Any, *, where: str, key: list[str]) -> DeclaredField:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not raw["name"]:
        raise Invalid("a schema field has no name", errors=[FieldError(where, "needs a name")])
    declared = str(raw.get("type") or "string")
    kind: ColumnType
    if raw.get(OBERT_TYPE) == "geometry" and declared == "string":
        kind = "geometry"
    elif declared in _IN:
        kind = _IN[declared]
    elif declared in _TEXT_TYPES:
        kind = "text"
    else:
        raise Invalid(f"unknown field type {declared!r}", errors=[FieldError(f"{where}.type", declared)])
    fmt = str(raw.get("format") or "default").removeprefix("fmt:")
    if kind not in ("date", "datetime"):
        fmt = "default"
    constraints: dict[str, Any] = raw["constraints"] if isinstance(raw.get("constraints"), dict) else {}
    extra: dict[str, Any] = {}
    for prop, attr in (("trueValues", "true_values"), ("falseValues", "false_values")):
        if isinstance(raw.get(prop), list):
            extra[attr] = tuple(str(v) for v in raw[prop])
    if "missingValues" in raw:  # Data Package v2: the field's own, instead of the resource's
        extra["missing_values"] = tuple(_missing_values(raw["missingValues"], where=where))
    if kind in ("integer", "decimal"):
        extra |= _number_chars(raw, where=where, kind=kind)
    extra |= _rules(constraints, kind=kind, where=f"{where}.constraints")
    return DeclaredField(
        name=raw["name"],
        type=kind,
        declared=declared,
        format=fmt,
        required=bool(constraints.get("required")) or raw["name"] in key,
        unique=bool(constraints.get("unique")),
        **extra,
    )


def _number_chars(raw: dict[str, Any], *, where: str, kind: ColumnType) -> dict[str, str]:
    """`decimalChar` and `groupChar` of a number field (a group character for whole numbers too)."""
    out: dict[str, str] = {}
    for prop, attr, allowed in (("decimalChar", "decimal_char", {1}), ("groupChar", "group_char", {0, 1})):
        if prop not in raw or (prop == "decimalChar" and kind == "integer"):
            continue
        value = raw[prop]
        if not isinstance(value, str) or len(value) not in allowed or value.isdigit():
            raise Invalid(
                msg("{prop} must be one character", prop=prop),
                errors=[FieldError(f"{where}.{prop}", repr(value))],
            )
        out[attr] = value
    if out.get("decimal_char", ".") == out.get("group_char"):
        raise Invalid(
            msg("decimalChar and groupChar must differ"),
            errors=[FieldError(f"{where}.groupChar", out["group_char"])],
        )
    return out


def _rules(constraints: dict[str, Any], *, kind: ColumnType, where: str) -> dict[str, Any]:
    """The field's `enum`, `minimum`, `maximum` and `pattern` constraints, checked for sense."""
    out: dict[str, Any] = {}
    if "enum" in constraints:
        values = constraints["enum"]
        if not isinstance(values, list) or not values or not all(_scalar(v) for v in values):
            raise Invalid(
                msg("enum must list values"), errors=[FieldError(f"{where}.enum", msg("a list of values"))]
            )
        out["enum"] = tuple(str(v) for v in values)
    for bound in ("minimum", "maximum"):
        if bound not in constraints:
            continue
        value = constraints[bound]
        if not _bound_fits(value, kind):
            raise Invalid(
                msg("{bound} does not fit the field's type", bound=bound),
                errors=[FieldError(f"{where}.{bound}", f"{value!r} is not a {_OUT.get(kind, kind)}")],
            )
        out[bound] = str(value)
    if "pattern" in constraints:
        pattern = constraints["pattern"]
        try:
            re.compile(pattern if isinstance(pattern, str) else "(")
        except re.error as exc:
            raise Invalid(
                msg("pattern is not a regular expression"), errors=[FieldError(f"{where}.pattern", str(exc))]
            ) from exc
        out["pattern"] = pattern
    return out


def _scalar(value: Any) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def _bound_fits(value: Any, kind: ColumnType) -> bool:
    """A bound of a number field is a number; of a date or date-time, one in ISO 8601."""
    if kind in ("integer", "decimal"):
        if isinstance(value, str):
            try:
                float(value)
            except ValueError:
                return False
            return True
        return _scalar(value)
    if kind in ("date", "datetime") and isinstance(value, str):
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return False
        return True
    return False
