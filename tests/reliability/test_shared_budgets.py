"""In scale-out, every web process of a portal spends the same request budgets through Redis."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from obert.errors import RateLimited
from obert.portal import build_portal
from obert.settings import Settings


@pytest.mark.redis
def test_two_processes_of_one_portal_share_a_budget_and_other_portals_do_not(tmp_path: Path) -> None:
    url = os.environ.get("OBERT_TEST_REDIS_URL")
    if not url:
        pytest.skip("OBERT_TEST_REDIS_URL is not set")
    settings = Settings(mode="test", data_dir=tmp_path / "a", redis_url=url)
    first, second = build_portal(settings), build_portal(settings)  # as two `obert serve` processes build it
    other = build_portal(Settings(mode="test", data_dir=tmp_path / "b", redis_url=url))
    first.limiter.hit("2 per minute", "read", "ip:10.0.0.1")
    second.limiter.hit("2 per minute", "read", "ip:10.0.0.1")
    with pytest.raises(RateLimited):
        first.limiter.hit("2 per minute", "read", "ip:10.0.0.1")
    other.limiter.hit("2 per minute", "read", "ip:10.0.0.1")  # another portal's budget is its own
