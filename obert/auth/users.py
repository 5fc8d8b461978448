"""Accounts, organisation memberships and API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import MappingProxyType

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from obert.auth.actor import SYSTEM, Actor, Role, Scope
from obert.auth.audit import append
from obert.auth.limits import TOKEN_DEFAULT_DAYS as TOKEN_DEFAULT_DAYS
from obert.auth.limits import TOKEN_MAX_DAYS as TOKEN_MAX_DAYS
from obert.auth.passwords import hash_password, verify_password
from obert.errors import Conflict, FieldError, Invalid, NotFound, Unauthorized, msg
from obert.storage import Store
from obert.storage.tables.catalog import api_tokens, memberships, users

TOKEN_PREFIX = "obert_"
MIN_PASSWORD = 10
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,99}$")


@dataclass(frozen=True, slots=True)
class User:
    id: str
    name: str
    email: str | None
    fullname: str | None
    sysadmin: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A new token: `secret` is shown once and never stored."""

    id: str
    name: str
    secret: str
    scope: Scope
    expires_at: datetime | None


def create_user(
    *,
    store: Store,
    name: str,
    password: str,
    email: str | None = None,
    fullname: str | None = None,
    sysadmin: bool = False,
    actor: Actor = SYSTEM,
) -> User:
    errors = []
    if not _NAME.match(name):
        errors.append(FieldError("name", msg("2-100 lowercase letters, digits, '-', '_' or '.'")))
    if len(password) < MIN_PASSWORD:
        errors.append(
            FieldError("password", msg("at least {min_password} characters", min_password=MIN_PASSWORD))
        )
    if errors:
        raise Invalid(msg("the account cannot be created"), errors=errors)
    now = datetime.now(UTC)
    user = User(str(uuid.uuid4()), name, email, fullname, sysadmin, now)
    row = {
        "id": user.id,
        "name": name,
        "email": email,
        "fullname": fullname,
        "password_hash": hash_password(password),
        "sysadmin": sysadmin,
        "state": "active",
        "created_at": now,
        "updated_at": now,
    }
    with store.begin() as conn:
        if conn.execute(sa.select(users.c.id).where(users.c.name == name)).first():
            raise Conflict(msg("a user named '{name}' already exists", name=name))
        conn.execute(users.insert().values(row))
        append(
            conn,
            actor_id=actor.user_id,
            action="create",
            object_type="user",
            object_id=user.id,
            after=user_json(user),
        )
    return user


def user_json(user: User) -> dict[str, object]:
    """What the audit log and the API show of an account (never its password hash)."""
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "fullname": user.fullname,
        "sysadmin": user.sysadmin,
        "created_at": user.created_at.isoformat(),
    }


def get_user(*, store: Store, ref: str) -> User:
    with store.read() as conn:
        row = conn.execute(
            sa.select(users).where(sa.or_(users.c.id == ref, users.c.name == ref), users.c.state == "active")
        ).first()
    if row is None:
        raise NotFound(msg("no user '{ref}'", ref=ref))
    return User(row.id, row.name, row.email, row.fullname, row.sysadmin, row.created_at)


def authenticate_password(*, store: Store, name: str, password: str) -> Actor:
    with store.read() as conn:
        row = conn.execute(
            sa.select(users.c.id, users.c.password_hash).where(
                users.c.name == name, users.c.state == "active"
            )
        ).first()
    if row is None or not row.password_hash or not verify_password(row.password_hash, password):
        raise Unauthorized(msg("wrong user name or password"))
    return actor_for_user(store=store, user_id=row.id)


def actor_for_user(*, store: Store, user_id: str, scope: Scope = Scope.WRITE) -> Actor:
    with store.read() as conn:
        user = conn.execute(sa.select(users).where(users.c.id == user_id, users.c.state == "active")).first()
        if user is None:
            raise Unauthorized(msg("the account does not exist or is disabled"))
        rows = conn.execute(
            sa.select(memberships.c.organization_id, memberships.c.role).where(
                memberships.c.user_id == user_id
            )
        ).all()
    roles = MappingProxyType({r.organization_id: Role(r.role) for r in rows})
    return Actor(user_id=user.id, name=user.name, sysadmin=user.sysadmin, roles=roles, scope=scope)


def set_membership(
    *, store: Store, user_id: str, organization_id: str, role: Role | None, actor: Actor = SYSTEM
) -> None:
    """Give a user a role in an organisation, change it, or (role None) remove it."""
    with store.begin() as conn:
        before = conn.execute(
            sa.select(memberships.c.role).where(
                memberships.c.user_id == user_id, memberships.c.organization_id == organization_id
            )
        ).scalar()
        conn.execute(
            memberships.delete().where(
                memberships.c.user_id == user_id, memberships.c.organization_id == organization_id
            )
        )
        if role is not None:
            conn.execute(
                memberships.insert().values(user_id=user_id, organization_id=organization_id, role=role.value)
            )
        append(
            conn,
            actor_id=actor.user_id,
            action="member-remove" if role is None else "member-set",
            object_type="membership",
            object_id=organization_id,
            before={"user_id": user_id, "role": before} if before else None,
            after={"user_id": user_id, "role": role.value} if role else None,
        )


