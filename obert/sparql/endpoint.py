"""SPARQL 1.1 Protocol, less the HTTP: which answer format a request asks for, and one query answered
within the endpoint's limits. The HTTP face and the query page both call `answer`."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from obert.dcat.formats import preferences
from obert.errors import FieldError, Invalid, Unavailable, msg
from obert.settings import Settings
from obert.sparql.children import ChildPool
from obert.sparql.graph import CatalogueGraph
from obert.sparql.lexing import QueryForm, classify
from obert.sparql.results import GRAPH_FORMATS, SOLUTION_FORMATS, ResultFormat
from obert.sparql.run import Budget

# `format=` values (as SPARQLWrapper and browsers send them) by the kind of answer.
_SOLUTION_TOKENS = {
    "json": "json",
    "xml": "xml",
    "csv": "csv",
    "tsv": "tsv",
    "application/sparql-results+json": "json",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}
_GRAPH_TOKENS = {
    "turtle": "turtle",
    "ttl": "turtle",
    "n3": "turtle",
    "text/turtle": "turtle",
    "json-ld": "json-ld",
    "jsonld": "json-ld",
    "json": "json-ld",
    "application/ld+json": "json-ld",
    "n-triples": "n-triples",
    "nt": "n-triples",
    "application/n-triples": "n-triples",
    "xml": "rdf+xml",
    "rdf": "rdf+xml",
    "rdf+xml": "rdf+xml",
    "application/rdf+xml": "rdf+xml",
}
_SOLUTION_MEDIA = {f.media_type: f.token for f in SOLUTION_FORMATS} | {
    "application/json": "json",
    "application/xml": "xml",
    "text/xml": "xml",
}
_GRAPH_MEDIA = {f.media_type: f.token for f in GRAPH_FORMATS} | {
    "application/x-turtle": "turtle",
    "application/turtle": "turtle",
    "text/n3": "turtle",
    "application/json": "json-ld",
    "application/xml": "rdf+xml",
    "text/plain": "n-triples",
}


CACHED_ANSWERS = 256  # per process, the most recently used
CACHED_BYTES = 1_000_000  # larger answers are computed each time


@dataclass(frozen=True, slots=True)
class Reply:
    body: bytes
    format: ResultFormat
    truncated: bool
    form: QueryForm


class Endpoint:
    """One serving process's SPARQL endpoint: its graph, its limits and its slots for running queries."""

    def __init__(self, *, graph: CatalogueGraph, settings: Settings) -> None:
        self.graph = graph
        self.budget = Budget(
            seconds=settings.sparql_timeout_seconds,
            max_results=settings.sparql_max_results,
            max_bytes=settings.sparql_max_bytes,
            memory=settings.sparql_memory_bytes,
        )
        self._slots = threading.BoundedSemaphore(settings.sparql_concurrency)
        self._children = ChildPool(self.budget)
        self._answers: OrderedDict[tuple[int, str, str], Reply] = OrderedDict()
        self._answers_lock = threading.Lock()

    def answer(self, *, query: str, format_param: str | None = None, accept: str | None = None) -> Reply:
        """The answer to `query` in the format asked for (`format=` first, then Accept)."""
        form = classify(query)
        fmt = choose_format(form, format_param, accept)
        # The graph is derived data: an answer holds for as long as the graph's generation does.
        key = (self.graph.current_generation(), fmt.token, query)
        with self._answers_lock:
            if (cached := self._answers.get(key)) is not None:
                self._answers.move_to_end(key)
                return cached
        if not self._slots.acquire(timeout=1.0):
            raise Unavailable(msg("the SPARQL endpoint is busy with other queries; try again in a moment"))
        try:
            found = self._children.run(
                self.graph.current, key[0], query, form=form, fmt=fmt, changes_since=self.graph.changes_since
            )
        finally:
            self._slots.release()
        reply = Reply(found.body, fmt, found.truncated, form)
        if len(reply.body) <= CACHED_BYTES:
            with self._answers_lock:
                self._answers[key] = reply
                while len(self._answers) > CACHED_ANSWERS:
                    self._answers.popitem(last=False)
        return reply


def choose_format(form: QueryForm, format_param: str | None, accept: str | None) -> ResultFormat:
    formats = GRAPH_FORMATS if form.gives_graph else SOLUTION_FORMATS
    by_token = {f.token: f for f in formats}
    tokens = _GRAPH_TOKENS if form.gives_graph else _SOLUTION_TOKENS
    media = _GRAPH_MEDIA if form.gives_graph else _SOLUTION_MEDIA
    if format_param:
        # A token (json, turtle…), or media types, as some clients send the Accept list here too.
        parts = [part.split(";")[0].strip().lower() for part in format_param.split(",")]
        for part in parts:
            if part in tokens:
                return by_token[tokens[part]]
            if part in media:
                return by_token[media[part]]
        if not any("/" in part for part in parts):
            kinds = ", ".join(sorted({t for t in tokens if "/" not in t}))
            raise Invalid(
                f"unknown format '{format_param}' for a {form.value} query",
                errors=[FieldError("format", f"use one of {kinds}")],
            )
    for media_type in preferences(accept or ""):
        if media_type in media:
            return by_token[media[media_type]]
    return formats[0]
