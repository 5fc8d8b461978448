"""/api/v1/events: the public change events the Atom feeds show, as JSON."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query

from obert.api.face import NATIVE
from obert.auth import ANONYMOUS
from obert.catalog import datasets, organizations
from obert.catalog.vocabulary import vocabulary
from obert.deps import PortalDep
from obert.errors import FieldError, Invalid
from obert.notify.query import Scope, public_events
from obert.notify.search import SavedSearch

router = NATIVE.router(prefix="/api/v1", tags=["changes"])


@router.get("/events")
def list_events(
    portal: PortalDep,
    dataset: str | None = None,
    organization: str | None = None,
    theme: str | None = None,
    q: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    """The latest public changes, newest first, optionally of one dataset, publisher, theme or search."""
    dataset_id = (
        datasets.get_dataset(store=portal.store, actor=ANONYMOUS, ref=dataset).id if dataset else None
    )
    org_id = organizations.get_organization(store=portal.store, ref=organization).id if organization else None
    concept = vocabulary("data-theme").get(theme) if theme else None
    if theme and concept is None:
        raise Invalid("unknown theme", errors=[FieldError("theme", f"'{theme}' is not an EU data theme")])
    scope = Scope(
        dataset_id=dataset_id,
        organization_id=org_id,
        theme=concept.code if concept else None,
        search=SavedSearch.parse(q=q, theme=None, organization=None) if q else None,
    )
    events = public_events(portal.store, scope=scope, limit=limit)
    base = portal.settings.base_url
    return {"data": [e.payload(base) for e in events], "count": len(events), "next": None}
