"""RDF documents from elsewhere (Turtle, RDF/XML, JSON-LD) parsed without the parser opening anything.

rdflib, left to itself, fetches every JSON-LD context a document names (`"@context": "http://…"`, an
`@import`, a scoped context inside a term definition) with urllib, and reads `file:` ones from disk, behind
the SSRF guard's back. Importing this module replaces that loader with one that only hands out the
contexts the caller gave: a document that needs others raises `MissingContexts` listing them, so the
caller can fetch them through `obert.http` (guard, allowlist, size cap, timeout) and try again.

RDF/XML goes through defusedxml's expat reader: a document that declares entities (a "billion laughs")
or refers to external ones is refused, and character data reaches rdflib in large pieces rather than one
call per character reference, which rdflib would concatenate in quadratic time.

Parse untrusted documents in `obert.untrusted.sandbox`, which bounds what the parser may spend.
"""

from __future__ import annotations

import contextvars
import json
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit
from xml.sax import handler
from xml.sax.handler import ErrorHandler

import rdflib.plugins.shared.jsonld.context as jsonld_context
from defusedxml import DefusedXmlException
from defusedxml.expatreader import DefusedExpatParser
from rdflib import Graph, plugin
from rdflib.parser import InputSource, Parser
from rdflib.plugins.parsers.rdfxml import RDFXMLHandler

from obert.errors import FieldError, Invalid

FORMATS = {
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "application/rdf+xml": "xml",
    "application/xml": "xml",
    "text/xml": "xml",
    "application/ld+json": "json-ld",
    "application/json": "json-ld",
}
SUFFIXES = {".ttl": "turtle", ".rdf": "xml", ".xml": "xml", ".jsonld": "json-ld", ".json": "json-ld"}
_PARSERS = {"turtle": "turtle", "xml": "obert-rdfxml", "json-ld": "json-ld"}
_CONTEXT_KEYS = ("@context", "@import")
_TEXT_BUFFER = 1 << 20  # characters expat gathers before handing them to rdflib in one call

_given: contextvars.ContextVar[_Loader | None] = contextvars.ContextVar("jsonld_contexts", default=None)


class MissingContexts(Exception):
    """The JSON-LD document names remote contexts that were not given; fetch them and parse again."""

    def __init__(self, urls: Iterable[str]) -> None:
        self.urls = sorted(set(urls))
        super().__init__(", ".join(self.urls))


def read_graph(
    content: bytes, *, content_type: str, url: str, contexts: Mapping[str, bytes], kind: str = "an RDF"
) -> Graph:
    """A graph from a document in any RDF syntax obert reads, `contexts` (URL → JSON-LD context document)
    being the only remote contexts a JSON-LD document may use.

    Raises `MissingContexts` when a JSON-LD document names others, `Invalid` ("`url` is not `kind`
    document") when the document is none of the syntaxes or declares XML entities.
    """
    declared = FORMATS.get(content_type.split(";", 1)[0].strip().lower())
    path = urlsplit(url).path
    suffix = "." + path.rsplit(".", 1)[-1].lower() if "." in path else ""
    candidates = [declared] if declared else []
    candidates += [k for k in (SUFFIXES.get(suffix), "turtle", "xml", "json-ld") if k and k not in candidates]
    problems = []
    for syntax in candidates:
        graph = Graph()
        try:
            if syntax == "json-ld":
                _parse_json_ld(graph, content, url, contexts)
            else:
                graph.parse(data=content, format=_PARSERS[syntax], publicID=url)
        except (MissingContexts, Invalid):
            raise
        except DefusedXmlException as exc:
            raise _not_rdf(url, kind, [f"xml: {_defused(exc)}"]) from None
        except Exception as exc:  # rdflib raises a different type per parser; this is its boundary
            problems.append(f"{syntax}: {str(exc)[:200]}")
            continue
        if len(graph):
            return graph
    raise _not_rdf(url, kind, problems or ["empty"])


def _not_rdf(url: str, kind: str, problems: list[str]) -> Invalid:
    return Invalid(
        f"{url} is not {kind} document",
        errors=[FieldError("url", "no RDF could be read (" + "; ".join(problems) + ")")],
    )


