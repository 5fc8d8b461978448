"""What a failed job says to people: one line, without the server's paths. Tracebacks go to the log.

A job's error is shown through the API to the account that asked for it and, for ingests, to the people
of the dataset's organisation; an unexpected exception's text and traceback name files under the data
directory and the installed code, which is nobody's business but the operators'.
"""

from __future__ import annotations

import re

MAX_CHARS = 500
# An absolute POSIX path (not a URL's path: no word character, ':' or '/' just before it). Its last
# part stays, since a file name usually tells what went wrong.
_ABSOLUTE_PATH = re.compile(r"(?<![\w:/.~-])/(?:[^\s/'\"():,;]+/)+")


def one_line(text: str) -> str:
    """`text` as people see it: its first line, absolute paths cut to their last part, at most 500
    characters. Applied to errors as they are stored and again as they are read (older rows kept
    tracebacks)."""
    first = text.strip().splitlines()[0] if text.strip() else ""
    shown = _ABSOLUTE_PATH.sub("…/", first)
    return shown if len(shown) <= MAX_CHARS else shown[: MAX_CHARS - 1] + "…"


def describe_exception(exc: BaseException) -> str:
    """An unexpected exception as one line: its type and the first line of its message."""
    message = one_line(str(exc))
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__
