"""/api/v1/datasets/{ref}/transitions: the publishing workflow (submit, approve, reject, withdraw)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from obert.api.face import NATIVE
from obert.api.v1 import present
from obert.api.v1.schemas import DatasetOut
from obert.catalog import workflow
from obert.deps import ActorDep, PortalDep, WriterDep

router = NATIVE.router(prefix="/api/v1/datasets/{ref}", tags=["datasets"])


class TransitionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: workflow.Action
    comment: Annotated[str | None, Field(max_length=workflow.MAX_COMMENT)] = None


class TransitionOut(BaseModel):
    at: datetime
    actor_id: str | None
    action: str
    from_state: str | None
    to_state: str | None
    comment: str | None


@router.post("/transitions", response_model=DatasetOut)
def transition(portal: PortalDep, actor: WriterDep, ref: str, data: TransitionIn) -> DatasetOut:
    """Move the dataset through the workflow; 409 when the action does not apply to its state."""
    moved = workflow.transition(
        store=portal.store,
        actor=actor,
        ref=ref,
        action=data.action,
        comment=data.comment,
        policy=portal.workflow,
    )
    return present.dataset(portal, actor, moved)


@router.get("/transitions", response_model=list[TransitionOut])
def history(portal: PortalDep, actor: ActorDep, ref: str) -> list[TransitionOut]:
    """A dataset's workflow history: who submitted, approved, rejected or withdrew it, when, and why."""
    steps = workflow.history(store=portal.store, actor=actor, ref=ref)
    return [
        TransitionOut(
            at=s.at,
            actor_id=s.actor_id,
            action=s.action,
            from_state=s.from_state,
            to_state=s.to_state,
            comment=s.comment,
        )
        for s in steps
    ]
