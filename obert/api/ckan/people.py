"""Accounts and memberships as CKAN names them: user_show, organization_list_for_user, member_list,
member_create, member_delete (accounts in organisations, datasets in groups). Who may see and change
what is decided by obert.auth and the catalogue, as on the native API: an account sees itself,
organisation managers see and change their members, a dataset's editors file it in groups, site
administrators everything."""

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
from obert.catalog import group_datasets, organizations
from obert.catalog.groups import Group, get_group
from obert.catalog.models import Organization
from obert.deps import ActorDep, PortalDep
from obert.errors import FieldError, Forbidden, Invalid, NotFound, Unauthorized, msg
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
    """Return the members of an organisation or a group as [id, type, capacity]: its datasets you may
    see ("package"; capacity "organization" in an organisation, "public" in a group) and an
    organisation's accounts ("user", with their role: its managers only, so others ask for packages).

    :param id: the organisation's or group's id or name
    :param object_type: "package" or "user" (default: both)
    :param capacity: only members with this capacity (optional)
    """
    holder = _holder(portal, str(params.required("id")))
    object_type = params.text("object_type") or None
    if object_type not in (None, "package", "user"):
        raise Invalid(
            "unsupported object_type", errors=[FieldError("object_type", "use 'package' or 'user'")]
        )
    out: list[list[str]] = []
    if object_type in (None, "package"):
        if isinstance(holder, Organization):
            ids = organizations.organization_dataset_ids(store=portal.store, actor=actor, ref=holder.id)
            out += [[i, "package", "organization"] for i in ids]
        else:
            ids = group_datasets.group_dataset_ids(store=portal.store, actor=actor, ref=holder.id)
            out += [[i, "package", "public"] for i in ids]
    if isinstance(holder, Organization) and object_type in (None, "user"):
        members = list_members(store=portal.store, actor=actor, organization_id=holder.id)
        out += [[m.user_id, "user", str(m.role)] for m in members]
    capacity = params.text("capacity")
    return success(request, [m for m in out if capacity in (None, "", m[2])])


@router.api_route("/member_create", **WRITE)  # type: ignore[arg-type]
def member_create(request: Request, portal: PortalDep, actor: ActorDep, params: ParamsDep) -> JSONResponse:
    """Make an account a member of an organisation or change its role (its managers only), or file a
    dataset in a group (the dataset's editors).

    :param id: the organisation's or group's id or name
    :param object: the account's or dataset's id or name
    :param object_type: "user" (organisations) or "package" (groups)
    :param capacity: member, editor or admin for an account; "public" for a dataset
    """
    holder = _holder(portal, str(params.required("id")))
    ref = str(params.required("object"))
    object_type = _object_type(holder, params.text("object_type"))
    capacity = str(params.required("capacity"))
    if object_type == "package":
        added = group_datasets.add_to_group(
            store=portal.store, actor=actor, group_ref=holder.id, dataset_ref=ref
        )
        return success(request, _member(holder.id, "package", added.dataset_id, "public"))
    try:
        role = Role(capacity)
    except ValueError:
        raise Invalid(
            "unknown capacity", errors=[FieldError("capacity", "use member, editor or admin")]
        ) from None
    member = set_member(store=portal.store, actor=actor, organization_id=holder.id, user_ref=ref, role=role)
    return success(request, _member(holder.id, "user", member.user_id, str(member.role)))


@router.api_route("/member_delete", **WRITE)  # type: ignore[arg-type]
def member_delete(request: Request, portal: PortalDep, actor: ActorDep, params: ParamsDep) -> JSONResponse:
    """Remove an account from an organisation (its managers only), or a dataset from a group (the
    dataset's editors).

    :param id: the organisation's or group's id or name
    :param object: the account's or dataset's id or name
    :param object_type: "user" (organisations) or "package" (groups)
    """
    holder = _holder(portal, str(params.required("id")))
    ref = str(params.required("object"))
    if _object_type(holder, params.text("object_type")) == "package":
        group_datasets.remove_from_group(
            store=portal.store, actor=actor, group_ref=holder.id, dataset_ref=ref
        )
    else:
        remove_member(store=portal.store, actor=actor, organization_id=holder.id, user_ref=ref)
    return success(request, None)


def _holder(portal: Portal, ref: str) -> Organization | Group:
    """The organisation or group `ref` names: CKAN keeps both in one table and its member actions take
    either."""
    try:
        return organizations.get_organization(store=portal.store, ref=ref)
    except NotFound:
        pass
    try:
        return get_group(store=portal.store, ref=ref)
    except NotFound:
        raise NotFound(f"no organisation or group '{ref}'") from None


def _object_type(holder: Organization | Group, object_type: str | None) -> str:
    wanted = "user" if isinstance(holder, Organization) else "package"
    if object_type not in (None, "", wanted):
        where = "organisations have accounts" if wanted == "user" else "groups have datasets"
        raise Invalid(
            "unsupported object_type",
            errors=[FieldError("object_type", f"use '{wanted}': {where} as members")],
        )
    return wanted


def _member(group_id: str, table: str, table_id: str, capacity: str) -> dict[str, str]:
    """CKAN's member dict (member_dictize)."""
    return {
        "id": f"{group_id}:{table_id}",
        "group_id": group_id,
        "table_name": table,
        "table_id": table_id,
        "capacity": capacity,
        "state": "active",
    }


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
