"""What the staff pages share: rendering with the CSRF token and the signed-in actor, and turning HTML form
fields into the catalogue's input shapes (so a page calls exactly the service its JSON twin calls)."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.datastructures import FormData

from obert.auth import Actor
from obert.catalog.models import Dataset
from obert.catalog.places import place, place_of
from obert.catalog.vocabulary import vocabulary
from obert.deps import PRE_SESSION_COOKIE, get_session
from obert.errors import FieldError
from obert.harvest.mapping import slugify
from obert.types import LANGS, Lang
from obert.web.respond import site_context
from obert.web.templating import render

FORM_LANGS: Sequence[str] = LANGS


def page(request: Request, template: str, *, actor: Actor, status: int = 200, **context: Any) -> HTMLResponse:
    """Render a staff page; signed-out pages get a pre-session CSRF cookie for their forms."""
    lang: Lang = request.state.lang
    session = get_session(request)
    pre = None
    if session is None:
        pre = request.cookies.get(PRE_SESSION_COOKIE) or secrets.token_urlsafe(32)
    html = render(
        lang,
        template,
        **site_context(request),
        vocabulary=vocabulary,
        actor=actor,
        csrf_token=session.csrf_token if session else pre,
        form_langs=FORM_LANGS,
        **context,
    )
    response = HTMLResponse(
        html, status_code=status, headers={"Content-Language": lang, "Cache-Control": "no-store"}
    )
    if pre is not None and request.cookies.get(PRE_SESSION_COOKIE) != pre:
        response.set_cookie(
            PRE_SESSION_COOKIE, pre, httponly=True, samesite="lax", secure=is_https(request), path="/"
        )
    return response


def redirect(request: Request, path: str) -> RedirectResponse:
    """303 to a page in the visitor's language (a POST is never repeated by reloading)."""
    return RedirectResponse(f"/{request.state.lang}{path}", status_code=303)


def is_https(request: Request) -> bool:
    return bool(request.app.state.portal.settings.base_url.startswith("https://"))


def errors_by_field(errors: Sequence[FieldError]) -> dict[str, list[str]]:
    """Field errors keyed by the form field they belong to (`title.ca` → `title_ca`, `themes.0` → themes)."""
    out: dict[str, list[str]] = {}
    for err in errors:
        parts = err.field.split(".")
        key = parts[0]
        if len(parts) > 1 and parts[0] in ("title", "description", "keywords", "temporal", "contact_point"):
            key = f"{parts[0]}_{parts[1]}"
        out.setdefault(key, []).append(err.message)
        if key != parts[0]:
            out.setdefault(parts[0], [])
    return out


