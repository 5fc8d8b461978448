"""In-memory usage counters, drained into the store every few seconds.

Requests are counted against the reference they name (a dataset's name or id, or a resource's), which is
resolved to a dataset only when the counts are flushed, so counting costs a dictionary update. Losing
the counts of the last few seconds in a crash is the accepted price of not writing on every request.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from datetime import UTC, date, datetime
from typing import Literal, TypeAlias

Kind: TypeAlias = Literal["view", "download", "api", "bot"]
RefType: TypeAlias = Literal["dataset", "resource"]
Key: TypeAlias = tuple[RefType, str, date, Kind]
KINDS: tuple[Kind, ...] = ("view", "download", "api", "bot")

# Self-declared crawlers and link expanders. Their requests are counted apart (kind "bot"), so people's
# figures are not inflated, and the user agent itself is only looked at, never kept.
_BOT = re.compile(
    r"bot\b|bot/|crawl|spider|slurp|archiver|facebookexternalhit|embedly|preview|monitor|headlesschrome",
    re.IGNORECASE,
)


def is_bot(user_agent: str) -> bool:
    return bool(_BOT.search(user_agent))


class UsageCounter:
    """Thread-safe counts waiting to be flushed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[Key] = Counter()

    def add(self, ref_type: RefType, ref: str, kind: Kind, *, day: date | None = None) -> None:
        key: Key = (ref_type, ref, day or datetime.now(UTC).date(), kind)
        with self._lock:
            self._counts[key] += 1

    def drain(self) -> dict[Key, int]:
        """Take every pending count (the counter starts again from zero)."""
        with self._lock:
            counts, self._counts = self._counts, Counter()
        return dict(counts)

    def restore(self, counts: dict[Key, int]) -> None:
        """Put drained counts back after a failed flush, so the next one writes them."""
        with self._lock:
            self._counts.update(counts)
