"""Warm query children: a child forked over the graph answers queries one after another, so the cost of
forking (pages copied on first touch, seconds at 100k datasets) is not paid per query. When the catalogue
changes, the child is not forked again: the next query to it carries the named graphs that changed since
its generation (`CatalogueGraph.changes_since`), which it replaces in its own copy before answering. Only
a graph swapped in whole (a rebuild), or a child too many generations behind, makes a fresh fork.

Each child answers one query at a time over a pair of pipes (8-byte length, then a JSON request; the
same framing back with `run`'s header line and body). A child that runs past the budget is killed, and
the next query forks a fresh one; a child whose generation is past is closed when next picked. The child
keeps `run`'s confinement, an address-space limit and no descriptors but its two pipes; its CPU time
adds up over its queries, so the budget is the parent's wall clock alone.
"""

from __future__ import annotations

import json
import os
import resource
import select
import struct
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, suppress
from typing import NoReturn

import pyoxigraph as ox

from obert.errors import FieldError, Invalid
from obert.sparql.graph import Changes
from obert.sparql.lexing import QueryForm
from obert.sparql.results import GRAPH_FORMATS, SOLUTION_FORMATS, ResultFormat
from obert.sparql.run import Answer, Budget, address_space, evaluate, kill, max_fds, too_big, too_slow

_FRAME = struct.Struct("!Q")
_FORMATS = {f.token: f for f in (*SOLUTION_FORMATS, *GRAPH_FORMATS)}


class _ChildGone(Exception):
    """The child closed its pipe or died."""


class QueryChild:
    def __init__(self, graph: ox.Store, generation: int, budget: Budget) -> None:
        requests_r, requests_w = os.pipe()
        answers_r, answers_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            _serve(graph, requests_r, answers_w, budget)
        os.close(requests_r)
        os.close(answers_w)
        self.pid, self.generation = pid, generation
        self._requests, self._answers = requests_w, answers_r

    def ask(
        self, text: str, form: QueryForm, fmt: ResultFormat, budget: Budget, changes: Changes | None = None
    ) -> tuple[dict[str, object], bytes]:
        request: dict[str, object] = {"query": text, "form": form.value, "format": fmt.token}
        if changes is not None:
            request |= {"clear": changes.graphs, "quads": changes.quads.decode("utf-8")}
        payload = json.dumps(request).encode()
        deadline = time.monotonic() + budget.seconds
        try:
            _write_all(self._requests, _FRAME.pack(len(payload)) + payload)
        except OSError as exc:
            raise _ChildGone from exc
        (size,) = _FRAME.unpack(_read_exactly(self._answers, _FRAME.size, deadline, budget))
        if size > budget.max_bytes + 4096:
            raise too_big(budget)
        data = _read_exactly(self._answers, size, deadline, budget)
        header, _, body = data.partition(b"\n")
        if changes is not None:
            self.generation = changes.generation
        return json.loads(header), body

    def close(self) -> None:
        for fd in (self._requests, self._answers):
            with suppress(OSError):
                os.close(fd)
        kill(self.pid)


