"""The bundled demo: real Open Data BCN files with their trilingual metadata (see SOURCES.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from obert.auth import SYSTEM
from obert.catalog import datasets, organizations, resources
from obert.catalog.common import validated
from obert.catalog.models import DatasetInput, OrganizationInput, Page
from obert.catalog.tabular import is_tabular
from obert.ingest import review, small_counts
from obert.ingest.gate import PERSONAL_DATA
from obert.portal import Portal

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
    }


def load_demo(portal: Portal) -> str:
    """Publish the demo catalogue once; running it again on a loaded portal changes nothing."""
    existing: Page[Any] = datasets.list_datasets(store=portal.store, actor=SYSTEM, limit=1)
    if existing.count:
        made = _ingest_tables(portal)  # a catalogue loaded before the datastore existed gets its tables
        return f"already loaded ({existing.count} datasets)" + (f", {made} tables ingested" if made else "")
    catalog = demo_catalog()
    for org in catalog["organizations"]:
        organizations.create_organization(
            store=portal.store, actor=SYSTEM, data=validated(OrganizationInput, org)
        )
    files_loaded = 0
    for entry in catalog["datasets"]:
        files = [res.pop("file", None) for res in entry.get("resources", [])]
        dataset = datasets.create_dataset(
            store=portal.store, actor=SYSTEM, data=validated(DatasetInput, entry)
        )
        for resource, filename in zip(dataset.resources, files, strict=True):
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
    tables = _ingest_tables(portal)
    publishers = len(catalog["organizations"])
    return (
        f"{len(catalog['datasets'])} datasets, {files_loaded} files and {tables} tables "
        f"from {publishers} publishers"
    )


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


def _ingest_tables(portal: Portal) -> int:
    """Ingest every tabular demo file now (they are small), so the demo serves each table at once.

    Runs the job's own ingest routine; a table already made from the same bytes is left as it is.
    """
    made = 0
    for entry in demo_catalog()["datasets"]:
        for res in entry.get("resources", []):
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
