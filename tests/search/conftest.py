from __future__ import annotations

from typing import Any

import pytest

from obert.demo import demo_catalog
from obert.portal import Portal
from tests.demo_copy import ensure_demo


@pytest.fixture
def demo(portal: Portal) -> Portal:
    """The portal with the demo catalogue (mark the test `demo` to have it copied in, not loaded)."""
    return ensure_demo(portal)


@pytest.fixture
def catalog() -> dict[str, Any]:
    return demo_catalog()
