"""/api/v1/datastore/{resource}/versions/{n}/schema|accept-schema: versions held for changed columns."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body

from obert.api.face import NATIVE
from obert.deps import PortalDep, WriterDep
from obert.tableservice import schema_review
from obert.tableservice.schema_review import MAX_COMMENT, SchemaReview

router = NATIVE.router(prefix="/api/v1/datastore", tags=["datastore"])


def _out(review: SchemaReview) -> dict[str, Any]:
    return {
        "version": review.version.number,
        "state": review.version.state,
        "holds": list(review.pending),
        "compared_with": review.findings.get("compared_with"),
        "changes": review.findings.get("changes", []),
        "accepted": review.findings.get("accepted"),
    }


@router.get("/{resource}/versions/{number}/schema", summary="Column changes of a held version")
def schema_changes(portal: PortalDep, actor: WriterDep, resource: str, number: int) -> dict[str, Any]:
    """The columns a version drops, renames, retypes or adds compared with the version served when it
    was ingested, and the reasons it is still held for. Editors of the dataset only."""
    return _out(
        schema_review.schema_findings(ingester=portal.ingester, actor=actor, ref=resource, number=number)
    )


@router.post("/{resource}/versions/{number}/accept-schema", summary="Accept a version's changed columns")
def accept_schema(
    portal: PortalDep,
    actor: WriterDep,
    resource: str,
    number: int,
    comment: Annotated[
        str | None, Body(embed=True, max_length=MAX_COMMENT, description="why the change is fine")
    ] = None,
) -> dict[str, Any]:
    """Accept the dropped, renamed or retyped columns of a held version (logged with who and why). It is
    published at once, unless the personal-data gate still holds it: then `holds` says so."""
    review = schema_review.accept_schema_change(
        ingester=portal.ingester, actor=actor, ref=resource, number=number, comment=comment
    )
    return _out(review)
