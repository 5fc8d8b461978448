"""API tokens as their owners manage them: list mine, issue one (the secret shown once), revoke one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from obert.auth.actor import Actor, Scope
from obert.auth.users import IssuedToken, create_token, revoke_token, token_days
from obert.errors import FieldError, Forbidden, Invalid, NotFound, Unauthorized, msg
from obert.storage import Store
from obert.storage.tables.catalog import api_tokens


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """What an owner may see of a token: never its secret (only its hash is kept anyway)."""

    id: str
    name: str
    scope: Scope
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > datetime.now(UTC)


def list_tokens(*, store: Store, actor: Actor) -> list[TokenInfo]:
    user_id = _owner(actor)
    with store.read() as conn:
        rows = conn.execute(
            sa.select(api_tokens)
            .where(api_tokens.c.user_id == user_id)
            .order_by(api_tokens.c.created_at.desc())
        ).all()
    return [TokenInfo(r.id, r.name, Scope(r.scope), r.created_at, r.expires_at, r.revoked_at) for r in rows]


def issue_token(
    *, store: Store, actor: Actor, name: str, scope: Scope, expires_in_days: int | None, max_live: int
) -> IssuedToken:
    """A new token for the caller, at most `max_live` live ones each (OBERT_MAX_TOKENS_PER_USER). A
    read-only token cannot mint a token, so scopes never widen."""
    user_id = _owner(actor)
    if not actor.can_write:
        raise Forbidden(msg("a read-only token cannot create tokens"))
    errors = []
    if not name.strip() or len(name) > 200:
        errors.append(FieldError("name", msg("give the token a name of 1-200 characters")))
    try:
        token_days(expires_in_days)
    except Invalid as exc:
        errors.extend(exc.errors)
    if errors:
        raise Invalid(msg("the token cannot be created"), errors=errors)
    return create_token(
        store=store,
        user_ref=user_id,
        name=name.strip(),
        scope=scope,
        expires_in_days=expires_in_days,
        max_live=max_live,
        actor=actor,
    )


def revoke_my_token(*, store: Store, actor: Actor, token_id: str) -> None:
    """Revoke one of the caller's tokens (site administrators may revoke anyone's)."""
    user_id = _owner(actor)
    if not actor.can_write:
        raise Forbidden(msg("a read-only token cannot revoke tokens"))
    with store.read() as conn:
        owner = conn.execute(sa.select(api_tokens.c.user_id).where(api_tokens.c.id == token_id)).scalar()
    if owner is None or (owner != user_id and not actor.sysadmin):
        raise NotFound(msg("no token '{token_id}'", token_id=token_id))
    revoke_token(store=store, token_id=token_id, actor=actor)


def _owner(actor: Actor) -> str:
    if actor.user_id is None:
        raise Unauthorized(msg("sign in or send an API token to manage tokens"))
    return actor.user_id
