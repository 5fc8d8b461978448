"""obert's datasets as CKAN package dicts, and CKAN package dicts as obert's inputs.

DCAT fields CKAN has no home for travel in `extras` under the keys ckanext-dcat uses (theme, issued,
modified, frequency, spatial_uri, temporal_start...), multilingual text as `*_translated` dicts the way
ckanext-fluent does, with the plain field in the site's default language.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from datetime import UTC, datetime
from typing import Any

from obert.catalog.licences import ckan_licence, ckan_licence_id, is_open, licence_code
from obert.catalog.models import Dataset, Organization, Resource, State, Visibility
from obert.catalog.vocabulary import vocabulary
from obert.errors import FieldError, Invalid, msg
from obert.i18n import pick
from obert.tableservice.originals import Download

# Extras that carry obert fields: everything else in `extras` is kept as the dataset's own extras.
_LIST_EXTRAS = {"theme": "data-theme", "sector": "sector", "language": "language"}
_DCAT_EXTRAS = (
    "uri",
    "theme",
    "sector",
    "issued",
    "modified",
    "frequency",
    "spatial_uri",
    "spatial_text",
    "spatial",
    "temporal_start",
    "temporal_end",
    "language",
    "access_rights",
    "contact_name",
    "contact_email",
    "contact_uri",
    "conforms_to",
    "version_notes",
    "provenance",
)


def ckan_time(value: datetime) -> str:
    """CKAN's timestamps: UTC, ISO 8601, without an offset."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat()


def organization_dict(org: Organization, lang: str) -> dict[str, Any]:
    return {
        "id": org.id,
        "name": org.name,
        "title": pick(org.title, lang)[0],
        "title_translated": org.title,
        "display_name": pick(org.title, lang)[0],
        "description": pick(org.description, lang)[0],
        "description_translated": org.description,
        "image_url": org.image_url or "",
        "created": ckan_time(org.created_at),
        "is_organization": True,
        "type": "organization",
        "state": "active",
        "approval_status": "approved",
        "package_count": org.dataset_count,
    }


def resource_dict(
    resource: Resource, *, link: Download, lang: str, datastore_active: bool = False
) -> dict[str, Any]:
    """A resource as CKAN shows it; `url` is what the table service lets this caller download."""
    return {
        "id": resource.id,
        "package_id": resource.dataset_id,
        "name": pick(resource.title, lang)[0] or resource.name,
        "name_translated": resource.title,
        "description": pick(resource.description, lang)[0],
        "description_translated": resource.description,
        "format": resource.format or "",
        "url": link.url or "",
        "download_url": resource.download_url if link.withheld is None else None,
        "mimetype": resource.media_type,
        "size": resource.byte_size,
        "hash": resource.checksum or "",
        "position": resource.position,
        "created": ckan_time(resource.created_at),
        "last_modified": ckan_time(resource.updated_at),
        "url_type": "upload" if resource.upload and link.original else None,
        "state": "active",
        # Whether datastore_search answers for it: CKAN clients look here before asking.
        "datastore_active": datastore_active,
        "license_id": ckan_licence_id(resource.license) if resource.license else None,
        "obert_name": resource.name,
    }


