"""Accounts and memberships as CKAN names them: user_show, organization_list_for_user, member_list,
member_create, member_delete. Who may see and change what is decided by obert.auth, as on the native
API: an account sees itself, organisation managers see and change their members, site administrators
everything."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from obert.api.ckan.envelope import success
from obert.api.ckan.face import CKAN
from obert.api.ckan.mapping import organization_dict
from obert.api.ckan.params import ParamsDep
from obert.auth import Actor
from obert.auth.actor import Role
from obert.auth.members import list_members, remove_member, set_member
from obert.auth.users import User, actor_for_user, get_user
from obert.catalog import organizations
from obert.deps import ActorDep, PortalDep
from obert.errors import FieldError, Forbidden, Invalid, Unauthorized, msg
from obert.portal import Portal

router = CKAN.router()
ACTION = {"methods": ["GET", "POST"], "include_in_schema": False}
WRITE = {"methods": ["POST"], "include_in_schema": False}

# CKAN's permissions, as the least role that has each (organization_list_for_user's `permission`).
_PERMISSION_ROLES = {
    "read": (Role.MEMBER, Role.EDITOR, Role.ADMIN),
    "create_dataset": (Role.EDITOR, Role.ADMIN),
    "update_dataset": (Role.EDITOR, Role.ADMIN),
    "delete_dataset": (Role.EDITOR, Role.ADMIN),
    "manage_group": (Role.ADMIN,),
}


@router.api_route("/user_show", **ACTION)  # type: ignore[arg-type]
def user_show(request: Request, portal: PortalDep, actor: ActorDep, params: ParamsDep) -> JSONResponse:
    """Return an account: your own, or any for a site administrator.

    :param id: its id or name (default: the caller)
    """
    user = _user(portal, actor, params.text("id"))
    return success(request, _user_dict(user))


@router.api_route("/organization_list_for_user", **ACTION)  # type: ignore[arg-type]
def organization_list_for_user(
    request: Request, portal: PortalDep, actor: ActorDep, params: ParamsDep
) -> JSONResponse:
    """Return the organisations where an account has a permission.

    :param id: the account's id or name (default: the caller; others for site administrators)
    :param permission: read, create_dataset, update_dataset, delete_dataset or manage_group (default)
    """
    user = _user(portal, actor, params.text("id"))
    permission = params.text("permission") or "manage_group"
    if permission not in _PERMISSION_ROLES:
        raise Invalid(
            "unknown permission",
            errors=[FieldError("permission", f"use one of {', '.join(_PERMISSION_ROLES)}")],
        )
    holder = actor if user.id == actor.user_id else actor_for_user(store=portal.store, user_id=user.id)
    lang = portal.settings.default_lang
    found = organizations.list_organizations(store=portal.store, limit=1000).items
    out = []
    for org in found:
        role = holder.roles.get(org.id)
        if holder.sysadmin or role in _PERMISSION_ROLES[permission]:
            out.append({**organization_dict(org, lang), "capacity": str(role or Role.ADMIN)})
    return success(request, out)


@router.api_route("/member_list", **ACTION)  # type: ignore[arg-type]
def member_list(request: Request, portal: PortalDep, actor: ActorDep, params: ParamsDep) -> JSONResponse:
    """Return an organisation's members as [id, "user", capacity] (its managers only).

    :param id: the organisation's id or name
    :param object_type: "user" (the only members obert keeps)
    :param capacity: only members with this role (optional)
    """
    org = organizations.get_organization(store=portal.store, ref=str(params.required("id")))
    object_type = params.text("object_type") or "user"
    if object_type != "user":
        raise Invalid(
            "unsupported object_type",
            errors=[FieldError("object_type", "organisations have users as members; see package_search")],
        )
    capacity = params.text("capacity")
    members = list_members(store=portal.store, actor=actor, organization_id=org.id)
    return success(
        request,
        [[m.user_id, "user", str(m.role)] for m in members if capacity in (None, "", str(m.role))],
    )


@router.api_route("/member_create", **WRITE)  # type: ignore[arg-type]
def member_create(request: Request, portal: PortalDep, actor: ActorDep, params: ParamsDep) -> JSONResponse:
    """Make an account a member of an organisation, or change its role (its managers only).

    :param id: the organisation's id or name
    :param object: the account's id or name
    :param object_type: "user"
    :param capacity: member, editor or admin
    """
    org = organizations.get_organization(store=portal.store, ref=str(params.required("id")))
    _only_users(params.text("object_type"))
    capacity = str(params.required("capacity"))
    try:
        role = Role(capacity)
    except ValueError:
        raise Invalid(
            "unknown capacity", errors=[FieldError("capacity", "use member, editor or admin")]
        ) from None
    member = set_member(
        store=portal.store,
        actor=actor,
        organization_id=org.id,
        user_ref=str(params.required("object")),
        role=role,
    )
    return success(
        request,
        {"group_id": org.id, "table_name": "user", "table_id": member.user_id, "capacity": str(member.role)},
    )


@router.api_route("/member_delete", **WRITE)  # type: ignore[arg-type]
def member_delete(request: Request, portal: PortalDep, actor: ActorDep, params: ParamsDep) -> JSONResponse:
    """Remove an account from an organisation (its managers only).

    :param id: the organisation's id or name
    :param object: the account's id or name
    :param object_type: "user"
    """
    org = organizations.get_organization(store=portal.store, ref=str(params.required("id")))
    _only_users(params.text("object_type"))
    remove_member(
        store=portal.store, actor=actor, organization_id=org.id, user_ref=str(params.required("object"))
    )
    return success(request, None)


def _only_users(object_type: str | None) -> None:
    if object_type not in (None, "", "user"):
        raise Invalid(
            "unsupported object_type",
            errors=[FieldError("object_type", "only accounts ('user') are members of organisations")],
        )


def _user(portal: Portal, actor: Actor, ref: str | None) -> User:
    if not actor.authenticated:
        raise Unauthorized(msg("sign in (send your API token) to see accounts"))
    user = get_user(store=portal.store, ref=ref or str(actor.user_id))
    if user.id != actor.user_id and not actor.sysadmin:
        raise Forbidden(msg("only site administrators see other accounts"))
    return user


def _user_dict(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "name": user.name,
        "fullname": user.fullname,
        "display_name": user.fullname or user.name,
        "email": user.email,
        "about": None,
        "created": user.created_at.isoformat(),
        "sysadmin": user.sysadmin,
        "state": "active",
        "image_url": None,
    }
