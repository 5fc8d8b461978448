"""The native API's OpenAPI document as a developer meets it: readable operation ids, a bearer security
scheme (Swagger UI's Authorize button), tags in the order one learns the API, and an example for every
operation, recorded from a real demo portal by `scripts/openapi_examples.py` into `openapi_examples.json`.

Operation ids are part of the public interface: generated clients name their functions after them
(`datasets_list`, `datastore_rows`), so they are spelled here, once, and a test keeps the table complete.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from fastapi.utils import generate_unique_id

EXAMPLES = Path(__file__).with_name("openapi_examples.json")
SECURITY_SCHEME = "bearer"

OPERATION_IDS: dict[str, str] = {
    "POST /sparql": "sparql_query_post",
    "GET /sparql": "sparql_query",
    "POST /api/v1/datapackages": "datapackages_from_url",
    "POST /api/v1/datapackages/upload": "datapackages_upload",
    "GET /api/v1/datasets/{ref}/croissant.json": "datasets_croissant",
    "GET /api/v1/datasets/{ref}/datapackage.json": "datasets_datapackage",
    "GET /api/v1/search": "search_datasets",
    "GET /api/v1/search/suggest": "search_suggest",
    "GET /api/v1/datasets": "datasets_list",
    "POST /api/v1/datasets": "datasets_create",
    "GET /api/v1/datasets/{ref}": "datasets_get",
    "PUT /api/v1/datasets/{ref}": "datasets_replace",
    "PATCH /api/v1/datasets/{ref}": "datasets_patch",
    "DELETE /api/v1/datasets/{ref}": "datasets_delete",
    "POST /api/v1/datasets/{ref}/transitions": "datasets_transition",
    "GET /api/v1/datasets/{ref}/transitions": "datasets_transitions",
    "GET /api/v1/resources": "resources_list",
    "GET /api/v1/datasets/{ref}/resources": "resources_of_dataset",
    "POST /api/v1/datasets/{ref}/resources": "resources_create",
    "GET /api/v1/resources/{ref}": "resources_get",
    "PUT /api/v1/resources/{ref}": "resources_replace",
    "PATCH /api/v1/resources/{ref}": "resources_patch",
    "DELETE /api/v1/resources/{ref}": "resources_delete",
    "POST /api/v1/resources/{ref}/upload": "resources_upload",
    "GET /api/v1/organizations": "organizations_list",
    "POST /api/v1/organizations": "organizations_create",
    "GET /api/v1/organizations/{ref}": "organizations_get",
    "PUT /api/v1/organizations/{ref}": "organizations_replace",
    "PATCH /api/v1/organizations/{ref}": "organizations_patch",
    "DELETE /api/v1/organizations/{ref}": "organizations_delete",
    "GET /api/v1/organizations/{ref}/members": "organizations_members",
    "PUT /api/v1/organizations/{ref}/members/{user}": "organizations_member_set",
    "DELETE /api/v1/organizations/{ref}/members/{user}": "organizations_member_remove",
    "GET /api/v1/groups": "groups_list",
    "POST /api/v1/groups": "groups_create",
    "GET /api/v1/groups/{ref}": "groups_get",
    "PUT /api/v1/groups/{ref}": "groups_replace",
    "PATCH /api/v1/groups/{ref}": "groups_patch",
    "DELETE /api/v1/groups/{ref}": "groups_delete",
    "GET /api/v1/groups/{ref}/datasets": "groups_datasets",
    "PUT /api/v1/groups/{ref}/datasets/{dataset}": "groups_dataset_add",
    "DELETE /api/v1/groups/{ref}/datasets/{dataset}": "groups_dataset_remove",
    "GET /api/v1/organizations/{ref}/policy": "organizations_policy",
    "PUT /api/v1/organizations/{ref}/policy": "organizations_policy_set",
    "GET /api/v1/datastore/{resource}": "datastore_table",
    "PATCH /api/v1/datastore/{resource}": "datastore_protect",
    "GET /api/v1/datastore/{resource}/rows": "datastore_rows",
    "GET /api/v1/datastore/{resource}/aggregate": "datastore_aggregate",
    "GET /api/v1/datastore/{resource}/export.{fmt}": "datastore_export",
    "GET /api/v1/datastore/{resource}/features": "datastore_features",
    "GET /api/v1/map/boundaries": "map_boundaries",
    "GET /api/v1/datastore/sql": "datastore_sql",
    "POST /api/v1/datastore/sql": "datastore_sql_post",
    "GET /api/v1/datastore/{resource}/versions": "datastore_versions",
    "GET /api/v1/datastore/{resource}/diff": "datastore_diff",
    "POST /api/v1/datastore/{resource}/ingest": "datastore_ingest",
    "GET /api/v1/datastore/{resource}/versions/{number}/privacy": "datastore_privacy_findings",
    "POST /api/v1/datastore/{resource}/versions/{number}/transform": "datastore_transform",
    "POST /api/v1/datastore/{resource}/versions/{number}/override": "datastore_override",
    "GET /api/v1/datastore/{resource}/versions/{number}/schema": "datastore_schema_changes",
    "POST /api/v1/datastore/{resource}/versions/{number}/accept-schema": "datastore_accept_schema",
    "GET /api/v1/jobs/{job_id}": "jobs_get",
    "GET /api/v1/harvest/sources": "harvest_sources_list",
    "POST /api/v1/harvest/sources": "harvest_sources_create",
    "GET /api/v1/harvest/sources/{ref}": "harvest_sources_get",
    "PATCH /api/v1/harvest/sources/{ref}": "harvest_sources_patch",
    "DELETE /api/v1/harvest/sources/{ref}": "harvest_sources_delete",
    "POST /api/v1/harvest/sources/{ref}/run": "harvest_run",
    "GET /api/v1/harvest/sources/{ref}/runs": "harvest_runs_list",
    "GET /api/v1/harvest/sources/{ref}/runs/{run_id}": "harvest_runs_get",
    "GET /api/v1/datasets/{ref}/harvest": "harvest_provenance",
    "GET /api/v1/quality": "quality_catalog",
    "GET /api/v1/datasets/{ref}/quality": "quality_dataset",
    "POST /api/v1/quality/link-checks": "quality_check_links",
    "GET /api/v1/freshness": "freshness_list",
    "GET /api/v1/datasets/{ref}/freshness": "freshness_dataset",
    "GET /api/v1/datasets/{ref}/links": "links_dataset",
    "POST /api/v1/datasets/{ref}/links/check": "links_check",
    "GET /api/v1/events": "events_list",
    "GET /api/v1/subscriptions": "subscriptions_list",
    "POST /api/v1/subscriptions": "subscriptions_create",
    "GET /api/v1/subscriptions/{subscription_id}": "subscriptions_get",
    "PATCH /api/v1/subscriptions/{subscription_id}": "subscriptions_patch",
    "DELETE /api/v1/subscriptions/{subscription_id}": "subscriptions_delete",
    "GET /api/v1/subscriptions/{subscription_id}/deliveries": "subscriptions_deliveries",
    "GET /api/v1/stats": "stats_catalog",
    "GET /api/v1/datasets/{ref}/stats": "stats_dataset",
    "GET /api/v1/tokens": "tokens_list",
    "POST /api/v1/tokens": "tokens_create",
    "DELETE /api/v1/tokens/{token_id}": "tokens_revoke",
    "GET /api/v1/users": "users_list",
    "POST /api/v1/users": "users_create",
    "PATCH /api/v1/users/{ref}": "users_set_sysadmin",
    "GET /api/v1/audit": "audit_list",
    "GET /api/v1/audit/export.csv": "audit_export_csv",
    "GET /api/v1/audit/export.jsonl": "audit_export_jsonl",
    "GET /api/v1": "api_index",
    "GET /health": "health",
    "GET /health/live": "health_live",
    "GET /health/ready": "health_ready",
    "GET /catalog.{suffix}": "dcat_catalog",
}

# The order a developer meets them in: find, read, query tables, then publish and administer. The app's
# own descriptions (OPENAPI_TAGS in app.py) win over these.
TAGS: tuple[tuple[str, str], ...] = (
    ("index", "Where to start: links to the docs, the OpenAPI document, the CKAN and DCAT faces."),
    ("search", "Full-text search of the catalogue in Catalan, Spanish and English, with facets."),
    ("datasets", "DCAT-AP datasets: create, read, list, replace, patch, delete, and move through review."),
    ("resources", "Files and links of a dataset; a tabular upload queues an ingest."),
    ("datastore", "Every tabular resource as a versioned table: rows, aggregates, SQL, exports, maps."),
    ("jobs", "Background work (ingests, harvests, link checks) and its progress."),
    ("organizations", "Publishers, their members and their review policy."),
    ("groups", "Thematic collections of datasets from any publisher, and which datasets they hold."),
    ("harvest", "Sources harvested from other portals, files and databases, and their runs."),
    ("quality", "Metadata quality scores (MQA) of the catalogue and of each dataset."),
    ("freshness and links", "Whether datasets are updated as often as they promise, and whether links work."),
    ("changes", "Every change to the public catalogue, as a feed to poll."),
    ("subscriptions", "Webhooks that deliver changes to your server, signed."),
    ("statistics", "Views and downloads of the catalogue and of each dataset."),
    ("accounts", "Users and their API tokens."),
    ("audit", "The append-only log of who changed what (site administrators)."),
    ("dcat", "The catalogue as DCAT-AP (Turtle, RDF/XML, JSON-LD), paged."),
    ("system", "Health checks for load balancers and orchestrators."),
)


def operation_id(route: APIRoute) -> str:
    """The operation id of a route (FastAPI's `generate_unique_id_function`)."""
    method = sorted(route.methods or {"GET"})[0]
    key = f"{method} {route.path_format}"
    if not route.include_in_schema:  # CKAN's actions and the pages: in no OpenAPI document
        return generate_unique_id(route)
    try:
        return OPERATION_IDS[key]
    except KeyError:
        raise LookupError(f"{key} has no operation id: name it in obert/api/openapi.py") from None


def install(app: FastAPI, *, tags: list[dict[str, Any]]) -> None:
    """Replace the app's `openapi()` with one that adds the security scheme, tag order and examples."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                tags=_ordered(tags),
            )
            _add_security(schema)
            _add_examples(schema, examples())
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _ordered(tags: list[dict[str, Any]]) -> list[dict[str, Any]]:
    given = {tag["name"]: tag for tag in tags}
    ordered = [given.pop(name, {"name": name, "description": description}) for name, description in TAGS]
    return ordered + list(given.values())


def _add_security(schema: dict[str, Any]) -> None:
    components = schema.setdefault("components", {})
    components.setdefault("securitySchemes", {})[SECURITY_SCHEME] = {
        "type": "http",
        "scheme": "bearer",
        "description": (
            "An API token (`obert token create USER`, or your account page): "
            "`Authorization: Bearer <token>`. Reads work without one and show only public data."
        ),
    }
    # Optional everywhere: reads are anonymous, writes answer 401 without a token.
    schema["security"] = [{SECURITY_SCHEME: []}, {}]


@cache
def examples() -> dict[str, dict[str, Any]]:
    """Recorded examples by operation id: `params` (path and query values), `request` and `response`."""
    loaded: dict[str, dict[str, Any]] = json.loads(EXAMPLES.read_text(encoding="utf-8"))
    return loaded


def _add_examples(schema: dict[str, Any], recorded: dict[str, dict[str, Any]]) -> None:
    for operations in schema["paths"].values():
        for operation in operations.values():
            example = recorded.get(operation.get("operationId", ""))
            if example is None:
                continue
            for parameter in operation.get("parameters", []):
                if parameter["name"] in example.get("params", {}):
                    parameter["example"] = example["params"][parameter["name"]]
            if "request" in example:
                for media in operation.get("requestBody", {}).get("content", {}).values():
                    media["example"] = example["request"]
            if "response" in example:
                status = str(example.get("status", 200))
                response = operation.setdefault("responses", {}).setdefault(status, {"description": "OK"})
                content = response.setdefault("content", {})
                if "media" in example:  # a CSV or JSON Lines answer, not the JSON FastAPI assumes
                    content.pop("application/json", None)
                    content.setdefault(example["media"], {})
                elif not content:
                    content["application/json"] = {}
                for media in content.values():
                    media["example"] = example["response"]
