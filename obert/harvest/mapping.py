"""Helpers backends share to turn what a source says into values obert's catalogue accepts.

Sources are messy: licences as page URLs or free text, dates as "01/03/2017" or "2017-03-01T00:00:00",
themes as datos.gob.es sector IRIs. Anything that cannot be mapped is kept in `extras` rather than lost or
allowed to fail the whole dataset.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

# One licence table for the CKAN face and every harvester (see obert.catalog.licences).
from obert.catalog.licences import licence_code as licence_code
from obert.catalog.vocabulary import file_type_for, vocabulary

_SLUG_BAD = re.compile(r"[^a-z0-9_-]+")
_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")


def slugify(text: str, *, max_length: int = 90) -> str:
    """A catalogue name from any text: accents folded, lower case, dashes."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    slug = _SLUG_BAD.sub("-", folded).strip("-_")[:max_length].strip("-_")
    return slug if len(slug) >= 2 else f"dataset-{hashlib.sha1(text.encode()).hexdigest()[:8]}"


def norm_title(text: str) -> str:
    """A title reduced to what two catalogues would agree on, for recognising the same dataset."""
    return " ".join(slugify(text, max_length=300).replace("-", " ").split())


def code_in(name: str, value: object) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    concept = vocabulary(name).get(value)
    return concept.code if concept else None


def themes_and_sectors(values: list[str]) -> tuple[list[str], list[str], list[str]]:
    """Split theme-ish values into EU themes, datos.gob.es sectors (each adding its EU theme) and the rest."""
    themes: list[str] = []
    sectors: list[str] = []
    rest: list[str] = []
    for value in values:
        if sector := vocabulary("sector").get(value):
            sectors.append(sector.code)
            if eu := sector.extra.get("eu_theme"):
                themes.append(str(eu))
        elif theme := code_in("data-theme", value):
            themes.append(theme)
        elif value.strip():
            rest.append(value.strip())
    return list(dict.fromkeys(themes)), list(dict.fromkeys(sectors)), rest


def language_codes(values: list[str]) -> list[str]:
    """EU language codes from codes, IRIs or the bare ISO 639-1 literals Spanish catalogues use ("es")."""
    out = []
    for value in values:
        code = code_in("language", value) or code_in("language", _ISO1.get(value.strip().lower(), ""))
        if code:
            out.append(code)
    return list(dict.fromkeys(out))


_ISO1 = {"es": "SPA", "ca": "CAT", "en": "ENG", "eu": "EUS", "gl": "GLG", "fr": "FRA", "de": "DEU"}


def iso_date(value: object) -> str | None:
    """An ISO 8601 date or date-time from the formats real catalogues use, or None."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if match := _DMY.match(text):
        day, month, year = int(match[1]), int(match[2]), int(match[3])
        try:
            if match[4]:
                stamp = datetime(
                    year, month, day, int(match[4]), int(match[5]), int(match[6] or 0), tzinfo=UTC
                )
                return stamp.isoformat()
            return date(year, month, day).isoformat()
        except ValueError:
            return None
    try:
        if len(text) == 10:
            return date.fromisoformat(text).isoformat()
        return datetime.fromisoformat(text.replace("Z", "+00:00")).isoformat()
    except ValueError:
        return None


def file_format(*candidates: object) -> str | None:
    """The EU file-type code of the first candidate (format label, media type or file name) that has one."""
    for value in candidates:
        if not isinstance(value, str) or not value.strip():
            continue
        text = value.strip()
        concept = file_type_for(text)
        if concept is None and "." in text.rsplit("/", 1)[-1] and "://" in text:
            concept = file_type_for("." + text.rsplit("/", 1)[-1].rsplit(".", 1)[-1].split("?")[0])
        if concept:
            return concept.code
    return None


def http_url(value: object) -> str | None:
    if (
        isinstance(value, str)
        and value.strip().startswith(("http://", "https://"))
        and " " not in value.strip()
    ):
        return value.strip()
    return None


def text_value(value: object) -> str:
    """Extras keep strings: nested values are written as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def content_hash(*parts: Any) -> str:
    """A stable hash of a record's mapped content: equal hashes mean nothing to write."""
    canonical = json.dumps(parts, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def localized(value: object, default_lang: str) -> dict[str, str]:
    """Text in languages: a dict keyed by language is kept, a plain string goes under `default_lang`."""
    if isinstance(value, dict):
        return {str(k).lower(): str(v) for k, v in value.items() if isinstance(v, str) and v.strip()}
    if isinstance(value, str) and value.strip():
        return {default_lang: value}
    return {}


_CREDENTIALS = re.compile(r"(://[^/:@]+:)[^/@]*@")


def masked(url: str) -> str:
    """A URL safe to show: a database password is never displayed."""
    return _CREDENTIALS.sub(r"\1***@", url)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
