from __future__ import annotations

from typing import Any

import pytest

from obert.auth import SYSTEM, Actor, Role
from obert.catalog import organizations
from obert.catalog.common import validated
from obert.catalog.models import OrganizationInput
from obert.demo import demo_catalog, load_demo
from obert.portal import Portal


@pytest.fixture
def demo(portal: Portal) -> Portal:
    load_demo(portal)
    return portal


@pytest.fixture
def catalog() -> dict[str, Any]:
    return demo_catalog()


def member_of(portal: Portal, org_name: str, role: Role = Role.MEMBER) -> Actor:
    org = organizations.get_organization(store=portal.store, ref=org_name)
    return Actor(user_id=f"user-{org_name}", name=f"user-{org_name}", roles={org.id: role})


def make_org(portal: Portal, name: str, title: str) -> str:
    data = validated(OrganizationInput, {"name": name, "title": {"ca": title, "en": title}})
    return organizations.create_organization(store=portal.store, actor=SYSTEM, data=data).id
