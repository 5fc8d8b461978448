"""/api/v1/subscriptions: one's own webhook subscriptions and their delivery logs.

Every delivery is a POST of the event as JSON, signed with the subscription's secret: the header
``X-Obert-Signature: t=<unix time>,v1=<hex>`` carries ``HMAC-SHA256(secret, "<t>.<raw body>")``. Verify it
by recomputing the HMAC over the raw body, comparing in constant time and refusing old timestamps.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Response

from obert.api.face import NATIVE
from obert.deps import PortalDep, WriterDep
from obert.notify import subscriptions as service
from obert.notify.subscriptions import (
    CreatedSubscription,
    Delivery,
    Subscription,
    SubscriptionInput,
    SubscriptionPatch,
)

router = NATIVE.router(prefix="/api/v1/subscriptions", tags=["subscriptions"])


@router.post("", status_code=201, response_model=CreatedSubscription)
def create_subscription(portal: PortalDep, actor: WriterDep, data: SubscriptionInput) -> CreatedSubscription:
    """Follow a dataset, a publisher or a saved search (`q`, `theme`, `organization`). The answer holds the
    signing secret, shown only now.

    Each public change is POSTed to `url` as JSON (`id`, `type`, `occurred_at`, `dataset`, `resource`,
    `changes`, `summary` in ca/es/en), with `X-Obert-Event`, `X-Obert-Delivery` and
    `X-Obert-Signature: t=<unix time>,v1=<hex>`. To verify it, compute
    `hex(HMAC-SHA256(secret, "<t>." + raw body))`, compare it with `v1` in constant time, and refuse a `t`
    more than five minutes away from now. Answer 2xx within 10 seconds; anything else is retried with
    exponential back-off, and a URL failing 20 times in a row is disabled (see `disabled_reason`)."""
    return service.create_subscription(store=portal.store, http=portal.http, actor=actor, data=data)


@router.get("", response_model=list[Subscription])
def list_subscriptions(portal: PortalDep, actor: WriterDep) -> list[Subscription]:
    """The caller's webhook subscriptions."""
    return service.list_subscriptions(store=portal.store, actor=actor)


@router.get("/{subscription_id}", response_model=Subscription)
def get_subscription(portal: PortalDep, actor: WriterDep, subscription_id: str) -> Subscription:
    """One subscription, with its state and its latest delivery outcome."""
    return service.get_subscription(store=portal.store, actor=actor, subscription_id=subscription_id)


@router.patch("/{subscription_id}", response_model=Subscription)
def update_subscription(
    portal: PortalDep, actor: WriterDep, subscription_id: str, patch: SubscriptionPatch
) -> Subscription:
    """Change the URL, or pause (`active: false`) or re-enable (`active: true`) the subscription."""
    return service.update_subscription(
        store=portal.store, http=portal.http, actor=actor, subscription_id=subscription_id, patch=patch
    )


@router.delete("/{subscription_id}", status_code=204)
def delete_subscription(portal: PortalDep, actor: WriterDep, subscription_id: str) -> Response:
    """Stop and delete a subscription."""
    service.delete_subscription(store=portal.store, actor=actor, subscription_id=subscription_id)
    return Response(status_code=204)


@router.get("/{subscription_id}/deliveries", response_model=list[Delivery])
def list_deliveries(
    portal: PortalDep,
    actor: WriterDep,
    subscription_id: str,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> list[Delivery]:
    """The latest deliveries of a subscription: status code, attempts and time of each."""
    return service.list_deliveries(
        store=portal.store, actor=actor, subscription_id=subscription_id, limit=limit
    )
