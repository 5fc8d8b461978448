"""What kind of SPARQL request a text is, read before any engine sees it.

Two things are refused on the text itself: updates (the graph is a derived copy of the catalogue, written
only by obert) and `SERVICE`, SPARQL's federation keyword, with which the engine would itself send HTTP
requests to any address named in the query, internal ones included. The engine offers no switch to turn
federation off, so the keyword is found here: outside comments, string literals and IRIs, and not as part of
a prefixed name (`dcat:service` is a DCAT property) or a variable (`?service`).
"""

from __future__ import annotations

import re
from enum import StrEnum

from obert.errors import FieldError, Invalid

# Comments, strings (long and short, either quote) and IRIs: masked before keywords are looked for.
_OPAQUE = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n]|\\.)*"'
    r"|'(?:[^'\\\n]|\\.)*'"
    r"|<[^<>\"{}|^`\\\s]*>"
    r"|#[^\n]*",
)
# A keyword stands alone: not after a prefix colon, a variable sign or a name character, nor before a colon.
_WORD = r"(?<![\w:?$.-]){}(?![\w:-])"
_SERVICE = re.compile(_WORD.format("SERVICE"), re.IGNORECASE)
_PROLOGUE = re.compile(r"\s*(?:(?:PREFIX\s+[\w.-]*:|BASE)\s*<>\s*)*", re.IGNORECASE)
_FORM = re.compile(r"[A-Za-z]+")
_UPDATES = frozenset({"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"})


class QueryForm(StrEnum):
    SELECT = "SELECT"
    ASK = "ASK"
    CONSTRUCT = "CONSTRUCT"
    DESCRIBE = "DESCRIBE"

    @property
    def gives_graph(self) -> bool:
        return self in (QueryForm.CONSTRUCT, QueryForm.DESCRIBE)


class UpdateRefused(Invalid):
    """A SPARQL update: the graph is read-only."""


def mask(text: str) -> str:
    """`text` with comments, literals and IRIs blanked out (IRIs keep their angle brackets)."""

    def blank(match: re.Match[str]) -> str:
        found = match.group(0)
        return "<>" if found.startswith("<") else " "

    return _OPAQUE.sub(blank, text)


def classify(text: str) -> QueryForm:
    """The query form of `text`; `Invalid` for updates, federation and what is no query at all.

    The engine's parser has the last word on syntax: a text that passes here may still be refused by it."""
    if not text.strip():
        raise Invalid("the query is empty", errors=[FieldError("query", "send a SPARQL query")])
    masked = mask(text)
    if _SERVICE.search(masked):
        raise Invalid(
            "SERVICE (federated queries) is not allowed on this endpoint",
            errors=[FieldError("query", "remove the SERVICE clause")],
        )
    rest = masked[_PROLOGUE.match(masked).end() :]  # type: ignore[union-attr]  # the pattern matches ""
    word = _FORM.match(rest)
    keyword = word.group(0).upper() if word else ""
    if keyword in _UPDATES:
        raise UpdateRefused(
            "SPARQL updates are not accepted: this endpoint is read-only",
            errors=[FieldError("update", "send a query (SELECT, ASK, CONSTRUCT or DESCRIBE)")],
        )
    try:
        return QueryForm(keyword)
    except ValueError:
        raise Invalid(
            "not a SPARQL query: expected SELECT, ASK, CONSTRUCT or DESCRIBE after the prefixes",
            errors=[FieldError("query", "start with SELECT, ASK, CONSTRUCT or DESCRIBE")],
        ) from None
