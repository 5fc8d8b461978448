"""Writing one harvested record to the catalogue, through the catalogue's own services.

Everything is written as the SYSTEM actor, each dataset in transactions of its own, so one bad record
never undoes the others. Resources are synchronised by position: a changed list updates the resources in
place (keeping their ids and uploads), adds new ones and removes those the source dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from obert.auth import SYSTEM
from obert.catalog import datasets as dataset_service
from obert.catalog import organizations as org_service
from obert.catalog import resources as resource_service
from obert.catalog.common import validated
from obert.catalog.models import Dataset, DatasetInput, OrganizationInput, ResourceInput, State
from obert.errors import Conflict, Invalid, NotFound
from obert.harvest.models import LocalFile
from obert.storage import Store
from obert.storage.files import FileStore

TABULAR = frozenset({"CSV", "TSV", "XLSX", "XLS", "ODS", "JSON", "GEOJSON", "PARQUET"})


class IngestRequester(Protocol):
    """Asks for a harvested tabular resource to be loaded into the datastore. Wired by the composition
    root once ingestion is connected to the catalogue; until then `NoIngest` does nothing."""

    def __call__(self, *, dataset_id: str, resource_id: str) -> None: ...


class NoIngest:
    def __call__(self, *, dataset_id: str, resource_id: str) -> None:
        return None


class Publishers:
    """Maps a source's organisations to obert publishers, creating them once and reusing them after."""

    def __init__(self, store: Store, *, dry_run: bool) -> None:
        self.store = store
        self.dry_run = dry_run
        self._ids: dict[str, str] = {}

    def resolve(self, publisher: dict[str, Any]) -> str:
        name = str(publisher["name"])
        if name in self._ids:
            return self._ids[name]
        try:
            found = org_service.get_organization(store=self.store, ref=name).id
        except NotFound:
            data = validated(OrganizationInput, publisher)
            found = name if self.dry_run else self._create(data)
        self._ids[name] = found
        return found

    def _create(self, data: OrganizationInput) -> str:
        try:
            return org_service.create_organization(store=self.store, actor=SYSTEM, data=data).id
        except Conflict:  # another run created it a moment ago
            return org_service.get_organization(store=self.store, ref=data.name).id


def create(
    *, store: Store, files: FileStore, data: DatasetInput, local_files: Sequence[LocalFile], max_bytes: int
) -> Dataset:
    """Create the dataset, under a free name: a taken name gets the source's suffix, then a number."""
    wanted = data.name
    for attempt in range(1, 50):
        try:
            created = dataset_service.create_dataset(store=store, actor=SYSTEM, data=data)
        except Conflict as exc:
            if not any(e.field == "name" for e in exc.errors):
                raise
            data = data.model_copy(update={"name": f"{wanted[:90]}-{attempt + 1}"})
            continue
        _attach(store, files, created, local_files, max_bytes)
        return (
            dataset_service.get_dataset(store=store, actor=SYSTEM, ref=created.id) if local_files else created
        )
    raise Conflict(f"no free name for '{wanted}'")


def update(
    *,
    store: Store,
    files: FileStore,
    dataset_id: str,
    data: DatasetInput,
    local_files: Sequence[LocalFile],
    max_bytes: int,
) -> Dataset:
    current = dataset_service.get_dataset(store=store, actor=SYSTEM, ref=dataset_id)
    # The catalogue name is obert's: once given it stays, so links to the dataset keep working.
    data = data.model_copy(update={"name": current.name})
    dataset_service.replace_dataset(store=store, actor=SYSTEM, ref=dataset_id, data=data)
    for position, wanted in enumerate(data.resources):
        fresh = wanted.model_copy(update={"name": None})
        if position < len(current.resources):
            existing = current.resources[position]
            if _resource_changed(existing.model_dump(mode="json"), fresh):
                keep_name = fresh.model_copy(update={"name": existing.name})
                resource_service.replace_resource(store=store, actor=SYSTEM, ref=existing.id, data=keep_name)
        else:
            resource_service.create_resource(store=store, actor=SYSTEM, dataset_ref=dataset_id, data=fresh)
    for extra in current.resources[len(data.resources) :]:
        resource_service.delete_resource(store=store, actor=SYSTEM, ref=extra.id)
    after = dataset_service.get_dataset(store=store, actor=SYSTEM, ref=dataset_id)
    if local_files:
        _attach(store, files, after, local_files, max_bytes)
        after = dataset_service.get_dataset(store=store, actor=SYSTEM, ref=dataset_id)
    return after


def set_state(*, store: Store, dataset_id: str, state: State) -> None:
    dataset_service.patch_dataset(store=store, actor=SYSTEM, ref=dataset_id, patch={"state": state.value})


def request_ingest(ingest: IngestRequester, dataset: Dataset) -> int:
    """Ask for every tabular resource of the dataset to be ingested; returns how many were asked for."""
    asked = 0
    for resource in dataset.resources:
        if (resource.format or "").upper() in TABULAR:
            ingest(dataset_id=dataset.id, resource_id=resource.id)
            asked += 1
    return asked


def _resource_changed(existing: dict[str, Any], wanted: ResourceInput) -> bool:
    new = wanted.model_dump(mode="json", exclude={"name"})
    if existing.get("upload"):
        new = {k: v for k, v in new.items() if k not in ("byte_size", "checksum")}
    return any(existing.get(key) != value for key, value in new.items() if key != "media_type" or value)


def _attach(
    store: Store, files: FileStore, dataset: Dataset, local: Sequence[LocalFile], max_bytes: int
) -> None:
    for item in local:
        if item.position >= len(dataset.resources):
            raise Invalid(f"no resource {item.position} to keep {item.filename} in")
        resource = dataset.resources[item.position]
        if resource.checksum == f"sha256:{item.sha256}":
            continue
        with item.path.open("rb") as stream:
            resource_service.attach_upload(
                store=store,
                files=files,
                actor=SYSTEM,
                ref=resource.id,
                filename=item.filename,
                stream=stream,
                max_bytes=max_bytes,
            )
