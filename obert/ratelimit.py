"""Request budgets counted with the `limits` library: in process by default, in Redis when configured.

Budgets are written in the library's notation ("600 per minute"). Counting is fail-open: when Redis is
unreachable the request is served, because losing the counter must not take the portal down with it.
"""

from __future__ import annotations

import math
import time
import uuid
from functools import cache

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from obert.errors import FieldError, Invalid, RateLimited


@cache
def budget(text: str) -> RateLimitItem:
    """Parse a budget such as "10 per minute"; Invalid names the bad setting."""
    try:
        return parse(text)
    except ValueError as exc:
        raise Invalid("bad rate limit", errors=[FieldError("rate_limit", f"{text!r}: {exc}")]) from exc


class RateLimiter:
    """Counts hits per (budget, identifiers) and refuses the ones over budget."""

    def __init__(self, storage_url: str | None = None, *, namespace: str | None = None) -> None:
        self._storage = storage_from_string(storage_url or "memory://")
        self._limiter = FixedWindowRateLimiter(self._storage)
        # Several portals may share one Redis (tests do): each counts in its own namespace.
        self._namespace = namespace or uuid.uuid4().hex[:12]

    def hit(self, limit: str, *identifiers: str) -> None:
        """Count one hit; RateLimited (with the seconds to wait) when the budget is spent."""
        item = budget(limit)
        try:
            allowed = self._limiter.hit(item, self._namespace, *identifiers)
        except Exception:  # the counter's backend is down: serve rather than refuse everyone
            return
        if not allowed:
            raise RateLimited(
                f"too many requests: the budget is {limit}", retry_after=self.retry_after(limit, *identifiers)
            )

    def note(self, limit: str, *identifiers: str) -> bool:
        """Count one hit without refusing anything; False once the budget is spent."""
        try:
            return bool(self._limiter.hit(budget(limit), self._namespace, *identifiers))
        except Exception:
            return True

    def exhausted(self, limit: str, *identifiers: str) -> bool:
        try:
            return not self._limiter.test(budget(limit), self._namespace, *identifiers)
        except Exception:
            return False

    def retry_after(self, limit: str, *identifiers: str) -> int:
        try:
            stats = self._limiter.get_window_stats(budget(limit), self._namespace, *identifiers)
        except Exception:
            return 1
        return max(1, math.ceil(stats.reset_time - time.time()))

    def reachable(self) -> bool:
        """Whether the counter's backend answers (always, in process); for readiness checks."""
        try:
            return bool(self._storage.check())
        except Exception:
            return False

    def clear(self, limit: str, *identifiers: str) -> None:
        try:
            self._limiter.clear(budget(limit), self._namespace, *identifiers)
        except Exception:
            return
