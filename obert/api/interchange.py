"""Data Package and Croissant: each dataset described for Frictionless and ML tooling, and data packages
taken in.

- `GET /dataset/<name>/datapackage.json` (and `/api/v1/datasets/{ref}/datapackage.json`): a Frictionless
  Data Package, one resource per published table with its Table Schema
- `GET /dataset/<name>/croissant.json` (and `/api/v1/datasets/{ref}/croissant.json`): Croissant 1.0
- `POST /api/v1/datapackages/upload` (multipart `file`: a zip) and `POST /api/v1/datapackages`
  (`{"url": …}`): a new dataset from a data package, typed by its schemas; with `dataset`, new versions
  of an existing dataset's tables

The `/dataset/…` routes are for machines, so their errors come in the native API's JSON shape too.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, Form, Query, Request, UploadFile
from fastapi.responses import JSONResponse

from obert.api.face import NATIVE
from obert.deps import ActorDep, PortalDep, WriterDep
from obert.faces import rules
from obert.i18n import as_lang
from obert.interchange.croissant import croissant
from obert.interchange.datapackage import data_package
from obert.interchange.package_import import PackageImport, import_package
from obert.portal import Portal

LangQuery = Annotated[str | None, Query(description="ca, es or en (default: the request's language)")]
DATAPACKAGE_MEDIA_TYPE = "application/json"
CROISSANT_MEDIA_TYPE = "application/ld+json"
INTO = (
    "an existing dataset (name or id) to add the package to: each table becomes a new version of its "
    "resource of the same name, and a table it lacks a new resource"
)


api = NATIVE.router(prefix="/api/v1", tags=["datasets"])
# The descriptions beside a dataset's page are data for tools: the native API's face, JSON errors.
site = NATIVE.router(include_in_schema=False)
router = APIRouter()


def _lang(request: Request, lang: str | None) -> str:
    return as_lang(lang) or getattr(request.state, "lang", None) or "en"


def _describe(
    describe: Callable[..., dict[str, Any]],
    media_type: str,
    request: Request,
    portal: Portal,
    actor: Any,
    ref: str,
    lang: str | None,
) -> JSONResponse:
    """A dataset described for data tools by `describe` (data_package or croissant), in the asked language."""
    body = describe(
        store=portal.store,
        actor=actor,
        tables=portal.tables,
        base_url=portal.settings.base_url,
        ref=ref,
        lang=_lang(request, lang),
    )
    return JSONResponse(body, media_type=media_type, headers={"Vary": "Accept-Language"})


def _package(request: Request, portal: Portal, actor: Any, ref: str, lang: str | None) -> JSONResponse:
    return _describe(data_package, DATAPACKAGE_MEDIA_TYPE, request, portal, actor, ref, lang)


def _croissant(request: Request, portal: Portal, actor: Any, ref: str, lang: str | None) -> JSONResponse:
    return _describe(croissant, CROISSANT_MEDIA_TYPE, request, portal, actor, ref, lang)


@api.get("/datasets/{ref}/datapackage.json", summary="The dataset as a Frictionless Data Package")
def api_datapackage(
    request: Request, portal: PortalDep, actor: ActorDep, ref: str, lang: LangQuery = None
) -> JSONResponse:
    """A tabular Data Package: one resource per published table, its CSV export pinned to the version
    described, and a Table Schema with obert's types (codes such as "08" stay strings)."""
    return _package(request, portal, actor, ref, lang)


@api.get("/datasets/{ref}/croissant.json", summary="The dataset as Croissant 1.0 (MLCommons) JSON-LD")
def api_croissant(
    request: Request, portal: PortalDep, actor: ActorDep, ref: str, lang: LangQuery = None
) -> JSONResponse:
    """One FileObject (the version's Parquet file, with its SHA-256) and one RecordSet per table."""
    return _croissant(request, portal, actor, ref, lang)


@site.get("/dataset/{ref}/datapackage.json")
def site_datapackage(
    request: Request, portal: PortalDep, actor: ActorDep, ref: str, lang: LangQuery = None
) -> JSONResponse:
    return _package(request, portal, actor, ref, lang)


@site.get("/dataset/{ref}/croissant.json")
def site_croissant(
    request: Request, portal: PortalDep, actor: ActorDep, ref: str, lang: LangQuery = None
) -> JSONResponse:
    return _croissant(request, portal, actor, ref, lang)


@api.post("/datapackages/upload", status_code=201, summary="A new dataset from a data package (zip)")
@rules(body="upload")
def upload_package(
    request: Request,
    portal: PortalDep,
    actor: WriterDep,
    file: UploadFile,
    organization: Annotated[str | None, Form()] = None,
    name: Annotated[str | None, Form(description="dataset name (default: the package's)")] = None,
    dataset: Annotated[str | None, Form(description=INTO)] = None,
) -> JSONResponse:
    """A zip holding `datapackage.json` and its CSV files becomes a dataset whose tables have the types
    its Table Schemas declare (or, with `dataset`, new versions of that dataset's tables). Data that
    breaks its schema (types, `required`, `unique`, `enum`, `minimum`/`maximum`, `pattern`) is refused
    (422), listing each cell at fault (resource, row, field, value) in the request's language; nothing
    is created or changed then."""
    portal.tables.tables_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".upload-", dir=portal.tables.tables_dir) as work:
        target = Path(work) / "package.zip"
        with target.open("wb") as out:
            shutil.copyfileobj(file.file, out)
        done = import_package(
            ingester=portal.ingester,
            actor=actor,
            zip_path=target,
            organization=organization,
            name=name,
            into=dataset,
            lang=_lang(request, None),
        )
    return JSONResponse(_imported(portal, done), status_code=200 if dataset else 201)


@api.post("/datapackages", status_code=201, summary="A new dataset from a data package's URL")
def fetch_package(
    request: Request,
    portal: PortalDep,
    actor: WriterDep,
    url: Annotated[str, Body(embed=True, description="the URL of a datapackage.json")],
    organization: Annotated[str | None, Body(embed=True)] = None,
    name: Annotated[str | None, Body(embed=True)] = None,
    dataset: Annotated[str | None, Body(embed=True, description=INTO)] = None,
) -> JSONResponse:
    """As the upload, from a `datapackage.json` on the web (it and its resources are fetched through
    obert's address guard)."""
    done = import_package(
        ingester=portal.ingester,
        actor=actor,
        url=url,
        organization=organization,
        name=name,
        into=dataset,
        lang=_lang(request, None),
    )
    return JSONResponse(_imported(portal, done), status_code=200 if dataset else 201)


def _imported(portal: Portal, done: PackageImport) -> dict[str, Any]:
    base = portal.settings.base_url.rstrip("/")
    return {
        "dataset": done.dataset.name,
        "id": done.dataset.id,
        "url": f"{base}/dataset/{done.dataset.name}",
        "tables": [
            {
                "resource": t.resource_name,
                "resource_id": t.resource_id,
                "version": t.outcome.version.number,
                "rows": t.outcome.version.row_count,
                "fields": [
                    {"name": c["name"], "type": c["type"]}
                    for c in t.outcome.version.report.get("columns", [])
                ],
                "held": t.outcome.held_message,
                "created": t.created,
            }
            for t in done.tables
        ],
    }


router.include_router(api)
router.include_router(site)
