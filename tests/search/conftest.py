from __future__ import annotations

from typing import Any

import pytest

from obert.demo import demo_catalog, load_demo
from obert.portal import Portal


@pytest.fixture
def demo(portal: Portal) -> Portal:
    load_demo(portal)
    return portal


@pytest.fixture
def catalog() -> dict[str, Any]:
    return demo_catalog()
