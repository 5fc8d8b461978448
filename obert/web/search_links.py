"""Addresses the search page links to: the same search minus one filter, the next and previous pages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from obert.catalog.discovery import SearchResult


@dataclass(frozen=True, slots=True)
class Removal:
    facet: str
    label: str
    query: str  # the address's query string without this filter


@dataclass(frozen=True, slots=True)
class FewerWords:
    words: str  # what is left of the words
    query: str  # the address's query string with these words instead


@dataclass(frozen=True, slots=True)
class SearchLinks:
    removals: list[Removal]
    next: str | None
    previous: str | None
    respelt: str | None = None  # the same search with the words spelt as the results were found
    fewer_words: list[FewerWords] = field(default_factory=list)  # when nothing matched: one word less


def search_links(params: Sequence[tuple[str, str]], result: SearchResult[Any]) -> SearchLinks:
    """Query strings (after "?") for the links around a page of search results."""
    kept = [(k, v) for k, v in params if k != "offset" and v.strip()]
    labels = {(name, v.value): v.label for name, values in result.facets.items() for v in values}
    removals = [
        Removal(k, labels.get((k, v), v), urlencode([p for p in kept if p != (k, v)]))
        for k, v in kept
        if k not in ("q", "sort", "limit", "facets", "lang")
    ]
    following = result.next_offset
    previous = result.previous_offset
    words = result.corrected
    typed = next((v for k, v in kept if k == "q"), "").split()
    fewer = (
        [FewerWords(" ".join(w for j, w in enumerate(typed) if j != i), "") for i in range(len(typed))]
        if result.count == 0 and len(typed) > 1
        else []
    )
    return SearchLinks(
        removals=removals,
        next=urlencode([*kept, ("offset", str(following))]) if following is not None else None,
        previous=urlencode([*kept, ("offset", str(previous))]) if previous is not None else None,
        respelt=_with_words(kept, words) if words else None,
        fewer_words=[FewerWords(f.words, _with_words(kept, f.words)) for f in fewer],
    )


def _with_words(kept: Sequence[tuple[str, str]], words: str) -> str:
    return urlencode([("q", words), *((k, v) for k, v in kept if k != "q")])
