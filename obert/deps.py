"""Request-scoped dependencies shared by the API routes and the web pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from obert.auth import ANONYMOUS, Actor
from obert.auth.sessions import ActiveSession, csrf_matches, session_for
from obert.auth.users import actor_for_token, token_secret
from obert.errors import Forbidden, Unauthorized
from obert.portal import Portal
from obert.requestctx import USER_SCOPE_KEY

SESSION_COOKIE = "obert_session"
CSRF_FIELD = "csrf_token"
# Signed-out forms (sign-in) carry a double-submit token: a random cookie echoed by a hidden field.
PRE_SESSION_COOKIE = "obert_csrf"


def get_portal(request: Request) -> Portal:
    portal: Portal = request.app.state.portal
    return portal


def reads_sessions(request: Request) -> bool:
    """Whether the face of the matched route lets a session cookie name the caller (pages do; the APIs
    read tokens only, so CSRF cannot reach them)."""
    face = getattr(request.scope.get("route"), "face", None)
    return True if face is None else bool(face.sessions)


def get_session(request: Request) -> ActiveSession | None:
    """The browser session of a page request. The JSON API never looks at cookies, so CSRF cannot reach it."""
    if not reads_sessions(request):
        return None
    cached = request.scope.get("obert.session", False)
    if cached is not False:
        return cached  # type: ignore[no-any-return]
    secret = request.cookies.get(SESSION_COOKIE, "")
    active = session_for(store=get_portal(request).store, secret=secret) if secret else None
    request.scope["obert.session"] = active
    return active


def get_actor(request: Request) -> Actor:
    """The caller named by `Authorization: Bearer <token>` (or the bare token, as CKAN clients send it),
    or, on pages only, by the session cookie."""
    header = request.headers.get("authorization", "").strip()
    if not header:
        session = get_session(request)
        actor = session.actor if session else ANONYMOUS
    else:
        actor = actor_for_token(store=get_portal(request).store, secret=token_secret(header))
    if actor.user_id is not None:
        request.scope[USER_SCOPE_KEY] = actor.user_id  # for the request's log event
    return actor


def get_writer(request: Request) -> Actor:
    """The caller of a write route: refused before the body is even read when it sends no token."""
    actor = get_actor(request)
    if not actor.authenticated:
        raise Unauthorized("send an API token (Authorization: Bearer <token>) to change the catalogue")
    return actor


# FastAPI runs a plain `def` dependency in its thread pool; on the busiest reads (an anonymous API call)
# that hand-off costs more than the dependency itself. These answer on the event loop when nothing
# needs the database, and go to the thread pool only for a token or a session to look up.
async def _portal_dep(request: Request) -> Portal:
    return get_portal(request)


async def _actor_dep(request: Request) -> Actor:
    if not request.headers.get("authorization", "").strip() and (
        not reads_sessions(request) or SESSION_COOKIE not in request.cookies
    ):
        return ANONYMOUS
    return await run_in_threadpool(get_actor, request)


async def check_csrf(request: Request) -> None:
    """The one CSRF check of every state-changing form: the hidden field must match the session's token
    (or, signed out, the pre-session cookie)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    form = await request.form()
    given = form.get(CSRF_FIELD)
    given_text = given if isinstance(given, str) else None
    session = get_session(request)
    expected = session.csrf_token if session else request.cookies.get(PRE_SESSION_COOKIE, "")
    if not expected or not csrf_matches(expected, given_text):
        raise Forbidden("the form has expired or did not come from this site: reload the page and try again")


async def get_form(request: Request) -> FormData:
    """The posted form, parsed once (the CSRF check has usually parsed it already)."""
    return await request.form()


PortalDep = Annotated[Portal, Depends(_portal_dep)]
ActorDep = Annotated[Actor, Depends(_actor_dep)]
WriterDep = Annotated[Actor, Depends(get_writer)]
SessionDep = Annotated[ActiveSession | None, Depends(get_session)]
CsrfDep = Depends(check_csrf)
FormDep = Annotated[FormData, Depends(get_form)]
