"""/api/v1/organizations/{ref}/members and /policy: roles and publishing rules per organisation."""

from __future__ import annotations

from fastapi import Response
from pydantic import BaseModel, ConfigDict

from obert.api.face import NATIVE
from obert.auth import Role
from obert.auth import members as service
from obert.catalog import workflow
from obert.catalog.organizations import get_organization
from obert.deps import ActorDep, PortalDep, WriterDep

router = NATIVE.router(prefix="/api/v1/organizations/{ref}", tags=["organizations"])


class MemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role


class MemberOut(BaseModel):
    user_id: str
    name: str
    fullname: str | None
    role: Role


class PolicyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    review_required: bool | None  # null follows the site-wide setting


class PolicyOut(BaseModel):
    review_required: bool | None
    effective: bool
    site_default: bool


def _out(m: service.Member) -> MemberOut:
    return MemberOut(user_id=m.user_id, name=m.name, fullname=m.fullname, role=m.role)


@router.get("/members", response_model=list[MemberOut])
def list_members(portal: PortalDep, actor: ActorDep, ref: str) -> list[MemberOut]:
    """The organisation's members and their roles (admin, editor, member)."""
    org = get_organization(store=portal.store, ref=ref)
    return [_out(m) for m in service.list_members(store=portal.store, actor=actor, organization_id=org.id)]


@router.put("/members/{user}", response_model=MemberOut)
def set_member(portal: PortalDep, actor: WriterDep, ref: str, user: str, data: MemberIn) -> MemberOut:
    """Add a user with a role, or change the role they have."""
    org = get_organization(store=portal.store, ref=ref)
    member = service.set_member(
        store=portal.store, actor=actor, organization_id=org.id, user_ref=user, role=data.role
    )
    return _out(member)


@router.delete("/members/{user}", status_code=204)
def remove_member(portal: PortalDep, actor: WriterDep, ref: str, user: str) -> Response:
    """Take a user out of the organisation."""
    org = get_organization(store=portal.store, ref=ref)
    service.remove_member(store=portal.store, actor=actor, organization_id=org.id, user_ref=user)
    return Response(status_code=204)


@router.get("/policy", response_model=PolicyOut)
def get_policy(portal: PortalDep, ref: str) -> PolicyOut:
    """Whether the organisation's datasets need review before publication, and where that rule comes
    from."""
    org = get_organization(store=portal.store, ref=ref)
    rule = workflow.organization_review_rule(
        store=portal.store, organization_id=org.id, policy=portal.workflow
    )
    return PolicyOut(**rule)


@router.put("/policy", response_model=PolicyOut)
def set_policy(portal: PortalDep, actor: WriterDep, ref: str, data: PolicyIn) -> PolicyOut:
    """Require review (or not) for the organisation's datasets; `null` follows the site-wide default."""
    org = get_organization(store=portal.store, ref=ref)
    workflow.set_review_required(
        store=portal.store, actor=actor, organization_id=org.id, value=data.review_required
    )
    rule = workflow.organization_review_rule(
        store=portal.store, organization_id=org.id, policy=portal.workflow
    )
    return PolicyOut(**rule)
