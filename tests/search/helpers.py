from __future__ import annotations

from typing import Any

from obert.auth import SYSTEM, Actor
from obert.catalog import datasets
from obert.catalog.common import validated
from obert.catalog.models import Dataset, DatasetInput
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
