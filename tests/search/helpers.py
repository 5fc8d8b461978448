from __future__ import annotations

from typing import Any

from obert.auth import SYSTEM, Actor, Role
from obert.catalog import datasets, organizations
from obert.catalog.common import validated
from obert.catalog.models import Dataset, DatasetInput, OrganizationInput
from obert.portal import Portal


def add_dataset(
    portal: Portal,
    name: str,
    *,
    title: str,
    description: str = "",
    keywords: list[str] | None = None,
    actor: Actor = SYSTEM,
    **fields: Any,
) -> Dataset:
    data = {
        "name": name,
        "title": {"ca": title},
        "description": {"ca": description} if description else {},
        "keywords": {"ca": keywords} if keywords else {},
        **fields,
    }
    return datasets.create_dataset(store=portal.store, actor=actor, data=validated(DatasetInput, data))


def member_of(portal: Portal, org_name: str, role: Role = Role.MEMBER) -> Actor:
    org = organizations.get_organization(store=portal.store, ref=org_name)
    return Actor(user_id=f"user-{org_name}", name=f"user-{org_name}", roles={org.id: role})


def make_org(portal: Portal, name: str, title: str) -> str:
    data = validated(OrganizationInput, {"name": name, "title": {"ca": title, "en": title}})
    return organizations.create_organization(store=portal.store, actor=SYSTEM, data=data).id
