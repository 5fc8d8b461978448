"""Sign in, sign out, change the password, manage API tokens: the account pages."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from obert.auth import Scope, sessions, tokens
from obert.deps import PRE_SESSION_COOKIE, SESSION_COOKIE, ActorDep, CsrfDep, PortalDep
from obert.errors import Invalid, RateLimited, Unauthorized, msg
from obert.faces import rules
from obert.web.face import PAGES
from obert.web.forms import errors_by_field, is_https, page, redirect

router = PAGES.router(include_in_schema=False)
Text = Annotated[str, Form(max_length=1000)]


def _safe_next(target: str | None) -> str:
    # Only a path on this site: "//evil.example" or "https://..." would turn sign-in into an open redirect.
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/publish"


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, actor: ActorDep, next: str | None = None) -> Response:
    return page(request, "account/login.html", actor=actor, next=_safe_next(next), error=None)


@router.post("/login", dependencies=[CsrfDep])
@rules(budget="login")
def login(
    request: Request,
    portal: PortalDep,
    actor: ActorDep,
    name: Text,
    password: Text,
    next: Annotated[str | None, Form(max_length=1000)] = None,
) -> Response:
    settings = portal.settings
    address = request.client.host if request.client else "unknown"
    try:
        opened = sessions.login(
            store=portal.store,
            limiter=portal.limiter,
            failures_budget=settings.login_failures,
            name=name,
            password=password,
            address=address,
            lifetime=timedelta(hours=settings.session_hours),
            replaces=request.cookies.get(SESSION_COOKIE),
        )
    except (Unauthorized, RateLimited) as exc:
        refused = page(
            request,
            "account/login.html",
            actor=actor,
            status=exc.status,
            next=_safe_next(next),
            error=exc.message,
            name=name,
        )
        if isinstance(exc, RateLimited):
            refused.headers["Retry-After"] = str(exc.retry_after)
        return refused
    response = RedirectResponse(_localised(request, _safe_next(next)), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        opened.secret,
        max_age=int(settings.session_hours * 3600),
        httponly=True,
        samesite="lax",
        secure=is_https(request),
        path="/",
    )
    response.delete_cookie(PRE_SESSION_COOKIE, path="/")
    return response


@router.post("/logout", dependencies=[CsrfDep])
def logout(request: Request, portal: PortalDep) -> Response:
    secret = request.cookies.get(SESSION_COOKIE)
    if secret:
        sessions.logout(store=portal.store, secret=secret)
    response = redirect(request, "/")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/account/password", response_class=HTMLResponse)
def password_form(request: Request, actor: ActorDep) -> Response:
    _signed_in(actor.authenticated)
    return page(request, "account/password.html", actor=actor, errors={}, done=False)


@router.post("/account/password", dependencies=[CsrfDep])
def change_password(
    request: Request, portal: PortalDep, actor: ActorDep, current_password: Text, new_password: Text
) -> Response:
    _signed_in(actor.authenticated)
    try:
        sessions.change_password(store=portal.store, actor=actor, current=current_password, new=new_password)
    except Invalid as exc:
        return page(
            request,
            "account/password.html",
            actor=actor,
            status=422,
            errors=errors_by_field(exc.errors),
            done=False,
        )
    # Every session was closed, this one included: sign in again with the new password.
    response = redirect(request, "/login?next=/publish")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/account/tokens", response_class=HTMLResponse)
def token_list(request: Request, portal: PortalDep, actor: ActorDep) -> Response:
    _signed_in(actor.authenticated)
    mine = tokens.list_tokens(store=portal.store, actor=actor)
    return page(request, "account/tokens.html", actor=actor, tokens=mine, issued=None, errors={})


@router.post("/account/tokens", dependencies=[CsrfDep])
def token_create(
    request: Request,
    portal: PortalDep,
    actor: ActorDep,
    name: Text,
    scope: Annotated[Scope, Form()] = Scope.READ,
    expires_in_days: Annotated[str, Form(max_length=10)] = "90",
) -> Response:
    _signed_in(actor.authenticated)
    issued = None
    errors: dict[str, list[str]] = {}
    days = int(expires_in_days) if expires_in_days.isdigit() else None
    if expires_in_days and days is None:
        errors = {"expires_in_days": [msg("a whole number of days")]}
    else:
        try:
            issued = tokens.issue_token(
                store=portal.store,
                actor=actor,
                name=name,
                scope=scope,
                expires_in_days=days,
                max_live=portal.settings.max_tokens_per_user,
            )
        except Invalid as exc:
            errors = errors_by_field(exc.errors)
    mine = tokens.list_tokens(store=portal.store, actor=actor)
    return page(
        request,
        "account/tokens.html",
        actor=actor,
        tokens=mine,
        issued=issued,
        errors=errors,
        status=201 if issued else 422,
    )


@router.post("/account/tokens/{token_id}/revoke", dependencies=[CsrfDep])
def token_revoke(request: Request, portal: PortalDep, actor: ActorDep, token_id: str) -> Response:
    _signed_in(actor.authenticated)
    tokens.revoke_my_token(store=portal.store, actor=actor, token_id=token_id)
    return redirect(request, "/account/tokens")


def _signed_in(ok: bool) -> None:
    if not ok:
        raise Unauthorized("sign in first")


def _localised(request: Request, path: str) -> str:
    lang = request.state.lang
    return path if path.startswith(f"/{lang}/") else f"/{lang}{path}"