def _defused(exc: DefusedXmlException) -> str:
    name = getattr(exc, "name", None)
    what = f"<!ENTITY {name}>" if name else type(exc).__name__
    return f"the document declares XML entities ({what}), which obert does not expand"


def context_urls(document: Any, base: str) -> set[str]:
    """Every remote context `document` (parsed JSON-LD, or a context document) names, resolved against
    `base`: in `@context` and `@import`, at any depth (scoped contexts in term definitions included)."""
    found: set[str] = set()
    stack = [document]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                if key in _CONTEXT_KEYS:
                    refs = item if isinstance(item, list) else [item]
                    found.update(urljoin(base, ref) for ref in refs if isinstance(ref, str))
                stack.append(item)
        elif isinstance(value, list):
            stack.extend(value)
    return found


def _parse_json_ld(graph: Graph, content: bytes, url: str, contexts: Mapping[str, bytes]) -> None:
    document = json.loads(content)  # not JSON: the caller tries the next syntax
    loader = _Loader(contexts, url)
    needed = context_urls(document, url)
    pending, seen = list(needed), set()
    while pending:  # contexts name contexts too: ask for all of them at once
        ref = pending.pop()
        if ref in seen or ref not in contexts:
            continue
        seen.add(ref)
        more = context_urls(loader.load(ref), ref) - needed
        needed |= more
        pending.extend(more)
    if missing := needed - set(contexts):
        raise MissingContexts(missing)
    token = _given.set(loader)
    try:
        graph.parse(data=content, format="json-ld", publicID=url)
    finally:
        _given.reset(token)


class _Loader:
    """The contexts a document may use, each parsed once, on first use."""

    def __init__(self, contexts: Mapping[str, bytes], url: str) -> None:
        self.contexts = contexts
        self.url = url
        self._parsed: dict[str, Any] = {}

    def load(self, ref: str) -> Any:
        if ref not in self._parsed:
            if ref not in self.contexts:
                raise MissingContexts([ref])
            try:
                self._parsed[ref] = json.loads(self.contexts[ref])
            except (ValueError, RecursionError):
                raise Invalid(
                    f"the JSON-LD context {ref} named by {self.url} is not JSON",
                    errors=[FieldError("@context", ref)],
                ) from None
        return self._parsed[ref]


def _given_context(source: Any, *args: Any, **kwargs: Any) -> tuple[Any, None]:
    # Takes the place of rdflib's loader of remote JSON-LD contexts, which fetches them by itself.
    loader = _given.get()
    if loader is None:
        raise MissingContexts([str(source)])
    return loader.load(str(source)), None


setattr(jsonld_context, "source_to_json", _given_context)  # noqa: B010 (rdflib does not export it)


class _DefusedReader(DefusedExpatParser):  # type: ignore[misc]
    """defusedxml's expat reader (no entity declarations, no external entities), with character data
    buffered so that rdflib gets it in large pieces."""

    def reset(self) -> None:
        super().reset()
        self._parser.buffer_text = True
        self._parser.buffer_size = _TEXT_BUFFER


class DefusedRdfXmlParser(Parser):
    """rdflib's RDF/XML handler fed by `_DefusedReader`; registered as the rdflib format `obert-rdfxml`."""

    def parse(self, source: InputSource, sink: Graph, **args: Any) -> None:
        reader = _DefusedReader()
        # As rdflib does: expat's reader otherwise guesses a prefix for the xml namespace and fails.
        reader.start_namespace_decl("xml", "http://www.w3.org/XML/1998/namespace")
        reader.setFeature(handler.feature_namespaces, 1)
        content = RDFXMLHandler(sink)
        content.setDocumentLocator(source)  # type: ignore[arg-type]  # rdflib reads the base URI from it
        reader.setContentHandler(content)
        reader.setErrorHandler(ErrorHandler())
        reader.parse(source)


plugin.register("obert-rdfxml", Parser, __name__, "DefusedRdfXmlParser")
