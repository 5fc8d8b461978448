"""pydantic's validation errors as translatable messages, so a form or an API client reads them in its
language (pydantic itself speaks English only). Keyed by pydantic's stable error `type`; its `ctx` fills
the parameters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from obert.errors import Message, msg

_BY_TYPE: dict[str, Message] = {
    "missing": msg("this field is required"),
    "string_type": msg("give a text"),
    "string_too_short": msg("give at least {min_length} characters"),
    "string_too_long": msg("give at most {max_length} characters"),
    "string_pattern_mismatch": msg("the text does not have the expected form"),
    "int_type": msg("give a whole number"),
    "int_parsing": msg("give a whole number"),
    "int_from_float": msg("give a whole number"),
    "float_type": msg("give a number"),
    "float_parsing": msg("give a number"),
    "decimal_parsing": msg("give a number"),
    "bool_type": msg("give yes or no (true or false)"),
    "bool_parsing": msg("give yes or no (true or false)"),
    "greater_than": msg("give a number greater than {gt}"),
    "greater_than_equal": msg("give a number of at least {ge}"),
    "less_than": msg("give a number less than {lt}"),
    "less_than_equal": msg("give a number of at most {le}"),
    "too_short": msg("give at least {min_length} items"),
    "too_long": msg("give at most {max_length} items"),
    "literal_error": msg("choose one of: {expected}"),
    "enum": msg("choose one of: {expected}"),
    "url_type": msg("give a full web address (https://…)"),
    "url_parsing": msg("give a full web address (https://…)"),
    "url_scheme": msg("give a full web address (https://…)"),
    "date_type": msg("give a date as YYYY-MM-DD"),
    "date_parsing": msg("give a date as YYYY-MM-DD"),
    "date_from_datetime_parsing": msg("give a date as YYYY-MM-DD"),
    "datetime_type": msg("give a date and time as YYYY-MM-DDTHH:MM"),
    "datetime_parsing": msg("give a date and time as YYYY-MM-DDTHH:MM"),
    "datetime_from_date_parsing": msg("give a date and time as YYYY-MM-DDTHH:MM"),
    "uuid_type": msg("give an identifier (UUID)"),
    "uuid_parsing": msg("give an identifier (UUID)"),
    "extra_forbidden": msg("this field is not known"),
    "dict_type": msg("give an object with named fields"),
    "list_type": msg("give a list"),
    "model_type": msg("give an object with named fields"),
    "json_invalid": msg("the JSON is not valid"),
}
_NOT_VALID = msg("this value is not valid")


def validation_message(error: Mapping[str, Any]) -> Message:
    """The message of one pydantic error (an item of `ValidationError.errors()`), translatable."""
    kind = str(error.get("type", ""))
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    if kind in ("value_error", "assertion_error"):
        # Our own validators raise ValueError(msg(...)): keep their message, translatable as it is.
        cause = ctx.get("error")
        text = cause.args[0] if isinstance(cause, Exception) and cause.args else None
        if isinstance(text, Message):
            return text
        return Message(str(error.get("msg", _NOT_VALID)).removeprefix("Value error, "), {})
    if kind == "string_too_short" and ctx.get("min_length") == 1:
        return _BY_TYPE["missing"]
    template = _BY_TYPE.get(kind)
    if template is None:
        return _NOT_VALID
    params = {key: value for key, value in ctx.items() if isinstance(value, str | int | float)}
    try:
        return Message(template.template, params)
    except (KeyError, IndexError):
        return _NOT_VALID