def token_days(days: int | None) -> int:
    """The one check of a token's lifetime in days, for the API, the account page and the command line:
    1 to TOKEN_MAX_DAYS; Invalid (naming `expires_in_days`) otherwise, none included."""
    if days is None or not 1 <= days <= TOKEN_MAX_DAYS:
        given = "none" if days is None else str(days)
        raise Invalid(
            msg("the token cannot be created"),
            errors=[
                FieldError(
                    "expires_in_days",
                    msg(
                        "a token lives 1 to {token_max_days} days, and every token expires (given: {given})",
                        token_max_days=TOKEN_MAX_DAYS,
                        given=given,
                    ),
                )
            ],
        )
    return days


def create_token(
    *,
    store: Store,
    user_ref: str,
    name: str,
    scope: Scope = Scope.WRITE,
    expires_in_days: int | None = TOKEN_DEFAULT_DAYS,
    max_live: int | None = None,
    actor: Actor = SYSTEM,
) -> IssuedToken:
    """A new token for `user_ref`, expiring in `expires_in_days` (checked by `token_days`). With
    `max_live`, Conflict when the account already holds that many live tokens: minting more must not buy
    more of anything (request budgets count per account anyway)."""
    days = token_days(expires_in_days)
    user = get_user(store=store, ref=user_ref)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    expires_at = now + timedelta(days=days)
    token_id = str(uuid.uuid4())
    with store.begin() as conn:
        if max_live is not None:
            _check_room(conn, user.id, max_live, now)
        conn.execute(
            api_tokens.insert().values(
                id=token_id,
                user_id=user.id,
                name=name,
                token_hash=_digest(secret),
                scope=scope.value,
                created_at=now,
                expires_at=expires_at,
            )
        )
        append(
            conn,
            actor_id=actor.user_id,
            action="token-create",
            object_type="token",
            object_id=token_id,
            after={
                "user_id": user.id,
                "name": name,
                "scope": scope.value,
                "expires_at": expires_at.isoformat() if expires_at else None,
            },
        )
    return IssuedToken(token_id, name, secret, scope, expires_at)


def _check_room(conn: Connection, user_id: str, max_live: int, now: datetime) -> None:
    # Lock the account's row so that two tokens minted at once cannot both take the last place (SQLite
    # writes one transaction at a time already).
    conn.execute(sa.select(users.c.id).where(users.c.id == user_id).with_for_update())
    live = conn.execute(
        sa.select(sa.func.count()).where(
            api_tokens.c.user_id == user_id,
            api_tokens.c.revoked_at.is_(None),
            sa.or_(api_tokens.c.expires_at.is_(None), api_tokens.c.expires_at > now),
        )
    ).scalar_one()
    if live >= max_live:
        raise Conflict(
            msg(
                "the account holds {live} live tokens and may hold {max_live}: "
                "revoke one it no longer needs first",
                live=live,
                max_live=max_live,
            )
        )


def revoke_token(*, store: Store, token_id: str, actor: Actor = SYSTEM) -> None:
    with store.begin() as conn:
        done = conn.execute(
            api_tokens.update()
            .where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
            .values(revoked_at=datetime.now(UTC))
        )
        if done.rowcount == 0:
            raise NotFound(msg("no active token '{token_id}'", token_id=token_id))
        append(conn, actor_id=actor.user_id, action="token-revoke", object_type="token", object_id=token_id)


def actor_for_token(*, store: Store, secret: str) -> Actor:
    """The actor an API token stands for; Unauthorized if it is unknown, revoked or expired."""
    with store.read() as conn:
        row = conn.execute(sa.select(api_tokens).where(api_tokens.c.token_hash == _digest(secret))).first()
    if row is None or row.revoked_at is not None:
        raise Unauthorized(msg("the API token is not valid"))
    if row.expires_at is not None and row.expires_at <= datetime.now(UTC):
        raise Unauthorized(msg("the API token has expired"))
    return actor_for_user(store=store, user_id=row.user_id, scope=Scope(row.scope))


def token_owner(*, store: Store, secret: str) -> str | None:
    """The id of the account a live token belongs to; None for an unknown, revoked or expired one."""
    with store.read() as conn:
        row = conn.execute(
            sa.select(api_tokens.c.user_id, api_tokens.c.revoked_at, api_tokens.c.expires_at).where(
                api_tokens.c.token_hash == _digest(secret)
            )
        ).first()
    if row is None or row.revoked_at is not None:
        return None
    if row.expires_at is not None and row.expires_at <= datetime.now(UTC):
        return None
    return str(row.user_id)


def token_secret(authorization: str) -> str:
    """The token in an Authorization header: `Bearer <token>`, or the bare token as CKAN clients send it."""
    scheme, _, rest = authorization.strip().partition(" ")
    return rest.strip() if scheme.lower() == "bearer" else authorization.strip()


def _digest(secret: str) -> str:
    # Tokens are long random strings, so a fast unsalted hash is enough to make a stolen table useless.
    return hashlib.sha256(secret.encode()).hexdigest()
