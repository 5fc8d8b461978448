"""Webhook subscriptions: anyone with an account follows a dataset, a publisher or a saved search."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlsplit

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy.engine import Connection, Row

from obert.auth import Actor
from obert.catalog.access import load_dataset
from obert.catalog.common import check_limit, now
from obert.catalog.fields import Strict, ThemeCode, Url
from obert.catalog.organizations import resolve_organization_id
from obert.errors import FieldError, Forbidden, Invalid, NotFound, Unauthorized, Unavailable, msg
from obert.http import HttpClient
from obert.notify.search import SavedSearch
from obert.storage import Store
from obert.storage.tables.transparency import subscriptions, webhook_deliveries

TargetType = Literal["dataset", "organization", "search"]
MAX_PER_OWNER = 100


class SearchInput(Strict):
    q: str = Field(default="", max_length=200)
    theme: ThemeCode | None = None
    organization: str | None = None


class SubscriptionInput(Strict):
    """Exactly one of `dataset`, `organization` and `search` says what to follow."""

    url: Url
    dataset: str | None = Field(default=None, description="id or name of the dataset to follow")
    organization: str | None = Field(default=None, description="id or name of the publisher to follow")
    search: SearchInput | None = Field(default=None, description="a saved search to follow")

    @model_validator(mode="after")
    def _one_target(self) -> SubscriptionInput:
        given = [n for n in ("dataset", "organization", "search") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError(msg("give exactly one of dataset, organization or search"))
        return self


class SubscriptionPatch(Strict):
    url: Url | None = None
    active: bool | None = Field(default=None, description="true re-enables a disabled subscription")


class Subscription(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    target_type: TargetType
    target: dict[str, Any]
    url: str
    active: bool
    disabled_reason: str | None
    consecutive_failures: int
    created_at: datetime
    updated_at: datetime


class CreatedSubscription(Subscription):
    secret: str = Field(description="signs every delivery; shown only now, keep it")


class Delivery(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    event_id: str
    event_type: str
    state: str
    attempts: int
    last_status: int | None
    last_error: str | None
    last_duration_ms: int | None
    created_at: datetime
    last_attempt_at: datetime | None
    delivered_at: datetime | None


def check_url(http: HttpClient, url: str) -> None:
    """Refuse a URL the SSRF guard would refuse, now rather than at the first delivery."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Invalid(msg("a webhook needs an http or https URL"), errors=[FieldError("url", url)])
    try:
        http.check(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    except (Forbidden, Unavailable) as exc:
        raise Invalid(
            msg("this URL cannot receive webhooks"), errors=[FieldError("url", exc.message)]
        ) from exc


def create_subscription(
    *, store: Store, http: HttpClient, actor: Actor, data: SubscriptionInput
) -> CreatedSubscription:
    owner = _owner(actor)
    check_url(http, data.url)
    stamp = now()
    sub_id = str(uuid.uuid4())
    secret = "whsec_" + secrets.token_urlsafe(32)
    with store.begin() as conn:
        count = conn.execute(
            sa.select(sa.func.count()).select_from(subscriptions).where(subscriptions.c.owner_id == owner)
        ).scalar_one()
        if count >= MAX_PER_OWNER:
            raise Invalid(
                msg("an account can have at most {max_per_owner} subscriptions", max_per_owner=MAX_PER_OWNER)
            )
        target_type, target = _target(conn, actor, data)
        conn.execute(
            subscriptions.insert().values(
                id=sub_id,
                owner_id=owner,
                target_type=target_type,
                target=target,
                url=data.url,
                secret=secret,
                active=True,
                disabled_reason=None,
                consecutive_failures=0,
                created_at=stamp,
                updated_at=stamp,
            )
        )
        created = _load(conn, owner, sub_id)
    return CreatedSubscription(**created.model_dump(), secret=secret)


def list_subscriptions(*, store: Store, actor: Actor) -> list[Subscription]:
    owner = _owner(actor)
    with store.read() as conn:
        rows = conn.execute(
            sa.select(subscriptions)
            .where(subscriptions.c.owner_id == owner)
            .order_by(subscriptions.c.created_at, subscriptions.c.id)
        )
        return [_to_model(r) for r in rows]


def get_subscription(*, store: Store, actor: Actor, subscription_id: str) -> Subscription:
    with store.read() as conn:
        return _load(conn, _owner(actor), subscription_id)


def update_subscription(
    *, store: Store, http: HttpClient, actor: Actor, subscription_id: str, patch: SubscriptionPatch
) -> Subscription:
    owner = _owner(actor)
    values: dict[str, Any] = {"updated_at": now()}
    if patch.url is not None:
        check_url(http, patch.url)
        values["url"] = patch.url
    if patch.active is not None:
        values["active"] = patch.active
        if patch.active:
            values |= {"disabled_reason": None, "consecutive_failures": 0}
        else:
            values["disabled_reason"] = "paused by its owner"
    with store.begin() as conn:
        _load(conn, owner, subscription_id)
        conn.execute(subscriptions.update().where(subscriptions.c.id == subscription_id).values(**values))
        return _load(conn, owner, subscription_id)


def delete_subscription(*, store: Store, actor: Actor, subscription_id: str) -> None:
    owner = _owner(actor)
    with store.begin() as conn:
        _load(conn, owner, subscription_id)
        conn.execute(
            webhook_deliveries.delete().where(webhook_deliveries.c.subscription_id == subscription_id)
        )
        conn.execute(subscriptions.delete().where(subscriptions.c.id == subscription_id))


def list_deliveries(*, store: Store, actor: Actor, subscription_id: str, limit: int = 50) -> list[Delivery]:
    """The subscription's latest deliveries, newest first: status codes, attempts, timings, last error."""
    check_limit(limit)
    with store.read() as conn:
        _load(conn, _owner(actor), subscription_id)
        rows = conn.execute(
            sa.select(webhook_deliveries)
            .where(webhook_deliveries.c.subscription_id == subscription_id)
            .order_by(webhook_deliveries.c.created_at.desc(), webhook_deliveries.c.activity_id.desc())
            .limit(limit)
        )
        return [
            Delivery(
                id=r.id,
                event_id=str(r.activity_id),
                event_type=r.event_type,
                state=r.state,
                attempts=r.attempts,
                last_status=r.last_status,
                last_error=r.last_error,
                last_duration_ms=r.last_duration_ms,
                created_at=r.created_at,
                last_attempt_at=r.last_attempt_at,
                delivered_at=r.delivered_at,
            )
            for r in rows
        ]


def _owner(actor: Actor) -> str:
    if actor.user_id is None:
        raise Unauthorized(msg("sign in (send an API token) to manage webhook subscriptions"))
    return actor.user_id


def _target(conn: Connection, actor: Actor, data: SubscriptionInput) -> tuple[TargetType, dict[str, Any]]:
    if data.dataset is not None:
        try:
            dataset = load_dataset(conn, actor, data.dataset)
        except NotFound:
            raise Invalid(
                msg("unknown dataset"),
                errors=[FieldError("dataset", msg("no dataset '{dataset}'", dataset=data.dataset))],
            ) from None
        return "dataset", {"dataset_id": dataset.id, "name": dataset.name}
    if data.organization is not None:
        return "organization", {"organization_id": _organization_id(conn, data.organization, "organization")}
    assert data.search is not None  # the model validator saw to it
    org = data.search.organization
    search = SavedSearch(
        q=data.search.q.strip(),
        theme=data.search.theme,
        organization=_organization_id(conn, org, "search.organization") if org else None,
    )
    return "search", search.as_json()


def _organization_id(conn: Connection, ref: str, field: str) -> str:
    try:
        return resolve_organization_id(conn, ref)
    except NotFound:
        raise Invalid(
            msg("unknown publisher"), errors=[FieldError(field, msg("no organisation '{ref}'", ref=ref))]
        ) from None


def _load(conn: Connection, owner: str, subscription_id: str) -> Subscription:
    row = conn.execute(
        sa.select(subscriptions).where(
            subscriptions.c.id == subscription_id, subscriptions.c.owner_id == owner
        )
    ).first()
    if row is None:
        raise NotFound(msg("you have no subscription '{subscription_id}'", subscription_id=subscription_id))
    return _to_model(row)


def _to_model(row: Row[Any]) -> Subscription:
    return Subscription(
        id=row.id,
        target_type=row.target_type,
        target=row.target,
        url=row.url,
        active=row.active,
        disabled_reason=row.disabled_reason,
        consecutive_failures=row.consecutive_failures,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
