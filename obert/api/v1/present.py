"""Datasets and resources as the native API shows them to one caller: each resource's `url` is the link
the table service says this caller may follow (see obert.tableservice.originals)."""

from __future__ import annotations

from collections.abc import Sequence

from obert.api.v1.schemas import DatasetOut, ResourceOut, dataset_out, resource_out
from obert.auth import Actor
from obert.catalog.models import Dataset, Resource
from obert.portal import Portal
from obert.tableservice.originals import downloads


def resources(portal: Portal, actor: Actor, found: Sequence[Resource]) -> list[ResourceOut]:
    links = downloads(store=portal.store, actor=actor, found=found, base_url=portal.settings.base_url)
    return [resource_out(r, links[r.id]) for r in found]


def resource(portal: Portal, actor: Actor, found: Resource) -> ResourceOut:
    return resources(portal, actor, [found])[0]


def datasets(portal: Portal, actor: Actor, found: Sequence[Dataset]) -> list[DatasetOut]:
    every = [r for d in found for r in d.resources]
    links = downloads(store=portal.store, actor=actor, found=every, base_url=portal.settings.base_url)
    return [dataset_out(d, portal.settings.base_url, links) for d in found]


def dataset(portal: Portal, actor: Actor, found: Dataset) -> DatasetOut:
    return datasets(portal, actor, [found])[0]
