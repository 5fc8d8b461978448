"""/api/v1/datastore/{resource}/versions/{n}/privacy|transform|override: the personal-data gate's desk."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body

from obert.api.face import NATIVE
from obert.deps import PortalDep, WriterDep
from obert.tableservice import review

router = NATIVE.router(prefix="/api/v1/datastore", tags=["datastore"])


@router.get("/{resource}/versions/{number}/privacy", summary="Personal-data findings of a version")
def findings(portal: PortalDep, actor: WriterDep, resource: str, number: int) -> dict[str, Any]:
    """What the personal-data gate found in a version (masked examples only), the decision and a
    suggested plan. Editors of the dataset only."""
    held = review.held_version(ingester=portal.ingester, actor=actor, ref=resource, number=number)
    return {"version": held.version.number, "state": held.version.state, **held.findings}


@router.post(
    "/{resource}/versions/{number}/transform", summary="Publish a transformed copy of a held version"
)
def transform(
    portal: PortalDep,
    actor: WriterDep,
    resource: str,
    number: int,
    plan: Annotated[list[dict[str, Any]], Body(embed=True, description="steps: drop, mask, hash, …")],
) -> dict[str, Any]:
    """Apply the plan to a held version and ingest the result as a new version, scanned again: published
    when nothing blocking is left, held again (with new findings) otherwise."""
    outcome = review.publish_with_plan(
        ingester=portal.ingester, actor=actor, ref=resource, number=number, plan=plan
    )
    return {
        "version": outcome.version.number,
        "state": outcome.version.state,
        "held": outcome.held_message,
    }


@router.post("/{resource}/versions/{number}/override", summary="Publish a held version as it is")
def override(
    portal: PortalDep,
    actor: WriterDep,
    resource: str,
    number: int,
    overrides: Annotated[
        list[dict[str, Any]], Body(embed=True, description="[{column, kind, justification}] per finding")
    ],
) -> dict[str, Any]:
    """Record a justified override for every blocking finding and publish the held version unchanged."""
    version = review.publish_with_overrides(
        ingester=portal.ingester, actor=actor, ref=resource, number=number, overrides=overrides
    )
    return {"version": version.number, "state": version.state}
