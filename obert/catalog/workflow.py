"""The publishing workflow: draft → review → published → withdrawn, and who moved a dataset where.

Editors write drafts and submit them; an organisation's administrators (or site administrators) approve,
which publishes, or reject, which sends the draft back with a reason. Approval takes a second pair of
eyes: whoever submitted a dataset cannot approve it, unless they are a site administrator and the site
allows that. Whether an organisation's editors must go through review at all is a site-wide setting that
each organisation may override; without review, editors may still publish directly as before.
Every transition is one activity row with the actor and the comment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from obert.auth import Actor
from obert.auth.audit import append
from obert.catalog.access import load_dataset, require_editor, require_writer
from obert.catalog.common import now
from obert.catalog.indexing import refresh_index
from obert.catalog.models import Dataset, State
from obert.errors import Conflict, FieldError, Forbidden, Invalid, Unauthorized, msg
from obert.storage import Store
from obert.storage.tables.accounts import organization_policies
from obert.storage.tables.catalog import activity, datasets

MAX_COMMENT = 2000


class Action(StrEnum):
    SUBMIT = "submit"
    APPROVE = "approve"
    REJECT = "reject"
    WITHDRAW = "withdraw"


@dataclass(frozen=True, slots=True)
class WorkflowPolicy:
    review_required: bool = False  # site-wide default; organisations may override it
    sysadmin_may_approve_own: bool = True


DEFAULT_POLICY = WorkflowPolicy()

# action → (states it starts from, state it ends in)
MOVES: dict[Action, tuple[frozenset[State], State]] = {
    Action.SUBMIT: (frozenset({State.DRAFT, State.WITHDRAWN}), State.REVIEW),
    Action.APPROVE: (frozenset({State.REVIEW}), State.PUBLISHED),
    Action.REJECT: (frozenset({State.REVIEW}), State.DRAFT),
    Action.WITHDRAW: (frozenset({State.PUBLISHED, State.REVIEW}), State.WITHDRAWN),
}


@dataclass(frozen=True, slots=True)
class Transition:
    at: datetime
    actor_id: str | None
    action: str
    from_state: str | None
    to_state: str | None
    comment: str | None


def submit_for_review(
    *,
    store: Store,
    actor: Actor,
    ref: str,
    comment: str | None = None,
    policy: WorkflowPolicy = DEFAULT_POLICY,
) -> Dataset:
    return transition(store=store, actor=actor, ref=ref, action=Action.SUBMIT, comment=comment, policy=policy)


def approve(
    *,
    store: Store,
    actor: Actor,
    ref: str,
    comment: str | None = None,
    policy: WorkflowPolicy = DEFAULT_POLICY,
) -> Dataset:
    return transition(
        store=store, actor=actor, ref=ref, action=Action.APPROVE, comment=comment, policy=policy
    )


def reject(
    *, store: Store, actor: Actor, ref: str, comment: str | None, policy: WorkflowPolicy = DEFAULT_POLICY
) -> Dataset:
    return transition(store=store, actor=actor, ref=ref, action=Action.REJECT, comment=comment, policy=policy)


def withdraw(
    *,
    store: Store,
    actor: Actor,
    ref: str,
    comment: str | None = None,
    policy: WorkflowPolicy = DEFAULT_POLICY,
) -> Dataset:
    return transition(
        store=store, actor=actor, ref=ref, action=Action.WITHDRAW, comment=comment, policy=policy
    )


def transition(
    *, store: Store, actor: Actor, ref: str, action: Action, comment: str | None, policy: WorkflowPolicy
) -> Dataset:
    """Move a dataset one step; Conflict when the step does not start from its current state."""
    comment = (comment or "").strip() or None
    if comment and len(comment) > MAX_COMMENT:
        raise Invalid(
            msg("comment too long"),
            errors=[FieldError("comment", msg("at most {max_comment} characters", max_comment=MAX_COMMENT))],
        )
    if action is Action.REJECT and not comment:
        raise Invalid(
            msg("say why"), errors=[FieldError("comment", msg("a rejection needs a reason for the editor"))]
        )
    require_writer(actor)
    with store.begin() as conn:
        before = load_dataset(conn, actor, ref)
        require_editor(actor, before)
        org_id = before.organization.id if before.organization else None
        sources, target = MOVES[action]
        if before.state not in sources:
            allowed = ", ".join(sorted(s.value for s in sources))
            raise Conflict(
                msg(
                    "cannot {action} a dataset in state '{state}' (only from {allowed})",
                    action=action.value,
                    state=before.state.value,
                    allowed=allowed,
                )
            )
        if action in (Action.APPROVE, Action.REJECT):
            if not actor.can_manage(org_id):
                raise Forbidden(msg("only the organisation's administrators can approve or reject"))
            if action is Action.APPROVE:
                _four_eyes(conn, actor, before.id, policy)
        conn.execute(
            datasets.update().where(datasets.c.id == before.id).values(state=target.value, updated_at=now())
        )
        # Who may find it changes with its state: the index (its counts and facets too) follows in the
        # same transaction, as for any other change of a dataset.
        refresh_index(conn, [before.id])
        after = load_dataset(conn, actor, before.id)
        append(
            conn,
            actor_id=actor.user_id,
            action=action.value,
            object_type="dataset",
            object_id=before.id,
            before={"state": before.state.value},
            after={"state": target.value, "comment": comment},
        )
    return after


def history(*, store: Store, actor: Actor, ref: str) -> list[Transition]:
    """The dataset's workflow steps and state changes, oldest first (for those who may see the dataset)."""
    with store.read() as conn:
        dataset = load_dataset(conn, actor, ref)
        rows = conn.execute(
            sa.select(activity)
            .where(activity.c.object_id == dataset.id, activity.c.action.in_([a.value for a in Action]))
            .order_by(activity.c.id)
        ).all()
    return [
        Transition(
            r.at, r.actor_id, r.action, _state(r.before), _state(r.after), (r.after or {}).get("comment")
        )
        for r in rows
    ]


