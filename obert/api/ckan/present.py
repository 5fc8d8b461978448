"""Building CKAN dicts for several datasets with the publishers and groups they refer to loaded once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from obert.api.ckan.mapping import ckan_time, package_dict
from obert.auth import Actor
from obert.catalog import organizations
from obert.catalog.groups import Group, group_names_by_dataset, list_groups
from obert.catalog.models import Dataset, Organization
from obert.i18n import pick
from obert.portal import Portal
from obert.tableservice.originals import downloads


def group_dict(group: Group, lang: str) -> dict[str, Any]:
    title = pick(group.title, lang)[0]
    return {
        "id": group.id,
        "name": group.name,
        "title": title,
        "display_name": title or group.name,
        "title_translated": group.title,
        "description": pick(group.description, lang)[0],
        "image_url": group.image_url or "",
        "image_display_url": group.image_url or "",
        "created": ckan_time(group.created_at),
        "is_organization": False,
        "type": "group",
        "state": "active",
        "approval_status": "approved",
        "package_count": group.dataset_count,
    }


@dataclass(frozen=True, slots=True)
class Packager:
    portal: Portal
    actor: Actor  # who the packages are for: each resource's `url` is what this caller may download
    publishers: Mapping[str, Organization]
    groups: Mapping[str, Group]

    @classmethod
    def load(cls, portal: Portal, actor: Actor) -> Packager:
        orgs = organizations.list_organizations(store=portal.store, limit=1000).items
        groups = {g.name: g for g in list_groups(store=portal.store)}
        return cls(portal, actor, {o.id: o for o in orgs}, groups)

    @property
    def lang(self) -> str:
        return self.portal.settings.default_lang

    def packages(
        self, found: Sequence[Dataset], group_names: Mapping[str, list[str]] | None = None
    ) -> list[dict[str, Any]]:
        if group_names is None:
            with self.portal.store.read() as conn:
                group_names = group_names_by_dataset(conn, [d.id for d in found])
        every = [r for d in found for r in d.resources]
        links = downloads(
            store=self.portal.store, actor=self.actor, found=every, base_url=self.portal.settings.base_url
        )
        return [
            package_dict(
                d,
                base_url=self.portal.settings.base_url,
                lang=self.lang,
                organization=self.publishers.get(d.organization.id) if d.organization else None,
                groups=[
                    group_dict(self.groups[n], self.lang)
                    for n in group_names.get(d.id, [])
                    if n in self.groups
                ],
                links=links,
                tables={rid for rid, link in links.items() if link.serves_table},
            )
            for d in found
        ]

    def package(self, dataset: Dataset) -> dict[str, Any]:
        return self.packages([dataset])[0]