def package_dict(
    dataset: Dataset,
    *,
    base_url: str,
    lang: str,
    organization: Organization | None,
    groups: list[dict[str, Any]],
    links: Mapping[str, Download],
    tables: Collection[str] = (),
) -> dict[str, Any]:
    tags = _tags(dataset.keywords, lang)
    licence = vocabulary("licence").get(dataset.license) if dataset.license else None
    ckan = ckan_licence(dataset.license)
    contact = dataset.contact_point
    return {
        "id": dataset.id,
        "name": dataset.name,
        "title": pick(dataset.title, lang)[0],
        "title_translated": dataset.title,
        "notes": pick(dataset.description, lang)[0],
        "notes_translated": dataset.description,
        "url": dataset.landing_page or "",
        "version": dataset.version or "",
        "author": "",
        "author_email": "",
        "maintainer": contact.name if contact and contact.name else "",
        "maintainer_email": contact.email if contact and contact.email else "",
        # CKAN's licence id, title and link where its list has the licence; the EU licence otherwise.
        "license_id": ckan_licence_id(dataset.license) if dataset.license else "",
        "license_title": ckan.title if ckan else licence.label_in(lang) if licence else "",
        "license_url": ckan.url if ckan else licence.uri if licence else "",
        "isopen": is_open(dataset.license) if dataset.license else False,
        "obert_license": dataset.license,  # the EU licence vocabulary's code
        "owner_org": dataset.organization.id if dataset.organization else None,
        "organization": _embedded(organization_dict(organization, lang)) if organization else None,
        "private": dataset.visibility is Visibility.PRIVATE,
        "state": _ckan_state(dataset.state),
        "type": "dataset",
        "metadata_created": ckan_time(dataset.created_at),
        "metadata_modified": ckan_time(dataset.updated_at),
        "num_resources": len(dataset.resources),
        "num_tags": len(tags),
        "resources": [
            resource_dict(r, link=links[r.id], lang=lang, datastore_active=r.id in tables)
            for r in dataset.resources
        ],
        "tags": [{"name": t, "display_name": t, "state": "active", "vocabulary_id": None} for t in tags],
        "tags_translated": dataset.keywords,
        "groups": [_embedded(g) for g in groups],
        "extras": [{"key": k, "value": v} for k, v in _extras(dataset, lang, base_url).items()],
        # The extras carry these in the default language, as ckanext-dcat does; all languages are here.
        "version_notes_translated": dataset.version_notes,
        "provenance_translated": dataset.provenance,
        "spatial_text_translated": dataset.spatial.label if dataset.spatial else {},
    }


def _embedded(group: dict[str, Any]) -> dict[str, Any]:
    """A publisher or group inside a package dict: without its dataset count, as CKAN's package_show
    has it, so that a dataset's answer changes only when the dataset, its publisher or groups do."""
    return {k: v for k, v in group.items() if k != "package_count"}


def _tags(keywords: Mapping[str, list[str]], lang: str) -> list[str]:
    ordered = [lang, *sorted(k for k in keywords if k != lang)]
    return list(dict.fromkeys(w for code in ordered for w in keywords.get(code, [])))


def _ckan_state(state: State) -> str:
    if state in (State.DRAFT, State.REVIEW):
        return "draft"
    return "deleted" if state is State.DELETED else "active"


def _uri(vocab: str, code: str | None) -> str | None:
    concept = vocabulary(vocab).get(code) if code else None
    return concept.uri if concept else None


def _extras(dataset: Dataset, lang: str, base_url: str) -> dict[str, str]:
    out: dict[str, str] = {"uri": f"{base_url.rstrip('/')}/dataset/{dataset.id}"}
    for key, vocab, codes in (
        ("theme", "data-theme", dataset.themes),
        ("sector", "sector", dataset.sectors),
        ("language", "language", dataset.languages),
    ):
        if codes:
            out[key] = json.dumps([_uri(vocab, c) or c for c in codes])
    simple = {
        "issued": dataset.issued,
        "modified": dataset.modified,
        "frequency": _uri("frequency", dataset.frequency),
        "access_rights": _uri("access-right", dataset.access_rights),
        "temporal_start": dataset.temporal.start if dataset.temporal else None,
        "temporal_end": dataset.temporal.end if dataset.temporal else None,
        "spatial_uri": dataset.spatial.uri if dataset.spatial else None,
        "spatial_text": pick(dataset.spatial.label, lang)[0] or None if dataset.spatial else None,
        "spatial": _geojson_box(dataset),
        "contact_name": dataset.contact_point.name if dataset.contact_point else None,
        "contact_email": dataset.contact_point.email if dataset.contact_point else None,
        "contact_uri": dataset.contact_point.url if dataset.contact_point else None,
        "conforms_to": json.dumps(dataset.conforms_to) if dataset.conforms_to else None,
        "version_notes": pick(dataset.version_notes, lang)[0] or None,
        "provenance": pick(dataset.provenance, lang)[0] or None,
    }
    out.update({k: v for k, v in simple.items() if v})
    for key, value in sorted(dataset.extras.items()):
        out.setdefault(key, value)
    return out


def _geojson_box(dataset: Dataset) -> str | None:
    if not dataset.spatial or not dataset.spatial.bbox:
        return None
    west, south, east, north = dataset.spatial.bbox
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


