"""Validated field types shared by the catalogue's input models."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints, model_validator

from obert.catalog.vocabulary import vocabulary
from obert.errors import Message, msg

Slug = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_lower=False, min_length=2, max_length=100, pattern=r"^[a-z0-9][a-z0-9_-]*$"
    ),
]

_LANG_KEY = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _localized(value: dict[str, str]) -> dict[str, str]:
    out = {}
    for lang, text in value.items():
        if not _LANG_KEY.match(lang):
            raise ValueError(msg("'{lang}' is not a language code (use ca, es, en...)", lang=lang))
        if text.strip():
            out[lang] = text.strip()
    return out


def _localized_list(value: dict[str, list[str]]) -> dict[str, list[str]]:
    out = {}
    for lang, words in value.items():
        if not _LANG_KEY.match(lang):
            raise ValueError(msg("'{lang}' is not a language code (use ca, es, en...)", lang=lang))
        kept = list(dict.fromkeys(w.strip() for w in words if w.strip()))
        if kept:
            out[lang] = kept
    return out


def _non_empty(value: dict[str, str]) -> dict[str, str]:
    if not value:
        raise ValueError(msg('give the text in at least one language, e.g. {"ca": "..."}'))
    return value


def _url(value: str) -> str:
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(msg("must be an absolute http(s) URL"))
    return value


def _email(value: str) -> str:
    value = value.strip()
    if not _EMAIL.match(value):
        raise ValueError(msg("is not an e-mail address"))
    return value


def _iso_date_or_datetime(value: str) -> str:
    value = value.strip()
    try:
        if len(value) == 10:
            return date.fromisoformat(value).isoformat()
        return datetime.fromisoformat(value.replace("Z", "+00:00")).isoformat()
    except ValueError:
        raise ValueError(msg("must be an ISO 8601 date (2024-05-31) or date-time")) from None


def _in_vocabulary(name: str, what: Message) -> AfterValidator:
    def check(value: str) -> str:
        concept = vocabulary(name).get(value)
        if concept is None:
            raise ValueError(msg("'{value}' is not a known {what}", value=value, what=what))
        return concept.code

    return AfterValidator(check)


LocalizedText = Annotated[dict[str, str], AfterValidator(_localized)]
RequiredLocalizedText = Annotated[dict[str, str], AfterValidator(_localized), AfterValidator(_non_empty)]
LocalizedList = Annotated[dict[str, list[str]], AfterValidator(_localized_list)]
Url = Annotated[str, AfterValidator(_url)]
Email = Annotated[str, AfterValidator(_email)]
IsoDate = Annotated[str, AfterValidator(_iso_date_or_datetime)]
ThemeCode = Annotated[str, _in_vocabulary("data-theme", msg("EU data theme"))]
SectorCode = Annotated[str, _in_vocabulary("sector", msg("datos.gob.es sector"))]
LicenseCode = Annotated[str, _in_vocabulary("licence", msg("licence"))]
AccessRightsCode = Annotated[str, _in_vocabulary("access-right", msg("access right"))]
FrequencyCode = Annotated[str, _in_vocabulary("frequency", msg("update frequency"))]
LanguageCode = Annotated[str, _in_vocabulary("language", msg("language"))]
HvdCategoryCode = Annotated[str, _in_vocabulary("hvd-category", msg("high-value dataset category"))]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Temporal(Strict):
    start: IsoDate | None = None
    end: IsoDate | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Temporal:
        if self.start and self.end and self.start[:10] > self.end[:10]:
            raise ValueError(msg("start must not be after end"))
        return self


class Spatial(Strict):
    uri: Url | None = None
    label: LocalizedText = {}
    bbox: tuple[float, float, float, float] | None = None  # west, south, east, north in WGS84

    @model_validator(mode="after")
    def _valid_box(self) -> Spatial:
        if self.bbox:
            west, south, east, north = self.bbox
            if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
                raise ValueError(
                    msg("bbox must be [west, south, east, north] in degrees, west <= east, south <= north")
                )
        return self


class ContactPoint(Strict):
    name: str | None = None
    email: Email | None = None
    url: Url | None = None
