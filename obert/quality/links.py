"""What obert knows about whether a URL answers: the last link check's HTTP status, if any.

Checking links is background work (the jobs queue runs it and stores the results); scoring only reads
them through this Protocol, so scores never wait on the network.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol


class LinkStatus(Protocol):
    def status(self, url: str) -> int | None:
        """The HTTP status the URL last answered with, or None when it was never checked."""


@dataclass(frozen=True, slots=True)
class KnownStatuses:
    """Link statuses held in memory (the stored results of link checks, or a test's)."""

    statuses: Mapping[str, int] = field(default_factory=dict)

    def status(self, url: str) -> int | None:
        return self.statuses.get(url)


UNCHECKED = KnownStatuses()


def answers(status: int | None) -> bool:
    """MQA counts a URL as answering when it returned a 2xx or 3xx status."""
    return status is not None and 200 <= status < 400