# ------------------------------------------------------------------ CKAN dict -> obert input


def dataset_input(package: Mapping[str, Any], *, lang: str) -> dict[str, Any]:
    """The DatasetInput JSON for a CKAN package dict (validated by the service that receives it)."""
    extras = _extras_dict(package.get("extras"))
    data: dict[str, Any] = {
        "name": package.get("name"),
        "title": _translated(package, "title", lang),
        "description": _translated(package, "notes", lang),
        "organization": package.get("owner_org") or None,
        "state": State.DRAFT.value if package.get("state") == "draft" else State.PUBLISHED.value,
        "visibility": Visibility.PRIVATE.value
        if _truthy(package.get("private"))
        else Visibility.PUBLIC.value,
        "keywords": _keywords(package, lang),
        "license": licence_code(package.get("license_id")) or package.get("license_id") or None,
        "landing_page": package.get("url") or None,
        "version": package.get("version") or None,
    }
    for key, vocab in _LIST_EXTRAS.items():
        if key in extras:
            field = {"theme": "themes", "sector": "sectors", "language": "languages"}[key]
            data[field] = [_code(vocab, v) for v in _json_list(extras[key])]
    for key, vocab, field in (
        ("frequency", "frequency", "frequency"),
        ("access_rights", "access-right", "access_rights"),
    ):
        if extras.get(key):
            data[field] = _code(vocab, extras[key])
    for key in ("issued", "modified"):
        if extras.get(key):
            data[key] = extras[key]
    if extras.get("temporal_start") or extras.get("temporal_end"):
        data["temporal"] = {"start": extras.get("temporal_start"), "end": extras.get("temporal_end")}
    spatial = _spatial(extras, package.get("spatial_text_translated"), lang)
    if spatial:
        data["spatial"] = spatial
    contact = {
        "name": extras.get("contact_name") or package.get("maintainer") or None,
        "email": extras.get("contact_email") or package.get("maintainer_email") or None,
        "url": extras.get("contact_uri") or None,
    }
    if any(contact.values()):
        data["contact_point"] = contact
    if extras.get("conforms_to"):
        data["conforms_to"] = _json_list(extras["conforms_to"])
    for key in ("version_notes", "provenance"):
        text = _translated(
            {key: extras.get(key), f"{key}_translated": package.get(f"{key}_translated")}, key, lang
        )
        if text:
            data[key] = text
    data["extras"] = {k: v for k, v in extras.items() if k not in _DCAT_EXTRAS}
    if "resources" in package and package["resources"] is not None:
        data["resources"] = [resource_input(r, lang=lang) for r in package["resources"]]
    return {k: v for k, v in data.items() if v is not None}


def resource_input(resource: Mapping[str, Any], *, lang: str) -> dict[str, Any]:
    """The ResourceInput JSON for a CKAN resource dict."""
    title = _translated(resource, "name", lang)
    description = _translated(resource, "description", lang)
    checksum = resource.get("hash") or None
    data: dict[str, Any] = {
        "name": resource.get("obert_name") or None,
        "title": title,
        "description": description,
        "format": resource.get("format") or None,
        "media_type": resource.get("mimetype") or None,
        "byte_size": _int_or_none(resource.get("size")),
        "checksum": checksum if checksum and ":" in str(checksum) else None,
        "license": licence_code(resource.get("license_id")) or resource.get("license_id") or None,
    }
    if resource.get("url_type") != "upload":
        data["access_url"] = resource.get("url") or None
        data["download_url"] = resource.get("download_url") or None
    return {k: v for k, v in data.items() if v is not None}


def organization_input(org: Mapping[str, Any], *, lang: str) -> dict[str, Any]:
    data = {
        "name": org.get("name"),
        "title": _translated(org, "title", lang),
        "description": _translated(org, "description", lang),
        "image_url": org.get("image_url") or None,
    }
    return {k: v for k, v in data.items() if v is not None}


def group_input(group: Mapping[str, Any], *, lang: str) -> dict[str, Any]:
    """The GroupInput JSON for a CKAN group dict; CKAN's title is optional, obert's is the name then."""
    data = organization_input(group, lang=lang)
    if not data.get("title") and isinstance(data.get("name"), str):
        data["title"] = {lang: data["name"]}
    return data


