"""Running SPARQL queries with a time budget, a memory limit and result caps.

The endpoint keeps warm children (`children`), one forked per graph generation; `run_query` here forks
a child for a single query (the benchmark's comparison, and the pieces both share).

The engine has no way to stop a query once it runs, and one query can ask for far more work than any
answer is worth (a cross product of the whole graph with itself). So the query runs in a child process
forked from this one, which holds the graph already: the child shares its pages with the parent until
either writes, so forking costs milliseconds, not a copy of the graph. The child gets a CPU-time limit, an
address-space limit, and no file descriptors beyond its answer pipe, so it can open neither a file nor a
socket (a second guard, after `lexing`, against federation reaching other hosts); the parent waits at most
the budget on the wall clock and kills it then. The fork happens while the graph's lock is held, so no
writer is halfway through a change in the copy the child gets.

The child sends back one JSON header line (ok, truncated, or the error) and then the serialised answer.
"""

from __future__ import annotations

import json
import math
import os
import resource
import select
import signal
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, suppress
from dataclasses import dataclass
from typing import NoReturn

import pyoxigraph as ox

from obert.errors import FieldError, Invalid, TooLarge, msg
from obert.sparql import results
from obert.sparql.lexing import QueryForm
from obert.sparql.results import ResultFormat

_CHUNK = 1 << 16


@dataclass(frozen=True, slots=True)
class Budget:
    seconds: float
    max_results: int  # solutions or triples
    max_bytes: int  # of the serialised answer
    memory: int  # bytes the child may allocate beyond what it starts with


@dataclass(frozen=True, slots=True)
class Answer:
    body: bytes
    truncated: bool  # more solutions or triples than `Budget.max_results`: the first ones are sent


class BudgetExceeded(Invalid):
    """The query ran past its time budget (or its memory) and was stopped."""


def run_query(
    hold: Callable[[], AbstractContextManager[ox.Store]],
    text: str,
    *,
    form: QueryForm,
    fmt: ResultFormat,
    budget: Budget,
) -> Answer:
    """Evaluate `text` over the graph that `hold()` holds still while the child is forked."""
    read_end, write_end = os.pipe()
    try:
        with hold() as graph:
            pid = os.fork()
            if pid == 0:  # the child: never returns
                _child(graph, text, form, fmt, budget, write_end)
    finally:
        os.close(write_end)
    try:
        data = _read_until(read_end, pid, budget)
    finally:
        os.close(read_end)
    header, _, body = data.partition(b"\n")
    outcome = json.loads(header or b"{}")
    if outcome.get("ok"):
        return Answer(body, bool(outcome.get("truncated")))
    raise Invalid(outcome.get("error") or "the query failed", errors=[FieldError("query", "")])


def _read_until(fd: int, pid: int, budget: Budget) -> bytes:
    deadline = time.monotonic() + budget.seconds
    chunks: list[bytes] = []
    size = 0
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise too_slow(budget)
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                raise too_slow(budget)
            chunk = os.read(fd, _CHUNK)
            if not chunk:
                break
            size += len(chunk)
            if size > budget.max_bytes + _CHUNK:
                raise too_big(budget)
            chunks.append(chunk)
    except BaseException:
        kill(pid)
        raise
    _, status = os.waitpid(pid, 0)
    data = b"".join(chunks)
    if os.WIFSIGNALED(status) and not data:
        if os.WTERMSIG(status) == signal.SIGXCPU:
            raise too_slow(budget)
        raise BudgetExceeded(
            msg(
                "the query needed more memory than this endpoint allows; narrow it (a LIMIT, fewer patterns)"
            ),
            errors=[FieldError("query", msg("too much memory"))],
        )
    return data


def kill(pid: int) -> None:
    with suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


def too_slow(budget: Budget) -> BudgetExceeded:
    return BudgetExceeded(
        msg(
            "the query ran past this endpoint's time budget of {seconds} s and was stopped; "
            "narrow it (a LIMIT, more specific patterns)",
            seconds=f"{budget.seconds:g}",
        ),
        errors=[FieldError("query", msg("too slow"))],
    )


def too_big(budget: Budget) -> TooLarge:
    return TooLarge(
        msg("the answer is larger than {size} bytes; ask for fewer results (LIMIT)", size=budget.max_bytes)
    )


def _child(
    graph: ox.Store, text: str, form: QueryForm, fmt: ResultFormat, budget: Budget, out: int
) -> NoReturn:
    code = 0
    try:
        out = _confine(out, budget)
        try:
            header, body = evaluate(graph, text, form, fmt, budget)
        except SyntaxError as exc:
            header, body = {"ok": False, "error": f"malformed query: {exc}"}, b""
        except (OSError, ValueError, TypeError, RuntimeError) as exc:
            header, body = {"ok": False, "error": f"the query failed: {exc}"}, b""
        if len(body) > budget.max_bytes:
            header, body = {"ok": False, "error": too_big(budget).message}, b""
        _write_all(out, json.dumps(header).encode() + b"\n" + body)
    except BaseException:
        code = 70
    os._exit(code)


def _confine(out: int, budget: Budget) -> int:
    """Limit the child (see the module's docstring); returns the answer pipe's new descriptor."""
    os.dup2(out, 3)
    os.closerange(4, max_fds())
    os.closerange(0, 3)
    seconds = max(1, math.ceil(budget.seconds))
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 1))
    with_memory = address_space() + budget.memory
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard == resource.RLIM_INFINITY or with_memory < hard:
        resource.setrlimit(resource.RLIMIT_AS, (with_memory, with_memory))
    resource.setrlimit(resource.RLIMIT_NOFILE, (4, 4))
    return 3


def max_fds() -> int:
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return soft if soft != resource.RLIM_INFINITY else 65536


def address_space() -> int:
    with open("/proc/self/statm", "rb") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def evaluate(
    graph: ox.Store, text: str, form: QueryForm, fmt: ResultFormat, budget: Budget
) -> tuple[dict[str, object], bytes]:
    found = graph.query(text, use_default_graph_as_union=True)
    if form is QueryForm.ASK:
        return {"ok": True}, results.boolean(bool(found), fmt)
    if form.gives_graph:
        triples: list[ox.Triple] = []
        for triple in found:  # type: ignore[union-attr]
            if len(triples) == budget.max_results:
                return {"ok": True, "truncated": True}, results.graph(triples, fmt)
            triples.append(triple)
        return {"ok": True}, results.graph(triples, fmt)
    assert isinstance(found, ox.QuerySolutions)
    names = [v.value for v in found.variables]
    rows: list[results.Row] = []
    for solution in found:
        if len(rows) == budget.max_results:
            return {"ok": True, "truncated": True}, results.solutions(names, rows, fmt)
        rows.append([solution[name] for name in names])
    return {"ok": True}, results.solutions(names, rows, fmt)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]