class ChildPool:
    """The warm children of one serving process (at most as many as queries run at once)."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self._idle: list[QueryChild] = []
        self._lock = threading.Lock()

    def run(
        self,
        hold: Callable[[], AbstractContextManager[ox.Store]],
        generation: int,
        text: str,
        *,
        form: QueryForm,
        fmt: ResultFormat,
        changes_since: Callable[[int], Changes | None] = lambda generation: None,
    ) -> Answer:
        child, changes = self._take(hold, generation, changes_since)
        try:
            outcome, body = child.ask(text, form, fmt, self.budget, changes)
        except _ChildGone:
            child.close()
            if changes is None:
                raise
            # It could not take the changes: a fresh fork over the graph in use answers.
            child, changes = self._fork(hold, generation), None
            try:
                outcome, body = child.ask(text, form, fmt, self.budget)
            except BaseException:
                child.close()
                raise
        except BaseException:
            child.close()  # past its budget, or gone: never used again
            raise
        with self._lock:
            self._idle.append(child)
        if outcome.get("ok"):
            return Answer(body, bool(outcome.get("truncated")))
        raise Invalid(str(outcome.get("error") or "the query failed"), errors=[FieldError("query", "")])

    def _take(
        self,
        hold: Callable[[], AbstractContextManager[ox.Store]],
        generation: int,
        changes_since: Callable[[int], Changes | None],
    ) -> tuple[QueryChild, Changes | None]:
        with self._lock:
            idle, self._idle = self._idle, []
        # The child closest to the graph in use, brought up to date; the others go back or are closed.
        idle.sort(key=lambda c: c.generation)
        found: QueryChild | None = None
        changes: Changes | None = None
        while idle and found is None:
            child = idle.pop()
            if child.generation < generation:
                changes = changes_since(child.generation)
                if changes is None:  # too far behind, or the graph was swapped: forked again
                    child.close()
                    continue
            elif child.generation > generation:  # made over a newer graph than this query's
                child.close()
                continue
            found = child
        with self._lock:
            self._idle.extend(idle)
        if found is not None:
            return found, changes
        return self._fork(hold, generation), None

    def _fork(self, hold: Callable[[], AbstractContextManager[ox.Store]], generation: int) -> QueryChild:
        with hold() as graph:
            return QueryChild(graph, generation, self.budget)


def _read_exactly(fd: int, size: int, deadline: float, budget: Budget) -> bytes:
    chunks: list[bytes] = []
    left = size
    while left:
        wait = deadline - time.monotonic()
        if wait <= 0 or not select.select([fd], [], [], wait)[0]:
            raise too_slow(budget)
        chunk = os.read(fd, min(left, 1 << 16))
        if not chunk:
            raise _ChildGone
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _serve(graph: ox.Store, requests: int, answers: int, budget: Budget) -> NoReturn:
    try:
        os.dup2(requests, 3)
        os.dup2(answers, 4)
        os.closerange(5, max_fds())
        os.closerange(0, 3)
        with_memory = address_space() + budget.memory
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard == resource.RLIM_INFINITY or with_memory < hard:
            resource.setrlimit(resource.RLIMIT_AS, (with_memory, with_memory))
        resource.setrlimit(resource.RLIMIT_NOFILE, (5, 5))
        while True:
            head = os.read(3, _FRAME.size)
            if len(head) < _FRAME.size:
                break
            (size,) = _FRAME.unpack(head)
            request = json.loads(_read_blocking(3, size))
            form, fmt = QueryForm(request["form"]), _FORMATS[request["format"]]
            # The catalogue's changes since this copy was made (a failure here ends the child).
            for name in request.get("clear", ()):
                graph.clear_graph(ox.NamedNode(name))
            if request.get("quads"):
                graph.extend(ox.parse(request["quads"].encode("utf-8"), ox.RdfFormat.N_QUADS))
            try:
                header, body = evaluate(graph, request["query"], form, fmt, budget)
            except SyntaxError as exc:
                header, body = {"ok": False, "error": f"malformed query: {exc}"}, b""
            except (OSError, ValueError, TypeError, RuntimeError) as exc:
                header, body = {"ok": False, "error": f"the query failed: {exc}"}, b""
            if len(body) > budget.max_bytes:
                header, body = {"ok": False, "error": too_big(budget).message}, b""
            data = json.dumps(header).encode() + b"\n" + body
            _write_all(4, _FRAME.pack(len(data)) + data)
    except BaseException:
        os._exit(70)
    os._exit(0)


def _read_blocking(fd: int, size: int) -> bytes:
    chunks: list[bytes] = []
    while size:
        chunk = os.read(fd, min(size, 1 << 16))
        if not chunk:
            os._exit(0)
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)
