"""/api/v1/tokens (the caller's own API tokens) and /api/v1/users (accounts, for site administrators)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from obert.api.face import NATIVE
from obert.auth import Scope
from obert.auth import members as member_service
from obert.auth import tokens as service
from obert.auth.users import TOKEN_DEFAULT_DAYS, TOKEN_MAX_DAYS, User, create_user, token_days
from obert.deps import ActorDep, PortalDep, WriterDep
from obert.errors import Invalid

router = NATIVE.router(prefix="/api/v1", tags=["accounts"])


def _days(days: int | None) -> int:
    # The same check, and message, as the account page and `obert token create`.
    try:
        return token_days(days)
    except Invalid as exc:
        raise ValueError(exc.errors[0].message) from None


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, Field(min_length=1, max_length=200)]
    scope: Scope = Scope.READ
    expires_in_days: Annotated[
        int | None,
        AfterValidator(_days),
        Field(description=f"days until the token expires: 1 to {TOKEN_MAX_DAYS}; every token expires"),
    ] = TOKEN_DEFAULT_DAYS


class TokenOut(BaseModel):
    id: str
    name: str
    scope: Scope
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    active: bool


class IssuedTokenOut(TokenOut):
    secret: str = Field(description="shown once: obert keeps only its hash")


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, Field(min_length=1, max_length=100)]
    password: Annotated[str, Field(min_length=1, max_length=1000)]
    email: Annotated[str | None, Field(max_length=300)] = None
    fullname: Annotated[str | None, Field(max_length=300)] = None
    sysadmin: bool = False


class UserPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sysadmin: bool


class UserOut(BaseModel):
    id: str
    name: str
    email: str | None
    fullname: str | None
    sysadmin: bool
    created_at: datetime


def _token_out(info: service.TokenInfo) -> TokenOut:
    return TokenOut(
        id=info.id,
        name=info.name,
        scope=info.scope,
        created_at=info.created_at,
        expires_at=info.expires_at,
        revoked_at=info.revoked_at,
        active=info.active,
    )


def _user_out(user: User) -> UserOut:
    return UserOut(
        id=user.id,
        name=user.name,
        email=user.email,
        fullname=user.fullname,
        sysadmin=user.sysadmin,
        created_at=user.created_at,
    )


@router.get("/tokens", response_model=list[TokenOut])
def list_tokens(portal: PortalDep, actor: ActorDep) -> list[TokenOut]:
    """The caller's API tokens (never their secrets), with scope, expiry and last use."""
    return [_token_out(t) for t in service.list_tokens(store=portal.store, actor=actor)]


@router.post("/tokens", status_code=201, response_model=IssuedTokenOut)
def create_token(portal: PortalDep, actor: WriterDep, data: TokenIn) -> IssuedTokenOut:
    """Issue an API token for the caller; its `secret` is in this answer only. Every token expires (1 to
    365 days)."""
    issued = service.issue_token(
        store=portal.store,
        actor=actor,
        name=data.name,
        scope=data.scope,
        expires_in_days=data.expires_in_days,
        max_live=portal.settings.max_tokens_per_user,
    )
    info = next(t for t in service.list_tokens(store=portal.store, actor=actor) if t.id == issued.id)
    return IssuedTokenOut(**_token_out(info).model_dump(), secret=issued.secret)


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(portal: PortalDep, actor: WriterDep, token_id: str) -> Response:
    """Revoke one of the caller's tokens at once."""
    service.revoke_my_token(store=portal.store, actor=actor, token_id=token_id)
    return Response(status_code=204)


@router.get("/users", response_model=list[UserOut])
def list_users(portal: PortalDep, actor: ActorDep) -> list[UserOut]:
    """Accounts (site administrators and organisation admins)."""
    return [_user_out(u) for u in member_service.list_users(store=portal.store, actor=actor)]


@router.post("/users", status_code=201, response_model=UserOut)
def create_account(portal: PortalDep, actor: WriterDep, data: UserIn) -> UserOut:
    """Create an account (site administrators)."""
    member_service.require_account_admin(actor)
    user = create_user(
        store=portal.store,
        name=data.name,
        password=data.password,
        email=data.email,
        fullname=data.fullname,
        sysadmin=data.sysadmin,
        actor=actor,
    )
    return _user_out(user)


@router.patch("/users/{ref}", response_model=UserOut)
def set_sysadmin(portal: PortalDep, actor: WriterDep, ref: str, data: UserPatch) -> UserOut:
    """Make a user a site administrator, or take that role away."""
    user = member_service.set_sysadmin(store=portal.store, actor=actor, user_ref=ref, sysadmin=data.sysadmin)
    return _user_out(user)
