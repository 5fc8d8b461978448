"""/api/v1/search: full-text search with facets, and type-ahead suggestions."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import Query, Request
from pydantic import BaseModel

from obert.api.face import NATIVE
from obert.api.v1 import present
from obert.api.v1.schemas import DatasetOut
from obert.catalog.discovery import search_datasets, suggest_datasets
from obert.deps import ActorDep, PortalDep
from obert.search import FACETS
from obert.search.params import query_from_params

router = NATIVE.router(prefix="/api/v1/search", tags=["search"])

_DESCRIPTION = (
    "Full-text search in Catalan, Spanish and English. Filter with one parameter per facet "
    f"({', '.join(FACETS)}), repeated for alternatives: `theme=TRAN&theme=ENVI&publisher=guardia-urbana` "
    "(AND across facets, OR within one). `facets=theme,publisher` chooses which facets to count (all by "
    "default); `sort` is relevance, modified or name; `lang` picks the labels' language."
)


class FacetValueOut(BaseModel):
    value: str
    label: str
    count: int


class SearchOut(BaseModel):
    data: list[DatasetOut]
    count: int
    facets: dict[str, list[FacetValueOut]]
    offset: int
    relaxed: bool  # true when no dataset had every word and these have some of them
    # Set when some words as typed are in no dataset: the results are those of this respelling of them.
    corrected: str | None = None
    next: str | None


class SuggestionOut(BaseModel):
    text: str
    kind: str
    name: str | None


class SuggestOut(BaseModel):
    data: list[SuggestionOut]


@router.get("", response_model=SearchOut, description=_DESCRIPTION)
def search(
    request: Request,
    portal: PortalDep,
    actor: ActorDep,
    q: Annotated[str, Query(description="words to find")] = "",
    limit: Annotated[int, Query(ge=1, le=1000)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> SearchOut:
    query = query_from_params(request.query_params.multi_items(), lang=request.state.lang)
    result = search_datasets(store=portal.store, actor=actor, query=query)
    following = None
    if result.next_offset is not None:
        params = [(k, v) for k, v in request.query_params.multi_items() if k != "offset"]
        params.append(("offset", str(result.next_offset)))
        following = f"{request.url.path}?{urlencode(params)}"
    return SearchOut(
        data=present.datasets(portal, actor, result.datasets),
        count=result.count,
        facets={
            name: [FacetValueOut(value=v.value, label=v.label, count=v.count) for v in values]
            for name, values in result.facets.items()
        },
        offset=result.offset,
        relaxed=result.relaxed,
        corrected=result.corrected,
        next=following,
    )


@router.get("/suggest", response_model=SuggestOut)
def suggest(
    request: Request,
    portal: PortalDep,
    actor: ActorDep,
    q: Annotated[str, Query(description="what has been typed so far")] = "",
    limit: Annotated[int, Query(ge=1, le=20)] = 8,
    lang: str | None = None,
) -> SuggestOut:
    """Completions of what has been typed so far (titles and keywords), for a search box."""
    found = suggest_datasets(
        store=portal.store, actor=actor, text=q, lang=lang or request.state.lang, limit=limit
    )
    return SuggestOut(data=[SuggestionOut(text=s.text, kind=s.kind, name=s.name) for s in found])
