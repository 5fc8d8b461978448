from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from obert.portal import Portal
from tests.security.fast_hash import fast_password_hashing
from tests.security.world import World, build_world

__all__ = ["fast_password_hashing"]


@pytest.fixture
def world(client: TestClient, portal: Portal) -> World:
    return build_world(client, portal)
