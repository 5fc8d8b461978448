"""The request being served (or the job being run), for logs and for the jobs a request queues.

A context variable, not an argument threaded through every service: the request id is bookkeeping that
no business rule reads, and the job queue, several layers down, stores it with each job it adds so that a
request and the work it set off can be followed in the logs under one id.
"""

from __future__ import annotations

from contextvars import ContextVar, Token

# The signed-in account of a request, left in the ASGI scope by the dependency that resolves the caller
# (a dependency may run in a worker thread, whose context does not flow back to the request's).
USER_SCOPE_KEY = "obert.user_id"

_request_id: ContextVar[str | None] = ContextVar("obert_request_id", default=None)


def current_request_id() -> str | None:
    return _request_id.get()


def bind_request_id(request_id: str | None) -> Token[str | None]:
    """Name the request (or job) this context serves; `unbind` with the token undoes it."""
    return _request_id.set(request_id)


def unbind(token: Token[str | None]) -> None:
    _request_id.reset(token)
