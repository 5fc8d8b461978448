"""Turning catalogue rows into domain models, several datasets at a time without a query per row."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from obert.catalog.fields import ContactPoint, Spatial, Temporal
from obert.catalog.models import (
    Dataset,
    DatasetCard,
    OrganizationRef,
    Resource,
    State,
    Visibility,
    distinct_formats,
)
from obert.storage.tables.catalog import datasets, organizations, resources

LIVE_RESOURCE = resources.c.state == "active"
# Made once: building the statement cost about what running it does for a few datasets.
_LIVE_RESOURCES_OF = (
    sa.select(resources)
    .where(resources.c.dataset_id.in_(sa.bindparam("ids", expanding=True)), LIVE_RESOURCE)
    .order_by(resources.c.position)
)


# What a DatasetCard shows of a dataset and of its publisher; a caller adds its where (visible_to!) and order.
CARD_COLUMNS = sa.select(
    datasets.c.id,
    datasets.c.name,
    datasets.c.title,
    datasets.c.description,
    datasets.c.organization_id,
    organizations.c.name.label("organization_name"),
    organizations.c.title.label("organization_title"),
).select_from(datasets.outerjoin(organizations, organizations.c.id == datasets.c.organization_id))
_LIVE_FORMATS_OF = (
    sa.select(resources.c.dataset_id, resources.c.format)
    .where(resources.c.dataset_id.in_(sa.bindparam("ids", expanding=True)), LIVE_RESOURCE)
    .order_by(resources.c.position)
)


def cards_from_rows(conn: Connection, rows: Sequence[Row[*tuple[Any, ...]]]) -> list[DatasetCard]:
    """The cards of `rows` (read with CARD_COLUMNS), in their order, with their live resources' formats."""
    if not rows:
        return []
    formats: dict[str, list[str | None]] = defaultdict(list)
    for dataset_id, fmt in conn.execute(_LIVE_FORMATS_OF, {"ids": [r.id for r in rows]}):
        formats[dataset_id].append(fmt)
    return [
        DatasetCard(
            id=r.id,
            name=r.name,
            title=r.title,
            description=r.description,
            organization=(
                OrganizationRef(id=r.organization_id, name=r.organization_name, title=r.organization_title)
                if r.organization_id and r.organization_name is not None
                else None
            ),
            formats=distinct_formats(formats.get(r.id, ())),
        )
        for r in rows
    ]


def resource_from_row(row: Row[Any], dataset_name: str) -> Resource:
    return Resource(
        id=row.id,
        name=row.name,
        dataset_id=row.dataset_id,
        dataset_name=dataset_name,
        position=row.position,
        title=row.title,
        description=row.description,
        format=row.format,
        media_type=row.media_type,
        access_url=row.access_url,
        download_url=row.download_url,
        upload=row.upload,
        byte_size=row.byte_size,
        checksum=row.checksum,
        license=row.license,
        language=row.language,
        conforms_to=row.conforms_to,
        issued=row.issued,
        modified=row.modified,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def datasets_from_rows(
    conn: Connection,
    rows: Sequence[Row[Any]],
    *,
    known: Mapping[str, OrganizationRef] | None = None,
    with_resources: bool = True,
) -> list[Dataset]:
    """The datasets of `rows` with their live resources (none read without `with_resources`: a caller
    that keeps what it made of them); organisations in `known` are not read again."""
    if not rows:
        return []
    ids = [r.id for r in rows]
    names = {r.id: r.name for r in rows}
    by_dataset: dict[str, list[Resource]] = defaultdict(list)
    if with_resources:
        for res in conn.execute(_LIVE_RESOURCES_OF, {"ids": ids}):
            by_dataset[res.dataset_id].append(resource_from_row(res, names[res.dataset_id]))
    known = known or {}
    org_ids = {r.organization_id for r in rows if r.organization_id and r.organization_id not in known}
    orgs = {org_id: known[org_id] for r in rows if (org_id := r.organization_id) and org_id in known}
    orgs |= (
        {
            o.id: OrganizationRef(id=o.id, name=o.name, title=o.title)
            for o in conn.execute(
                sa.select(organizations.c.id, organizations.c.name, organizations.c.title).where(
                    organizations.c.id.in_(org_ids)
                )
            )
        }
        if org_ids
        else {}
    )
    return [_dataset(r, orgs.get(r.organization_id), by_dataset[r.id]) for r in rows]


def _dataset(row: Row[Any], org: OrganizationRef | None, res: list[Resource]) -> Dataset:
    return Dataset(
        id=row.id,
        name=row.name,
        state=State(row.state),
        visibility=Visibility(row.visibility),
        organization=org,
        title=row.title,
        description=row.description,
        keywords=row.keywords,
        themes=row.themes,
        sectors=row.sectors,
        license=row.license,
        access_rights=row.access_rights,
        frequency=row.frequency,
        temporal=Temporal.model_validate(row.temporal) if row.temporal else None,
        spatial=Spatial.model_validate(row.spatial) if row.spatial else None,
        languages=row.languages,
        issued=row.issued,
        modified=row.modified,
        landing_page=row.landing_page,
        contact_point=ContactPoint.model_validate(row.contact_point) if row.contact_point else None,
        conforms_to=row.conforms_to,
        hvd_categories=row.hvd_categories or [],
        version=row.version,
        version_notes=row.version_notes,
        provenance=row.provenance,
        extras=row.extras,
        resources=res,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
