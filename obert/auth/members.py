"""Who belongs to which organisation with which role, and who is a site administrator."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from obert.auth.actor import Actor, Role
from obert.auth.audit import append
from obert.auth.users import User, get_user, set_membership, user_json
from obert.errors import Conflict, Forbidden, NotFound, Unauthorized, msg
from obert.storage import Store
from obert.storage.tables.catalog import memberships, users


@dataclass(frozen=True, slots=True)
class Member:
    user_id: str
    name: str
    fullname: str | None
    role: Role


def list_members(*, store: Store, actor: Actor, organization_id: str) -> list[Member]:
    _require_manager(actor, organization_id, reading=True)
    with store.read() as conn:
        rows = conn.execute(
            sa.select(users.c.id, users.c.name, users.c.fullname, memberships.c.role)
            .select_from(memberships.join(users, users.c.id == memberships.c.user_id))
            .where(memberships.c.organization_id == organization_id, users.c.state == "active")
            .order_by(users.c.name)
        ).all()
    return [Member(r.id, r.name, r.fullname, Role(r.role)) for r in rows]


def set_member(*, store: Store, actor: Actor, organization_id: str, user_ref: str, role: Role) -> Member:
    """Add a user to the organisation with `role`, or change the role they have."""
    _require_manager(actor, organization_id)
    user = get_user(store=store, ref=user_ref)
    current = _role_of(store, organization_id, user.id)
    if current is Role.ADMIN and role is not Role.ADMIN:
        _keep_an_admin(store, organization_id, user.id)
    set_membership(store=store, user_id=user.id, organization_id=organization_id, role=role, actor=actor)
    return Member(user.id, user.name, user.fullname, role)


def remove_member(*, store: Store, actor: Actor, organization_id: str, user_ref: str) -> None:
    _require_manager(actor, organization_id)
    user = get_user(store=store, ref=user_ref)
    current = _role_of(store, organization_id, user.id)
    if current is None:
        raise NotFound(msg("'{name}' is not a member of this organisation", name=user.name))
    if current is Role.ADMIN:
        _keep_an_admin(store, organization_id, user.id)
    set_membership(store=store, user_id=user.id, organization_id=organization_id, role=None, actor=actor)


def list_users(*, store: Store, actor: Actor) -> list[User]:
    _require_sysadmin(actor, reading=True)
    with store.read() as conn:
        rows = conn.execute(sa.select(users).where(users.c.state == "active").order_by(users.c.name)).all()
    return [User(r.id, r.name, r.email, r.fullname, r.sysadmin, r.created_at) for r in rows]


def set_sysadmin(*, store: Store, actor: Actor, user_ref: str, sysadmin: bool) -> User:
    """Grant or take away the site administrator flag; nobody can take it from themselves."""
    _require_sysadmin(actor)
    user = get_user(store=store, ref=user_ref)
    if user.id == actor.user_id and not sysadmin:
        raise Conflict(msg("you cannot remove your own site administrator flag: ask another administrator"))
    with store.begin() as conn:
        conn.execute(users.update().where(users.c.id == user.id).values(sysadmin=sysadmin))
        after = User(user.id, user.name, user.email, user.fullname, sysadmin, user.created_at)
        append(
            conn,
            actor_id=actor.user_id,
            action="sysadmin-set",
            object_type="user",
            object_id=user.id,
            before=user_json(user),
            after=user_json(after),
        )
    return after


def _role_of(store: Store, organization_id: str, user_id: str) -> Role | None:
    with store.read() as conn:
        role = conn.execute(
            sa.select(memberships.c.role).where(
                memberships.c.organization_id == organization_id, memberships.c.user_id == user_id
            )
        ).scalar()
    return Role(role) if role else None


def _keep_an_admin(store: Store, organization_id: str, leaving: str) -> None:
    # An organisation without administrators could only be rescued by a site administrator.
    with store.read() as conn:
        others = conn.execute(
            sa.select(sa.func.count())
            .select_from(memberships)
            .where(
                memberships.c.organization_id == organization_id,
                memberships.c.role == Role.ADMIN.value,
                memberships.c.user_id != leaving,
            )
        ).scalar_one()
    if not others:
        raise Conflict(msg("the organisation would be left without an administrator: name another one first"))


def _require_manager(actor: Actor, organization_id: str, *, reading: bool = False) -> None:
    if not actor.authenticated:
        raise Unauthorized(msg("sign in or send an API token to manage members"))
    allowed = actor.sysadmin or actor.roles.get(organization_id) is Role.ADMIN
    if not allowed or not (reading or actor.can_write):
        raise Forbidden(
            msg("only the organisation's administrators and site administrators manage its members")
        )


def require_account_admin(actor: Actor) -> None:
    """Only site administrators with a write credential create accounts."""
    _require_sysadmin(actor)


def _require_sysadmin(actor: Actor, *, reading: bool = False) -> None:
    if not actor.authenticated:
        raise Unauthorized(msg("sign in or send an API token as a site administrator"))
    if not actor.sysadmin or not (reading or actor.can_write):
        raise Forbidden(msg("only site administrators manage accounts"))
