"""Browser sessions: sign in with a password, a DB-backed session, sign out, change the password.

A session id is 256 random bits handed to the browser once; the database keeps only its SHA-256, so a
copy of the table opens nothing. Every sign-in makes a new id (a session planted before sign-in is never
promoted), and failed sign-ins are throttled per account and per address.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

import sqlalchemy as sa

from obert.auth.actor import Actor
from obert.auth.audit import append
from obert.auth.passwords import hash_password, verify_password
from obert.auth.users import MIN_PASSWORD, actor_for_user
from obert.errors import FieldError, Invalid, RateLimited, Unauthorized, msg
from obert.ratelimit import RateLimiter
from obert.storage import Store
from obert.storage.tables.accounts import sessions
from obert.storage.tables.catalog import users

MAX_SECRET = 200  # a cookie longer than any id we issue is not worth hashing


@dataclass(frozen=True, slots=True)
class NewSession:
    """A fresh session: `secret` goes into the cookie once and is never stored."""

    secret: str
    csrf_token: str
    expires_at: datetime
    actor: Actor


@dataclass(frozen=True, slots=True)
class ActiveSession:
    actor: Actor
    csrf_token: str
    expires_at: datetime


def login(
    *,
    store: Store,
    limiter: RateLimiter,
    failures_budget: str,
    name: str,
    password: str,
    address: str,
    lifetime: timedelta,
    replaces: str | None = None,
) -> NewSession:
    """Check the password and open a session; throttled after `failures_budget` failures."""
    name = name.strip()[:100]
    keys = (("login-account", name.lower()), ("login-address", address))
    if any(limiter.exhausted(failures_budget, *key) for key in keys):
        with store.begin() as conn:
            append(
                conn,
                actor_id=None,
                action="login-throttled",
                object_type="login",
                object_id=name,
                after={"name": name, "address": address},
            )
        wait = max(limiter.retry_after(failures_budget, *key) for key in keys)
        raise RateLimited(msg("too many failed sign-ins: wait before trying again"), retry_after=wait)
    with store.read() as conn:
        row = conn.execute(
            sa.select(users.c.id, users.c.password_hash).where(
                users.c.name == name, users.c.state == "active"
            )
        ).first()
    # An unknown name costs a hash check too, so the answer's timing does not tell which accounts exist.
    stored = row.password_hash if row is not None and row.password_hash else _decoy_hash()
    if not verify_password(stored, password) or row is None or not row.password_hash:
        for key in keys:
            limiter.note(failures_budget, *key)
        with store.begin() as conn:
            append(
                conn,
                actor_id=row.id if row else None,
                action="login-failed",
                object_type="login",
                object_id=row.id if row else name,
                after={"name": name, "address": address},
            )
        raise Unauthorized(msg("wrong user name or password"))
    for key in keys[:1]:
        limiter.clear(failures_budget, *key)
    actor = actor_for_user(store=store, user_id=row.id)
    secret = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    expires = now + lifetime
    with store.begin() as conn:
        if replaces:
            _revoke(conn, replaces, now)
        conn.execute(
            sessions.insert().values(
                id_hash=_digest(secret), user_id=row.id, csrf_token=csrf, created_at=now, expires_at=expires
            )
        )
        append(
            conn,
            actor_id=row.id,
            action="login",
            object_type="session",
            object_id=_digest(secret)[:16],
            after={"address": address, "expires_at": expires.isoformat()},
        )
    return NewSession(secret, csrf, expires, actor)


def session_for(*, store: Store, secret: str) -> ActiveSession | None:
    """The live session a cookie names, or None when it is unknown, expired, revoked or malformed."""
    if not secret or len(secret) > MAX_SECRET:
        return None
    with store.read() as conn:
        row = conn.execute(sa.select(sessions).where(sessions.c.id_hash == _digest(secret))).first()
    if row is None or row.revoked_at is not None or row.expires_at <= datetime.now(UTC):
        return None
    try:
        actor = actor_for_user(store=store, user_id=row.user_id)
    except Unauthorized:
        return None
    return ActiveSession(actor, row.csrf_token, row.expires_at)


def logout(*, store: Store, secret: str) -> None:
    active = session_for(store=store, secret=secret)
    with store.begin() as conn:
        _revoke(conn, secret, datetime.now(UTC))
        if active:
            append(
                conn,
                actor_id=active.actor.user_id,
                action="logout",
                object_type="session",
                object_id=_digest(secret)[:16],
            )


def change_password(*, store: Store, actor: Actor, current: str, new: str) -> None:
    """Change the caller's password; every session of the account is signed out."""
    if not actor.authenticated or actor.user_id is None:
        raise Unauthorized(msg("sign in to change your password"))
    with store.read() as conn:
        stored = conn.execute(sa.select(users.c.password_hash).where(users.c.id == actor.user_id)).scalar()
    errors = []
    if not stored or not verify_password(stored, current):
        errors.append(FieldError("current_password", msg("this is not your current password")))
    if len(new) < MIN_PASSWORD:
        errors.append(
            FieldError("new_password", msg("at least {min_password} characters", min_password=MIN_PASSWORD))
        )
    elif new == current:
        errors.append(FieldError("new_password", msg("choose a password different from the current one")))
    if errors:
        raise Invalid(msg("the password was not changed"), errors=errors)
    now = datetime.now(UTC)
    with store.begin() as conn:
        conn.execute(
            users.update()
            .where(users.c.id == actor.user_id)
            .values(password_hash=hash_password(new), updated_at=now)
        )
        conn.execute(
            sessions.update()
            .where(sessions.c.user_id == actor.user_id, sessions.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        append(
            conn,
            actor_id=actor.user_id,
            action="password-change",
            object_type="user",
            object_id=actor.user_id,
        )


def csrf_matches(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())


def _revoke(conn: sa.Connection, secret: str, when: datetime) -> None:
    conn.execute(
        sessions.update()
        .where(sessions.c.id_hash == _digest(secret), sessions.c.revoked_at.is_(None))
        .values(revoked_at=when)
    )


@cache
def _decoy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