def member_refs(items: Any, field: str) -> list[str] | None:
    """The ids or names in CKAN's lists of member dicts (`groups` of a package, `packages` of a group):
    [{"name": ...}], [{"id": ...}] or plain strings; None when the list was not sent."""
    if items is None:
        return None
    if isinstance(items, str):
        text = items.strip()
        try:
            items = json.loads(text) if text.startswith("[") else [t for t in text.split(",") if t.strip()]
        except ValueError:
            raise Invalid(msg("not a list"), errors=[FieldError(field, msg("give a list"))]) from None
    if not isinstance(items, list):
        raise Invalid(msg("not a list"), errors=[FieldError(field, msg("give a list"))])
    refs = []
    for item in items:
        ref = (item.get("id") or item.get("name")) if isinstance(item, dict) else item
        if not isinstance(ref, str) or not ref.strip():
            raise Invalid(msg("not a list"), errors=[FieldError(field, msg("give each one's id or name"))])
        refs.append(ref.strip())
    return refs


def _translated(source: Mapping[str, Any], key: str, lang: str) -> dict[str, str]:
    """`key_translated` (a dict, or its JSON), with the plain `key` winning for the default language:
    a client that edits `title` in a package_show dict and sends it back means the new title."""
    out: dict[str, str] = {}
    translated = source.get(f"{key}_translated")
    if isinstance(translated, str) and translated.strip().startswith("{"):
        try:
            translated = json.loads(translated)
        except ValueError:
            translated = None
    if isinstance(translated, dict):
        out = {str(k): str(v) for k, v in translated.items() if v is not None}
    value = source.get(key)
    if value and str(value) != pick(out, lang)[0]:
        out[lang] = str(value)
    return out


def _keywords(package: Mapping[str, Any], lang: str) -> dict[str, list[str]]:
    translated = package.get("tags_translated")
    keywords: dict[str, list[str]] = {}
    if isinstance(translated, dict):
        keywords = {str(k): [str(w) for w in v] for k, v in translated.items() if isinstance(v, list)}
    if "tags" not in package:
        return keywords
    tags = package.get("tags") or []
    if isinstance(tags, str):  # a form post sends "a,b,c"
        words = [t.strip() for t in tags.split(",")]
    else:
        words = [str(t.get("name", "")) if isinstance(t, dict) else str(t) for t in tags]
    words = [w for w in words if w]
    # The flat tags a client sent back unchanged stand for the translated ones; changed tags replace them.
    if keywords and words == _tags(keywords, lang):
        return keywords
    return {lang: words} if words else {}


def _extras_dict(extras: Any) -> dict[str, str]:
    if isinstance(extras, dict):
        return {str(k): str(v) for k, v in extras.items()}
    out = {}
    for item in extras or []:
        if isinstance(item, dict) and "key" in item:
            out[str(item["key"])] = "" if item.get("value") is None else str(item["value"])
    return out


def _json_list(value: str) -> list[str]:
    text = value.strip()
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if isinstance(parsed, list):
            return [str(v) for v in parsed]
    return [v.strip() for v in text.split(",") if v.strip()]


def _code(vocab: str, value: str) -> str:
    concept = vocabulary(vocab).get(value)
    return concept.code if concept else value


def _spatial(extras: Mapping[str, str], labels: Any, lang: str) -> dict[str, Any] | None:
    spatial: dict[str, Any] = {}
    if extras.get("spatial_uri"):
        spatial["uri"] = extras["spatial_uri"]
    label = _translated({"text": extras.get("spatial_text"), "text_translated": labels}, "text", lang)
    if label:
        spatial["label"] = label
    if extras.get("spatial"):
        try:
            geometry = json.loads(extras["spatial"])
            xs = [p[0] for ring in geometry["coordinates"] for p in ring]
            ys = [p[1] for ring in geometry["coordinates"] for p in ring]
            spatial["bbox"] = [min(xs), min(ys), max(xs), max(ys)]
        except (ValueError, KeyError, TypeError, IndexError):
            spatial["bbox"] = extras["spatial"]  # let validation say what is wrong with it
    return spatial or None


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "on")
    return bool(value)


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return value  # type: ignore[no-any-return]  # validation names the field
