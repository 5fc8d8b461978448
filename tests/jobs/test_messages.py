"""A failed job's error as people see it: one line, without the server's paths."""

from __future__ import annotations

import pytest

from obert.jobs.messages import MAX_CHARS, describe_exception, one_line


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ('OSError: disk\nTraceback (most recent call last):\n  File "/srv/x.py"', "OSError: disk"),
        ("cannot open '/srv/obert/data/tables/r/v.parquet'", "cannot open '…/v.parquet'"),
        ("file /tmp/upload/x.csv at line 3", "file …/x.csv at line 3"),
        ("could not fetch https://example.org/a/b.csv", "could not fetch https://example.org/a/b.csv"),
        ("line 2, column 10: expected ','", "line 2, column 10: expected ','"),
        ("", ""),
    ],
)
def test_one_line_keeps_the_message_and_drops_tracebacks_and_paths(text: str, shown: str) -> None:
    assert one_line(text) == shown


def test_a_long_message_is_cut() -> None:
    assert len(one_line("x" * 5000)) == MAX_CHARS


def test_an_exception_is_named_by_its_type() -> None:
    missing = FileNotFoundError(2, "No such file or directory", "/srv/obert/data/files/r/file.csv")
    shown = describe_exception(missing)
    assert shown == "FileNotFoundError: [Errno 2] No such file or directory: '…/file.csv'"
    assert describe_exception(RuntimeError()) == "RuntimeError"
