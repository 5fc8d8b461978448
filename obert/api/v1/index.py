"""`/api/v1`: where a developer (or a crawler) starts, with links to everything the portal offers machines."""

from __future__ import annotations

from typing import Any

from obert.api.face import NATIVE
from obert.deps import PortalDep

router = NATIVE.router(tags=["index"])


@router.get("/api/v1")
def api_index(portal: PortalDep) -> dict[str, Any]:
    """Links to the API's documentation and OpenAPI document, the CKAN Action API, the DCAT-AP catalogue,
    OGC API Features, the SPARQL endpoint, the change feeds and the operational endpoints, as absolute URLs
    of this portal."""
    base = portal.settings.base_url.rstrip("/")
    return {
        "name": portal.settings.site_name,
        "version": "1",
        "links": {
            "docs": f"{base}/api/docs",
            "openapi": f"{base}/api/v1/openapi.json",
            "datasets": f"{base}/api/v1/datasets",
            "search": f"{base}/api/v1/search",
            "organizations": f"{base}/api/v1/organizations",
            "ckan": f"{base}/api/3/action/",
            "ckan_status": f"{base}/api/3/action/status_show",
            "dcat": {
                "turtle": f"{base}/catalog.ttl",
                "rdf_xml": f"{base}/catalog.rdf",
                "json_ld": f"{base}/catalog.jsonld",
            },
            "ogc_features": f"{base}/api/ogc",
            "sparql": f"{base}/sparql",
            "feeds": f"{base}/feeds/datasets.atom",
            "health": f"{base}/health/ready",
            "metrics": f"{base}/metrics",
        },
    }
