"""Logging for operators: readable text by default, or one JSON object a line (OBERT_LOG_FORMAT=json).

The standard `logging` module and a formatter of our own: events carry their fields in
`extra={"obert": {...}}`, which both formats print (text as `key=value` after the message). structlog or
python-json-logger would add a dependency for the twenty lines the JSON formatter takes here.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from obert.requestctx import current_request_id
from obert.settings import Settings

FIELDS = "obert"  # the attribute of a LogRecord that holds an event's fields
_HANDLER_NAME = "obert"
# Fields the messages of request and job events already say, left out of the text format's tail.
_IN_MESSAGE = frozenset({"event", "method", "route", "status", "duration_ms", "kind", "job_id", "state"})


def event(**fields: Any) -> dict[str, Any]:
    """The `extra` of a log call that carries structured fields: `log.info("…", extra=event(kind=…))`."""
    return {FIELDS: {k: v for k, v in fields.items() if v is not None}}


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    fields: dict[str, Any] = dict(getattr(record, FIELDS, None) or {})
    request_id = current_request_id()
    if request_id and "request_id" not in fields:
        fields["request_id"] = request_id
    return fields


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, the event's fields, and a traceback if any."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **_fields(record),
        }
        if record.exc_info:
            out["traceback"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """`2026-12-06 14:30:01 INFO  obert.request  GET /api/v1/datasets 200 3.1 ms  request_id=…`."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s  %(message)s", "%Y-%m-%d %H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = _fields(record)
        extra = " ".join(f"{k}={v}" for k, v in fields.items() if k not in _IN_MESSAGE)
        return f"{line}  {extra}" if extra else line


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to `sys.stderr` as it is when a record comes, not as it was when logging was set up: a
    process that swaps its stderr (a test run's capture, a daemon's redirect) never gets a closed file."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass


def configure(settings: Settings, *, stream: TextIO | None = None) -> logging.Handler:
    """Send every log record (obert's and uvicorn's) to one handler in the format the settings ask for.
    Uvicorn's access lines are switched off: obert logs each request itself, with its id."""
    handler: logging.Handler = logging.StreamHandler(stream) if stream is not None else _Stderr()
    handler.name = _HANDLER_NAME
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else TextFormatter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.name == _HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    logging.getLogger("uvicorn.access").disabled = True
    # Alembic tells of its context at every start; `obert migrate` reports what it changed itself.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))
    return handler
