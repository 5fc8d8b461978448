"""A SearchQuery from the parameters of an address (`?q=aire&theme=ENVI&theme=TRAN&sort=modified`).

Shared by the search page and its JSON twin so that both read the same address the same way. Takes
plain (name, value) pairs: no web framework needed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from obert.errors import FieldError, Invalid
from obert.search.model import FACETS, SearchQuery

GENERAL = ("q", "facets", "sort", "limit", "offset", "lang")


def query_from_params(
    pairs: Iterable[tuple[str, str]],
    *,
    lang: str,
    default_facets: Sequence[str] = FACETS,
    limit: int = 20,
    ignore: Sequence[str] = (),
) -> SearchQuery:
    """Read the search parameters; an unknown parameter is refused by name (a typo must not pass as
    "no filter")."""
    filters: dict[str, list[str]] = {}
    general: dict[str, str] = {}
    facets: list[str] | None = None
    errors = []
    for name, value in pairs:
        if name in ignore:
            continue
        if name == "facets":
            facets = (facets or []) + [f.strip() for f in value.split(",") if f.strip()]
        elif name in GENERAL:
            general[name] = value
        elif name in FACETS:
            if value.strip():
                filters.setdefault(name, []).append(value.strip())
        else:
            errors.append(FieldError(name, f"unknown parameter; filter on one of {', '.join(FACETS)}"))
    numbers = {}
    for name, default in (("limit", limit), ("offset", 0)):
        try:
            numbers[name] = int(general.get(name, default))
        except ValueError:
            errors.append(FieldError(name, "must be a whole number"))
    if errors:
        raise Invalid("bad search parameters", errors=errors)
    return SearchQuery(
        q=general.get("q", ""),
        filters={k: tuple(dict.fromkeys(v)) for k, v in filters.items()},
        facets=tuple(dict.fromkeys(default_facets if facets is None else facets)),
        sort=general.get("sort") or None,
        limit=numbers.get("limit", limit),
        offset=numbers.get("offset", 0),
        lang=general.get("lang") or lang,
    )
