"""The bundled demo: real Open Data BCN files with their trilingual metadata (see SOURCES.md)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from obert.auth import SYSTEM
from obert.catalog import datasets, organizations, resources
from obert.catalog.common import validated
from obert.catalog.models import DatasetInput, OrganizationInput, Page
from obert.catalog.tabular import is_tabular
from obert.portal import Portal
from obert.tableservice import review, small_counts
from obert.tableservice.gate import PERSONAL_DATA

DEMO_DIR = Path(__file__).parent
FILES = DEMO_DIR / "files"


def demo_catalog() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DEMO_DIR / "catalog.json").read_text(encoding="utf-8"))
    return data


def catalog_settings() -> dict[str, Any]:
    """The demo catalogue's own metadata (its "catalog" object) as Settings fields."""
    info = demo_catalog()["catalog"]
    return {
        "catalog_title": info["title"],
        "catalog_description": info["description"],
        "catalog_homepage": info["homepage"],
        "catalog_publisher_uri": info["publisher_uri"],
        "catalog_publisher_name": info["publisher_name"],
        "catalog_license": info["license"],
        "catalog_languages": info["languages"],
        "catalog_theme_taxonomies": info["theme_taxonomies"],
        "catalog_spatial_uri": (info.get("spatial") or {}).get("uri"),
        # The districts and neighbourhoods beneath every map, unless the operator names others.
        **({} if "OBERT_MAP_BOUNDARIES" in os.environ else {"map_boundaries": info["map_boundaries"]}),
    }


def load_demo(portal: Portal, *, only: Mapping[str, str] | None = None) -> str:
    """Publish the demo catalogue once; running it again on a loaded portal changes nothing.

    `only` (dataset name → the one resource name to keep) loads every publisher but just those datasets,
    each with that resource: the load benchmark's smaller catalogue.
    """
    catalog = demo_catalog()
    entries = _entries(catalog, only)
    existing: Page[Any] = datasets.list_datasets(store=portal.store, actor=SYSTEM, limit=1)
    if existing.count:
        made = _ingest_tables(portal, entries)  # a catalogue loaded before the datastore existed
        return f"already loaded ({existing.count} datasets)" + (f", {made} tables ingested" if made else "")
    for org in catalog["organizations"]:
        organizations.create_organization(
            store=portal.store, actor=SYSTEM, data=validated(OrganizationInput, org)
        )
    files_loaded = 0
    for entry in entries:
        resources_in = [{k: v for k, v in res.items() if k != "file"} for res in entry["resources"]]
        dataset = datasets.create_dataset(
            store=portal.store,
            actor=SYSTEM,
            data=validated(DatasetInput, {**entry, "resources": resources_in}),
        )
        for resource, res in zip(dataset.resources, entry["resources"], strict=True):
            filename = res.get("file")
            if filename is None:
                continue
            with (FILES / filename).open("rb") as stream:
                resources.attach_upload(
                    store=portal.store,
                    files=portal.files,
                    actor=SYSTEM,
                    ref=resource.id,
                    filename=filename,
                    stream=stream,
                    max_bytes=portal.settings.max_upload_bytes,
                    queue_ingest=False,
                )
            files_loaded += 1
    tables = _ingest_tables(portal, entries)
    portal.store.analyze()  # a whole catalogue at once: the planner's statistics are out of date
    publishers = len(catalog["organizations"])
    return f"{len(entries)} datasets, {files_loaded} files and {tables} tables from {publishers} publishers"


def _entries(catalog: dict[str, Any], only: Mapping[str, str] | None) -> list[dict[str, Any]]:
    """The catalogue's datasets (all of them, or those of `only` with their one chosen resource)."""
    entries = [{**e, "resources": list(e.get("resources", []))} for e in catalog["datasets"]]
    if only is None:
        return entries
    return [
        {**e, "resources": [r for r in e["resources"] if r["name"] == only[e["name"]]]}
        for e in entries
        if e["name"] in only
    ]


# The demo's one held table is the municipal markets' facility record: its addresses and descriptions are
# the city's own published information about public buildings, so the demo shows the override path.
DEMO_JUSTIFICATION = (
    "Institutional data of a municipal facility (market address, opening hours, descriptions) that the "
    "city itself publishes; it describes public buildings, not private persons."
)


def _release(portal: Portal, resource_id: str, number: int, findings: dict[str, Any]) -> None:
    blocking = findings.get("decision", {}).get("blocking", [])
    overrides = [
        {"column": f["column"], "kind": f["kind"], "justification": DEMO_JUSTIFICATION} for f in blocking
    ]
    review.publish_with_overrides(
        ingester=portal.ingester, actor=SYSTEM, ref=resource_id, number=number, overrides=overrides
    )


# Statistics about people, with their count columns: the padró table counts residents by census section,
# education and sex, and is served the way the city prints it (no count under five).
PEOPLE_TABLES = {"pad-niv-educa-sexe-2023": ("Valor",)}


def _ingest_tables(portal: Portal, entries: list[dict[str, Any]]) -> int:
    """Ingest every tabular demo file now (they are small), so the demo serves each table at once.

    Runs the job's own ingest routine; a table already made from the same bytes is left as it is.
    """
    made = 0
    for entry in entries:
        for res in entry["resources"]:
            if not res.get("file") or not is_tabular(res["file"]):
                continue
            resource = resources.get_resource(store=portal.store, actor=SYSTEM, ref=res["name"])
            outcome = portal.ingester.ingest_resource(resource_id=resource.id, created_by=SYSTEM.user_id)
            for hold in outcome.holds:
                if hold.reason == PERSONAL_DATA:
                    _release(portal, resource.id, outcome.version.number, hold.findings)
            made += outcome.created
            columns = PEOPLE_TABLES.get(res["name"])
            if columns is not None:
                small_counts.set_protection(
                    store=portal.store,
                    actor=SYSTEM,
                    ref=resource.id,
                    statistics_about_people=True,
                    count_columns=list(columns),
                )
    return made
