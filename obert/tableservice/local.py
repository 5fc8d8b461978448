"""A file on this machine → a published table, at once: what `obert ingest` and the demo loader run.

It files the upload in the catalogue (creating the dataset if needed) and then runs the same ingest
routine the background jobs run, in this thread, instead of queueing it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from obert.auth import Actor
from obert.catalog import datasets, resources
from obert.catalog.common import validated
from obert.catalog.models import Dataset, DatasetInput, ResourceInput
from obert.errors import NotFound
from obert.storage.files import safe_filename
from obert.tableservice.service import Ingester, IngestOutcome, Progress


@dataclass(frozen=True, slots=True)
class LocalIngest:
    dataset: Dataset
    resource_id: str
    resource_name: str
    dataset_created: bool
    outcome: IngestOutcome


def title_from_filename(path: Path) -> str:
    """``2018_accidents_gu_bcn.csv`` → ``2018 accidents gu bcn``."""
    stem = path.name.split(".")[0]
    return re.sub(r"[_\-\s]+", " ", stem).strip() or path.name


def ingest_local_file(
    *,
    ingester: Ingester,
    actor: Actor,
    path: Path,
    dataset: str,
    resource: str | None = None,
    format: str | None = None,
    organization: str | None = None,
    progress: Progress | None = None,
) -> LocalIngest:
    """Publish `path` as a new version of a resource of `dataset` (both created when missing).

    Without `resource`, the dataset's resource that last received a file of the same name is reused, so
    ingesting an updated file again makes version 2 of the same table.
    """
    store = ingester.store
    created = False
    try:
        found = datasets.get_dataset(store=store, actor=actor, ref=dataset)
    except NotFound:
        title = title_from_filename(path)
        data = validated(
            DatasetInput,
            {"name": dataset, "title": {"ca": title, "es": title, "en": title}, "organization": organization},
        )
        found = datasets.create_dataset(store=store, actor=actor, data=data)
        created = True
    target = _pick_resource(found, resource, path)
    if target is None:
        spec = validated(ResourceInput, {"name": resource, "title": {"ca": title_from_filename(path)}})
        made = resources.create_resource(store=store, actor=actor, dataset_ref=found.id, data=spec)
        target_id, target_name = made.id, made.name
    else:
        target_id, target_name = target
    with path.open("rb") as stream:
        attached = resources.attach_upload(
            store=store,
            files=ingester.files,
            actor=actor,
            ref=target_id,
            filename=path.name,
            stream=stream,
            max_bytes=ingester.settings.max_upload_bytes,
            queue_ingest=False,
        )
    outcome = ingester.ingest_resource(
        resource_id=target_id,
        format=format,
        created_by=actor.user_id,
        progress=progress,
        # Hashed while it was stored: the ingest need not read the file for it again.
        sha256=(attached.checksum or "").removeprefix("sha256:") or None,
    )
    return LocalIngest(found, target_id, target_name, created, outcome)


def _pick_resource(dataset: Dataset, wanted: str | None, path: Path) -> tuple[str, str] | None:
    for res in dataset.resources:
        if (wanted and wanted in (res.name, res.id)) or (
            not wanted and res.upload == safe_filename(path.name)
        ):
            return res.id, res.name
    return None
