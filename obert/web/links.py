"""Addresses pages link to."""

from __future__ import annotations

from obert.catalog.models import Resource


def download_path(resource: Resource) -> str | None:
    """obert's own download address of an upload, relative so it works on any host; None for a link to
    elsewhere."""
    if not resource.upload:
        return None
    return f"/dataset/{resource.dataset_name}/resource/{resource.id}/download/{resource.upload}"


def download_href(resource: Resource) -> str | None:
    """Where a reader downloads the resource: obert's copy, else the publisher's address."""
    return download_path(resource) or resource.download_url or resource.access_url
