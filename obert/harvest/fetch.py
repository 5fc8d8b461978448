"""Polite fetching for harvesters: a request rate per host, retries with back-off, clear errors.

Every request still goes through `obert.http.HttpClient`, so the SSRF guard, timeouts and size caps apply;
this module adds what a crawler owes the portals it reads: at most `per_second` requests per host, waiting
as long as a 429 or 503 asks (Retry-After), and retrying timeouts and server errors a few times with
jittered exponential back-off before giving up with `Unavailable`.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from obert.errors import FieldError, Invalid, Unavailable
from obert.http import HttpClient, Response

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER = 120.0  # a server asking for longer is treated as down for this run


class Fetcher:
    def __init__(
        self,
        http: HttpClient,
        *,
        per_second: float = 5.0,
        retries: int = 3,
        backoff: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.http = http
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self.retries = retries
        self.backoff = backoff
        self.requests = 0
        self._sleep = sleep
        self._next_slot: dict[str, float] = {}
        self._lock = threading.Lock()

    def get(
        self, url: str, *, headers: dict[str, str] | None = None, max_bytes: int | None = None
    ) -> Response:
        """The response to GET `url` once it answers 2xx; Unavailable after the retries run out."""
        last = ""
        for attempt in range(self.retries + 1):
            self._wait_turn(url)
            try:
                response = self.http.get(url, headers=headers, max_bytes=max_bytes)
            except Unavailable as exc:  # connection refused, timeout, reset
                last = exc.message
                delay = self._delay(attempt, None)
            else:
                if 200 <= response.status < 300:
                    return response
                if response.status not in RETRY_STATUSES:
                    raise Unavailable(f"{url} answered HTTP {response.status}")
                last = f"{url} answered HTTP {response.status}"
                delay = self._delay(attempt, response.headers.get("retry-after"))
            if attempt < self.retries:
                self._sleep(delay)
        raise Unavailable(f"{last} (gave up after {self.retries + 1} tries)")

    def json(self, url: str, *, max_bytes: int | None = None) -> object:
        response = self.get(url, headers={"Accept": "application/json"}, max_bytes=max_bytes)
        try:
            return json.loads(response.content)
        except (ValueError, UnicodeDecodeError) as exc:
            raise Invalid(
                f"{url} did not answer JSON", errors=[FieldError("url", f"not JSON: {str(exc)[:200]}")]
            ) from None
        except RecursionError:  # a document of nested brackets: one bad answer, not a crash of the run
            raise Invalid(
                f"{url} did not answer JSON", errors=[FieldError("url", "nested too deeply")]
            ) from None

    def _wait_turn(self, url: str) -> None:
        host = (urlsplit(url).hostname or "").lower()
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next_slot.get(host, now))
            self._next_slot[host] = slot + self.interval
            self.requests += 1
        if slot > now:
            self._sleep(slot - now)

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        asked = _retry_after_seconds(retry_after)
        if asked is not None:
            if asked > MAX_RETRY_AFTER:
                raise Unavailable(f"the source asks to wait {asked:.0f} s before trying again")
            return float(asked)
        return float(self.backoff * 2.0**attempt * random.uniform(0.5, 1.5))


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
