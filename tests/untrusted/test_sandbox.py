"""The sandbox that parsers of untrusted documents run in: a time budget that holds even against a child
that ignores signals, a memory limit, no network, no file writes, clear errors, and a caller that is free
again at once."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from obert.errors import Invalid, TooLarge
from obert.untrusted.sandbox import Limits, run_bounded
from tests.receiver import receiver
from tests.untrusted import children


def test_a_child_computes_and_answers_json() -> None:
    first = run_bounded(children.add, 2, 3, limits=Limits(), what="doc")
    second = run_bounded(children.add, 4, 5, limits=Limits(), what="doc")
    assert first["sum"] == 5 and second["sum"] == 9
    assert first["pid"] != second["pid"]  # a fresh process for every document


@pytest.mark.parametrize("spinner", [children.spin, children.ignore_signals_and_spin])
def test_a_child_that_outlasts_its_budget_is_killed(spinner: object) -> None:
    started = time.monotonic()
    with pytest.raises(Invalid, match=r"catalog\.rdf took more than 1 s to read and was stopped"):
        run_bounded(spinner, limits=Limits(seconds=1), what="catalog.rdf")  # type: ignore[arg-type]
    assert time.monotonic() - started < Limits(seconds=1).wall_seconds + 2
    assert run_bounded(children.add, 1, 1, limits=Limits(), what="doc")["sum"] == 2  # and the next runs


def test_a_child_that_wants_too_much_memory_is_refused() -> None:
    with pytest.raises(TooLarge, match=r"doc could not be read: .*more than 268,435,456 bytes of memory"):
        run_bounded(children.eat_memory, limits=Limits(memory=256 * 1024**2), what="doc")


def test_a_child_opens_no_connection() -> None:
    with receiver() as server:
        port = int(server.url.rsplit(":", 1)[1])
        with pytest.raises(Invalid, match="opens no connections"):
            run_bounded(children.connect, port, limits=Limits(), what="doc")
        assert server.requests == []


def test_a_child_writes_no_file(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    assert run_bounded(children.write, str(target), limits=Limits(), what="doc") <= 0
    assert not target.exists() or target.read_bytes() == b""


def test_an_obert_error_comes_back_as_itself() -> None:
    with pytest.raises(TooLarge, match=r"^the document is too large$") as caught:
        run_bounded(children.refuse, limits=Limits(), what="doc")
    assert [(e.field, e.message) for e in caught.value.errors] == [("document", "12 GB")]


def test_a_crash_is_a_clear_error() -> None:
    with pytest.raises(Invalid, match="doc could not be read: the reader stopped unexpectedly"):
        run_bounded(children.crash, limits=Limits(), what="doc")


def test_an_answer_past_its_cap_is_refused() -> None:
    with pytest.raises(TooLarge, match="more than 1,000 B"):
        run_bounded(children.answer, 5000, limits=Limits(answer_bytes=1000), what="doc")