def dataset_from_form(form: FormData, *, base: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON of a DatasetInput: `base` (the stored dataset, or {} for a new one) with the form's fields
    laid over it, so fields the form does not show are kept. Validation is left to the service."""

    def text(name: str) -> str:
        value = form.get(name)
        return value.strip() if isinstance(value, str) else ""

    def localized(prefix: str) -> dict[str, str]:
        return {lang: text(f"{prefix}_{lang}") for lang in FORM_LANGS if text(f"{prefix}_{lang}")}

    keywords = {
        lang: [w.strip() for w in text(f"keywords_{lang}").split(",") if w.strip()]
        for lang in FORM_LANGS
        if text(f"keywords_{lang}")
    }
    data: dict[str, Any] = dict(base)
    title = localized("title")
    # The short name is proposed from the title when the publisher leaves it empty (a new dataset).
    name = text("name") or (slugify(next(iter(title.values()))) if title and not base else "")
    data.update(
        name=name,
        title=title,
        description=localized("description"),
        keywords=keywords,
        themes=[t for t in form.getlist("themes") if isinstance(t, str)],
        hvd_categories=[c for c in form.getlist("hvd_categories") if isinstance(c, str)],
        organization=text("organization") or data.get("organization"),
        state=text("state") or data.get("state") or "draft",
        visibility=text("visibility") or "public",
        license=text("license") or None,
        frequency=text("frequency") or None,
        access_rights=text("access_rights") or None,
        landing_page=text("landing_page") or None,
        issued=text("issued") or None,
        conforms_to=[u.strip() for u in text("conforms_to").split() if u.strip()],
    )
    rights = text("rights")
    extras = {k: v for k, v in dict(data.get("extras") or {}).items() if k != "rights"}
    data["extras"] = {**extras, "rights": rights} if rights else extras
    start, end = text("temporal_start"), text("temporal_end")
    data["temporal"] = {"start": start or None, "end": end or None} if start or end else None
    spatial = _spatial(text("spatial_place"), text("spatial_uri"))
    old = data.get("spatial") or {}
    kept = (old.get("label") or old.get("bbox")) and not place_of(old.get("label"), old.get("bbox"))
    if spatial is None and kept:
        spatial = {k: v for k, v in old.items() if k != "uri"}  # a harvested area the list does not hold
    data["spatial"] = spatial
    contact = {k: text(f"contact_point_{k}") for k in ("name", "email", "url") if text(f"contact_point_{k}")}
    data["contact_point"] = contact or None
    return data


def _spatial(code: str, uri: str) -> dict[str, Any] | None:
    """The area covered: a place of the city picked from the list (its names and bounding box), and or
    the address of a place in a gazetteer."""
    picked = place(code) if code else None
    if picked is None and not uri:
        return None
    spatial: dict[str, Any] = {"uri": uri or None}
    if picked is not None:
        spatial |= {"label": picked.name, "bbox": list(picked.bbox)}
    return spatial


def dataset_to_form(dataset: Dataset | None) -> dict[str, Any]:
    """The values the metadata form shows for an existing dataset (or empty for a new one)."""
    if dataset is None:
        return {"themes": [], "hvd_categories": [], "visibility": "public", "access_rights": "PUBLIC"}
    values: dict[str, Any] = {
        "name": dataset.name,
        "organization": dataset.organization.id if dataset.organization else "",
        "themes": list(dataset.themes),
        "hvd_categories": list(dataset.hvd_categories),
        "license": dataset.license or "",
        "frequency": dataset.frequency or "",
        "visibility": dataset.visibility.value,
        "landing_page": dataset.landing_page or "",
        "temporal_start": dataset.temporal.start if dataset.temporal and dataset.temporal.start else "",
        "temporal_end": dataset.temporal.end if dataset.temporal and dataset.temporal.end else "",
        "spatial_uri": dataset.spatial.uri if dataset.spatial and dataset.spatial.uri else "",
        "access_rights": dataset.access_rights or "",
        "issued": dataset.issued or "",
        "conforms_to": " ".join(str(u) for u in dataset.conforms_to),
        "rights": dataset.extras.get("rights", ""),
    }
    if dataset.spatial and (found := place_of(dataset.spatial.label, dataset.spatial.bbox)):
        values["spatial_place"] = found.code
    for lang in FORM_LANGS:
        values[f"title_{lang}"] = dataset.title.get(lang, "")
        values[f"description_{lang}"] = dataset.description.get(lang, "")
        values[f"keywords_{lang}"] = ", ".join(dataset.keywords.get(lang, []))
    if dataset.contact_point:
        for key in ("name", "email", "url"):
            values[f"contact_point_{key}"] = getattr(dataset.contact_point, key) or ""
    return values


def form_values(form: Mapping[str, Any] | FormData) -> dict[str, Any]:
    """Echo what was sent back into the form after a refusal, so nothing typed is lost."""
    values: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    if isinstance(form, FormData):
        values["themes"] = [t for t in form.getlist("themes") if isinstance(t, str)]
        values["hvd_categories"] = [c for c in form.getlist("hvd_categories") if isinstance(c, str)]
    return values
