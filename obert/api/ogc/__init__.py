"""OGC API - Features (Part 1 Core, GeoJSON, HTML, OpenAPI 3.0; Part 2 CRS by reference) over the
published tables that have positions. See obert.api.ogc.routes."""

from obert.api.ogc.routes import ogc_router

__all__ = ["ogc_router"]
