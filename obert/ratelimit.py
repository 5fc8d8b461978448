"""Request budgets: fixed windows counted in process by default, in Redis (with `limits`) when configured.

Budgets are written in the `limits` library's notation ("600 per minute"). Counting is fail-open: when
Redis is unreachable the request is served, because losing the counter must not take the portal down with
it. In process, each server process counts its own windows (`obert serve --workers N` without Redis gives
a caller up to N times a budget; with Redis the workers share one count).
"""

from __future__ import annotations

import math
import threading
import time
import uuid
from functools import cache
from typing import NamedTuple

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter
from limits.util import WindowStats

from obert.errors import FieldError, Invalid, RateLimited, msg


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
        self._storage = storage_from_string(storage_url) if storage_url else None
        self._limiter: FixedWindowRateLimiter | LocalWindows = (
            FixedWindowRateLimiter(self._storage) if self._storage else LocalWindows()
        )
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
            wait = self.retry_after(limit, *identifiers)
            raise RateLimited(
                msg(
                    "too many requests: the budget is {amount} every {seconds} s; try again in {wait} s",
                    amount=item.amount,
                    seconds=item.get_expiry(),
                    wait=wait,
                ),
                retry_after=wait,
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
        if self._storage is None:
            return True
        try:
            return bool(self._storage.check())
        except Exception:
            return False

    def clear(self, limit: str, *identifiers: str) -> None:
        try:
            self._limiter.clear(budget(limit), self._namespace, *identifiers)
        except Exception:
            return


class _Window(NamedTuple):
    ends: float  # time.time() when the window closes
    hits: int


class LocalWindows:
    """Fixed windows counted in this process, with the semantics of `limits`' memory storage (a window
    opens at its first hit and lasts the budget's period).

    That storage starts a timer thread every 10 ms while hits arrive, to expire keys; on a busy server
    that costs more than the request it meters. Here expired windows are swept on the way, at most once a
    `sweep_every` seconds.
    """

    def __init__(self, sweep_every: float = 10.0) -> None:
        self._windows: dict[str, _Window] = {}
        self._lock = threading.Lock()
        self._sweep_every = sweep_every
        self._next_sweep = time.time() + sweep_every

    def hit(self, item: RateLimitItem, *identifiers: str, cost: int = 1) -> bool:
        key = item.key_for(*identifiers)
        now = time.time()
        with self._lock:
            if now >= self._next_sweep:
                self._sweep(now)
            window = self._windows.get(key)
            if window is None or window.ends <= now:
                window = _Window(now + item.get_expiry(), cost)
            else:
                window = _Window(window.ends, window.hits + cost)
            self._windows[key] = window
        return window.hits <= item.amount

    def test(self, item: RateLimitItem, *identifiers: str, cost: int = 1) -> bool:
        return self._hits(item.key_for(*identifiers)) < item.amount - cost + 1

    def get_window_stats(self, item: RateLimitItem, *identifiers: str) -> WindowStats:
        key = item.key_for(*identifiers)
        with self._lock:
            window = self._windows.get(key)
        if window is None or window.ends <= time.time():
            return WindowStats(time.time(), item.amount)
        return WindowStats(window.ends, max(0, item.amount - window.hits))

    def clear(self, item: RateLimitItem, *identifiers: str) -> None:
        with self._lock:
            self._windows.pop(item.key_for(*identifiers), None)

    def _hits(self, key: str) -> int:
        with self._lock:
            window = self._windows.get(key)
        return 0 if window is None or window.ends <= time.time() else window.hits

    def _sweep(self, now: float) -> None:
        self._windows = {k: w for k, w in self._windows.items() if w.ends > now}
        self._next_sweep = now + self._sweep_every
