"""A SearchQuery from the parameters of an address (`?q=aire&theme=ENVI&theme=TRAN&sort=modified`).

Shared by the search page and its JSON twin so that both read the same address the same way. Takes
plain (name, value) pairs: no web framework needed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from obert.errors import FieldError, Invalid, msg
from obert.search.model import FACETS, SearchQuery

GENERAL = ("q", "facets", "sort", "limit", "offset", "page", "lang")


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
            errors.append(
                FieldError(
                    name, msg("unknown parameter; filter on one of {facets}", facets=", ".join(FACETS))
                )
            )
    numbers = _numbers(general, limit, errors)
    if errors:
        raise Invalid(msg("bad search parameters"), errors=errors)
    return SearchQuery(
        q=general.get("q", ""),
        filters={k: tuple(dict.fromkeys(v)) for k, v in filters.items()},
        facets=tuple(dict.fromkeys(default_facets if facets is None else facets)),
        sort=general.get("sort") or None,
        limit=numbers["limit"],
        offset=numbers["offset"],
        lang=general.get("lang") or lang,
    )


def requested_offset(pairs: Iterable[tuple[str, str]], *, limit: int) -> int:
    """The offset an address asks for (`offset`, or `page` counted from 1), unchecked against the deepest
    page, so that a page past the end can be shown as an empty page rather than refused."""
    general = {name: value for name, value in pairs if name in ("offset", "page")}
    errors: list[FieldError] = []
    numbers = _numbers({**general, "limit": str(limit)}, limit, errors)
    if errors:
        raise Invalid(msg("bad search parameters"), errors=errors)
    return numbers["offset"]


def _numbers(general: dict[str, str], limit: int, errors: list[FieldError]) -> dict[str, int]:
    numbers = {"limit": limit, "offset": 0, "page": 1}
    for name in numbers:
        if name in general:
            try:
                numbers[name] = int(general[name])
            except ValueError:
                errors.append(FieldError(name, msg("must be a whole number")))
    if numbers["page"] < 1:
        errors.append(FieldError("page", msg("must be a whole number of at least 1")))
    if "page" in general and "offset" not in general:
        # Pages count from 1, as people (and CKAN's and Datasette's page links) count them.
        numbers["offset"] = (numbers["page"] - 1) * numbers["limit"]
    return numbers
