"""Request-scoped dependencies shared by the API routes and the web pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from obert.auth import ANONYMOUS, Actor
from obert.auth.users import actor_for_token
from obert.errors import Unauthorized
from obert.portal import Portal


def get_portal(request: Request) -> Portal:
    portal: Portal = request.app.state.portal
    return portal


def get_actor(request: Request) -> Actor:
    """The caller named by `Authorization: Bearer <token>` (or the bare token, as CKAN clients send it)."""
    header = request.headers.get("authorization", "").strip()
    if not header:
        return ANONYMOUS
    scheme, _, rest = header.partition(" ")
    secret = rest.strip() if scheme.lower() == "bearer" else header
    return actor_for_token(store=get_portal(request).store, secret=secret)


def get_writer(request: Request) -> Actor:
    """The caller of a write route: refused before the body is even read when it sends no token."""
    actor = get_actor(request)
    if not actor.authenticated:
        raise Unauthorized("send an API token (Authorization: Bearer <token>) to change the catalogue")
    return actor


PortalDep = Annotated[Portal, Depends(get_portal)]
ActorDep = Annotated[Actor, Depends(get_actor)]
WriterDep = Annotated[Actor, Depends(get_writer)]