def review_required(conn: Connection, organization_id: str | None, policy: WorkflowPolicy) -> bool:
    if organization_id is None:
        return policy.review_required
    own = conn.execute(
        sa.select(organization_policies.c.review_required).where(
            organization_policies.c.organization_id == organization_id
        )
    ).scalar()
    return policy.review_required if own is None else bool(own)


def guard_state(
    conn: Connection,
    *,
    actor: Actor,
    organization_id: str | None,
    before: State | None,
    after: State,
    policy: WorkflowPolicy,
) -> None:
    """Refuse an editor's direct publication (create or edit) where the organisation requires review."""
    if after is before or after is not State.PUBLISHED or actor.can_manage(organization_id):
        return
    if review_required(conn, organization_id, policy):
        raise Forbidden(
            msg(
                "this organisation reviews datasets before publication: save a draft and submit it for review"
            ),
            errors=[FieldError("state", msg("editors cannot publish directly here"))],
        )


def set_review_required(*, store: Store, actor: Actor, organization_id: str, value: bool | None) -> None:
    """Set an organisation's own rule (None follows the site-wide setting)."""
    if not actor.authenticated:
        raise Unauthorized(msg("sign in or send an API token"))
    if not actor.can_manage(organization_id):
        raise Forbidden(msg("only the organisation's administrators can change its publishing rules"))
    with store.begin() as conn:
        before = conn.execute(
            sa.select(organization_policies.c.review_required).where(
                organization_policies.c.organization_id == organization_id
            )
        ).scalar()
        conn.execute(
            organization_policies.delete().where(organization_policies.c.organization_id == organization_id)
        )
        conn.execute(
            organization_policies.insert().values(organization_id=organization_id, review_required=value)
        )
        append(
            conn,
            actor_id=actor.user_id,
            action="policy-set",
            object_type="organization",
            object_id=organization_id,
            before={"review_required": before},
            after={"review_required": value},
        )


def organization_review_rule(*, store: Store, organization_id: str, policy: WorkflowPolicy) -> dict[str, Any]:
    with store.read() as conn:
        own = conn.execute(
            sa.select(organization_policies.c.review_required).where(
                organization_policies.c.organization_id == organization_id
            )
        ).scalar()
        effective = review_required(conn, organization_id, policy)
    return {"review_required": own, "effective": effective, "site_default": policy.review_required}


def _four_eyes(conn: Connection, actor: Actor, dataset_id: str, policy: WorkflowPolicy) -> None:
    submitter = conn.execute(
        sa.select(activity.c.actor_id)
        .where(activity.c.object_id == dataset_id, activity.c.action == Action.SUBMIT.value)
        .order_by(activity.c.id.desc())
        .limit(1)
    ).scalar()
    if submitter is None or submitter != actor.user_id:
        return
    if actor.sysadmin and policy.sysadmin_may_approve_own:
        return
    raise Forbidden(msg("you submitted this dataset: another administrator must approve it"))


def _state(value: Any) -> str | None:
    return value.get("state") if isinstance(value, dict) else None
