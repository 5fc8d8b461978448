"""Transform plans as JSON, and the plan obert suggests for a scan report.

The JSON form is a list of objects with an ``op`` (``drop``, ``mask``, ``hash``, ``generalise_date``,
``generalise_coordinates``, ``suppress_text``) and that operation's parameters, e.g.
``[{"op": "hash", "column": "dni"}, {"op": "generalise_date", "column": "born", "to": "year"}]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import get_args

from obert.errors import FieldError, Invalid, msg
from obert.privacy.kinds import Kind, ScanReport
from obert.privacy.transforms import (
    DropColumn,
    GeneraliseCoordinates,
    GeneraliseDate,
    HashColumn,
    MaskColumn,
    SuppressText,
    Transform,
)
from obert.types import JSONDict, JSONValue

OPS: dict[str, type[Transform]] = {
    "drop": DropColumn,
    "mask": MaskColumn,
    "hash": HashColumn,
    "generalise_date": GeneraliseDate,
    "generalise_coordinates": GeneraliseCoordinates,
    "suppress_text": SuppressText,
}
_OP_OF = {cls: op for op, cls in OPS.items()}


def plan_to_json(plan: Sequence[Transform]) -> list[JSONValue]:
    out: list[JSONValue] = []
    for step in plan:
        record: JSONDict = {"op": _OP_OF[type(step)]}
        for key, value in asdict(step).items():
            record[key] = list(value) if isinstance(value, tuple) else value
        out.append(record)
    return out


def plan_from_json(data: object) -> list[Transform]:
    """Read a plan written by `plan_to_json` (or by hand), naming the offending step in errors."""
    if not isinstance(data, list):
        raise Invalid(
            msg("a plan is a list of steps"), errors=[FieldError(field="plan", message=msg("not a list"))]
        )
    plan: list[Transform] = []
    errors: list[FieldError] = []
    for index, record in enumerate(data):
        where = f"plan[{index}]"
        if not isinstance(record, dict) or record.get("op") not in OPS:
            errors.append(FieldError(field=f"{where}.op", message=f"one of {', '.join(OPS)}"))
            continue
        params = {k: v for k, v in record.items() if k != "op"}
        if "columns" in params and isinstance(params["columns"], list):
            params["columns"] = tuple(params["columns"])
        kind = params.get("kind")
        if kind is not None and kind not in get_args(Kind):
            errors.append(FieldError(field=f"{where}.kind", message=f"unknown kind {kind!r}"))
            continue
        problems = [FieldError(field=f"{where}.{key}", message=m) for key, m in _field_problems(params)]
        if problems:
            errors.extend(problems)
            continue
        try:
            plan.append(OPS[record["op"]](**params))
        except TypeError as exc:  # a missing or unknown parameter
            errors.append(FieldError(field=where, message=str(exc)))
    if errors:
        raise Invalid(msg("the transform plan is not valid"), errors=errors)
    return plan


def _field_problems(params: dict[str, object]) -> list[tuple[str, str]]:
    """Type and range checks for parameters read from JSON, so a bad plan fails here and not midway."""
    problems: list[tuple[str, str]] = []
    for key, value in params.items():
        if key == "column" and not (isinstance(value, str) and value):
            problems.append((key, "a column name"))
        elif key == "columns" and not (
            isinstance(value, tuple) and value and all(isinstance(c, str) and c for c in value)
        ):
            problems.append((key, "a list of column names"))
        elif key in ("keep_last", "decimals") and not (
            (value is None and key == "decimals")
            or (isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 64)
        ):
            problems.append((key, "a whole number from 0 to 64"))
        elif key == "grid" and not (
            value is None or (isinstance(value, int | float) and not isinstance(value, bool) and value > 0)
        ):
            problems.append((key, "a positive number"))
        elif key == "to" and value not in ("month", "year"):
            problems.append((key, "month or year"))
        elif key == "redact_only" and not isinstance(value, bool):
            problems.append((key, "true or false"))
    return problems


def suggest_plan(report: ScanReport) -> list[Transform]:
    """A plan that clears every blocking finding: identifiers hashed (joins keep working), birth dates cut
    to the year, free text redacted, names and addresses dropped. Nested columns drop their top field.
    A column whose own name is an identifier gets no step (no step can name it without revealing it):
    the publisher renames it at the source, or overrides the finding."""
    plan: list[Transform] = []
    done: set[str] = set()
    for finding in report.blocking:
        if finding.name_masked:
            continue
        top = finding.column.split(".")[0]
        if top in done:
            continue
        done.add(top)
        if top != finding.column:
            plan.append(DropColumn(column=top))
        elif finding.kind in ("dni", "nie", "iban", "card", "email", "phone"):
            plan.append(HashColumn(column=top))
        elif finding.kind == "birth_date":
            plan.append(GeneraliseDate(column=top, to="year"))
        elif finding.kind == "free_text":
            plan.append(SuppressText(column=top, redact_only=True))
        else:
            plan.append(DropColumn(column=top))
    return plan
