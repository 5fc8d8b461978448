"""DCAT-AP documents (Turtle, RDF/XML, JSON-LD), including Hydra-paged catalogues.

Each page is fetched through the guarded client and read by `obert.harvest.dcatpage` in a sandbox child
(a time budget, a memory limit, nothing opened by the parser): a parser bomb fails its page with a clear
message and never holds the job thread. A JSON-LD page's remote contexts are fetched here, through the
same guard, allowlist, size cap and timeout as the page itself, and handed to the parser; the parser
fetches nothing, and a `file:` context is never read.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from obert.errors import FieldError, Forbidden, Invalid, ObertError, TooLarge, Unavailable, msg
from obert.harvest.backends.base import FetchContext
from obert.harvest.dcatpage import read_page
from obert.harvest.models import Failure, Record, Source
from obert.untrusted.rdf import FORMATS
from obert.untrusted.sandbox import run_bounded

MAX_PAGES = 10_000
MAX_DOCUMENT_BYTES = 100 * 1024**2
# rdflib reads about 2 MB of RDF/XML or Turtle per CPU second: a page gets its base budget plus this per
# whole MB, so a large real catalogue still fits while a small bomb is stopped after the base budget.
SECONDS_PER_MB = 2.0
MAX_CONTEXT_BYTES = 1024**2
MAX_CONTEXTS = 20  # remote JSON-LD contexts one run may fetch (real catalogues name one or two)
_CONTEXT_ACCEPT = "application/ld+json, application/json;q=0.9"


def harvest_dcat(source: Source, ctx: FetchContext) -> Iterator[Record | Failure]:
    lang = str(source.config.get("language", "es"))
    url: str | None = source.url
    visited: set[str] = set()
    contexts: dict[str, bytes] = {}  # kept for the run: every page of a catalogue names the same ones
    while url and url not in visited and len(visited) < MAX_PAGES:
        visited.add(url)
        response = ctx.fetcher.get(url, headers={"Accept": ", ".join(FORMATS)}, max_bytes=MAX_DOCUMENT_BYTES)
        page = _read(ctx, response.content, response.headers.get("content-type", ""), url, lang, contexts)
        for item in page["items"]:
            if "record" in item:
                yield Record(**item["record"])
            else:
                failed = item["failure"]
                reason = msg("cannot read the dataset: {error}", error=failed["error"])
                yield Failure(failed["remote_id"], reason)
        url = page["next"]


def _read(
    ctx: FetchContext, content: bytes, content_type: str, url: str, lang: str, contexts: dict[str, bytes]
) -> dict[str, Any]:
    limits = replace(ctx.limits, seconds=ctx.limits.seconds + SECONDS_PER_MB * (len(content) // 1024**2))
    while True:
        page: dict[str, Any] = run_bounded(
            read_page, content, content_type, url, lang, contexts, limits=limits, what=url
        )
        if "need" not in page:
            return page
        needed = [ref for ref in page["need"] if ref not in contexts]
        if not needed:  # cannot happen unless the reader and this loop disagree; never spin on it
            raise Invalid(f"{url} could not be read: its JSON-LD contexts could not be resolved")
        for ref in needed:
            if len(contexts) >= MAX_CONTEXTS:
                raise Invalid(
                    f"{url} names more than {MAX_CONTEXTS} remote JSON-LD contexts",
                    errors=[FieldError("@context", ref)],
                )
            contexts[ref] = _context(ctx, ref, url)


def _context(ctx: FetchContext, ref: str, url: str) -> bytes:
    try:
        response = ctx.fetcher.get(ref, headers={"Accept": _CONTEXT_ACCEPT}, max_bytes=MAX_CONTEXT_BYTES)
    except ObertError as exc:
        kind = type(exc) if isinstance(exc, Forbidden | Invalid | TooLarge | Unavailable) else Invalid
        message = f"the JSON-LD context {ref} named by {url} cannot be fetched: {exc.message}"
        raise kind(message, errors=exc.errors) from None
    return response.content
