"""The one error hierarchy of obert.

Domain code raises these; each face (native API, CKAN API, HTML pages) turns them into a response in
exactly one handler. Third-party exceptions are translated into these at the module that owns the
library, so nothing above that module needs to know about DuckDB, SQLAlchemy or httpx errors.

    ObertError
    ├── BadRequest       400  a request obert cannot even read (malformed body, unknown action)
    ├── Invalid          422  bad input, with one FieldError per offending field
    ├── Unauthorized     401  no or bad credentials
    ├── Forbidden        403  credentials fine, permission missing
    ├── NotFound         404
    ├── Conflict         409  duplicate name, stale version, state transition refused
    ├── TooLarge         413
    ├── RateLimited      429  carries retry_after seconds
    └── Unavailable      503  a backing service is down
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class Message(str):
    """A message as English text that also remembers its template and parameters, so each face can give it
    in the reader's language. It is a `str` (the English), so code and logs that expect text keep working;
    `obert.i18n.localize` translates the template and fills in the parameters."""

    template: str
    params: Mapping[str, Any]

    def __new__(cls, template: str, params: Mapping[str, Any]) -> Message:
        self = super().__new__(cls, template.format(**params) if params else template)
        self.template = template
        self.params = params
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        # Errors cross process boundaries (SQL and parser workers): rebuild from template and parameters.
        return (Message, (self.template, dict(self.params)))


def msg(template: str, /, **params: Any) -> Message:
    """A translatable message: `msg("no dataset '{ref}'", ref=ref)`. The template is the message id that
    `make messages` extracts; parameters are filled in after translation."""
    return Message(template, params)


def message_record(text: str | None) -> dict[str, Any] | None:
    """A `Message` as JSON to store beside its English text ({"id": template, "params": {...}}, a message
    quoted inside another as a record too), so that it can be given later in a reader's language; None
    for plain text."""
    if not isinstance(text, Message):
        return None
    params = {
        key: message_record(value) if isinstance(value, Message) else _json_value(value)
        for key, value in text.params.items()
    }
    return {"id": text.template, "params": params}


def _json_value(value: Any) -> Any:
    return value if value is None or isinstance(value, str | int | float | bool) else str(value)


def from_record(english: str | None, record: Any) -> str | None:
    """The stored text again, as the `Message` `record` describes when it says the same in English (else
    the English as stored: a record from an older release, or a text that was cut)."""
    if english is None or not isinstance(record, dict):
        return english
    message = _message(record)
    return message if message is not None and str(message) == english else english


def _message(record: Mapping[str, Any]) -> Message | None:
    template, params = record.get("id"), record.get("params")
    if not isinstance(template, str) or not isinstance(params, dict):
        return None
    values: dict[str, Any] = {}
    for key, value in params.items():
        values[key] = _message(value) if isinstance(value, dict) else value
        if values[key] is None and value is not None:
            return None
    try:
        return Message(template, values)
    except (KeyError, IndexError, ValueError):
        return None


def described(exc: ObertError) -> str:
    """What went wrong, one line: the error's message, then each field's ("bad input; title.ca: …"), as
    a `Message` when its parts can be translated."""
    text: str = exc.message
    for error in exc.errors:
        text = msg("{reason}; {field}: {problem}", reason=text, field=error.field, problem=error.message)
    return text


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one input field: `field` is a path such as ``title.ca`` or ``line 12, column 3``."""

    field: str
    message: str


class ObertError(Exception):
    status: int = 500

    def __init__(self, message: str, *, errors: list[FieldError] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors: list[FieldError] = list(errors or [])


class BadRequest(ObertError):
    status = 400


class Invalid(ObertError):
    status = 422


class Unauthorized(ObertError):
    status = 401


class Forbidden(ObertError):
    status = 403


class NotFound(ObertError):
    status = 404


class Conflict(ObertError):
    status = 409


class TooLarge(ObertError):
    status = 413


class RateLimited(ObertError):
    status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unavailable(ObertError):
    status = 503
