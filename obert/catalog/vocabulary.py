"""The controlled vocabularies obert ships as data: EU data themes, frequencies, file types, licences,
access rights and languages, and datos.gob.es' sectors and territories.

Each lives in ``obert/catalog/vocabularies/<name>.json`` (built once by ``scripts/build_vocabularies.py``,
never at run time) and is read on first use, then kept for the life of the process. The six EU high-value
dataset categories (``hvd-category.json``, the top concepts of http://data.europa.eu/bna/asd487ae75) are
written by hand: the script's source tables do not include them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

NAMES = (
    "access-right",
    "data-theme",
    "file-type",
    "frequency",
    "hvd-category",
    "language",
    "licence",
    "sector",
    "territory",
)
_FALLBACK = ("en", "es", "ca")


@dataclass(frozen=True, slots=True)
class Concept:
    """One entry of a vocabulary; ``extra`` holds its vocabulary's own keys (``eu_theme``, ``media_type``)."""

    code: str
    uri: str
    label: Mapping[str, str] = field(hash=False)
    extra: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def label_in(self, lang: str) -> str:
        """The label in `lang`, else in English, Spanish or Catalan, else the code."""
        for candidate in (lang, *_FALLBACK):
            if text := self.label.get(candidate):
                return text
        return self.code

    def label_lang(self, lang: str) -> str | None:
        """The language `label_in(lang)` answers in (None when it falls back to the code), so that a page
        can mark a label the EU gives only in English as English."""
        for candidate in (lang, *_FALLBACK):
            if text := self.label.get(candidate):
                # Proper names kept as the EU gives them (“The MIT License”) are English in every column.
                return "en" if candidate != "en" and text == self.label.get("en") else candidate
        return None


def _iri_key(value: str) -> str:
    # Harvested metadata writes the same IRI with either scheme and with or without a final slash.
    value = value.strip()
    if value.startswith("https://"):
        value = "http://" + value[len("https://") :]
    return value.rstrip("/")


@dataclass(frozen=True, slots=True)
class Vocabulary:
    name: str
    scheme: str
    title: Mapping[str, str] = field(hash=False)
    concepts: tuple[Concept, ...] = field(hash=False)
    _by_key: dict[str, Concept] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        index: dict[str, Concept] = {}
        # Earlier passes win: a code beats an IRI, which beats a label that happens to look like a code.
        for concept in self.concepts:
            index.setdefault(concept.code.casefold(), concept)
        for concept in self.concepts:
            index.setdefault(_iri_key(concept.uri), concept)
            for url in concept.extra.get("exact_match") or ():
                index.setdefault(_iri_key(url), concept)
        for concept in self.concepts:
            for text in concept.label.values():
                index.setdefault(text.strip().casefold(), concept)
        object.__setattr__(self, "_by_key", index)

    def get(self, code_or_uri_or_label: str) -> Concept | None:
        """The concept with this code (any case), IRI (or, for licences, a licence page URL) or label."""
        value = code_or_uri_or_label.strip()
        if "://" in value:
            return self._by_key.get(_iri_key(value))
        return self._by_key.get(value.casefold())

    def __contains__(self, item: object) -> bool:
        return isinstance(item, str) and self.get(item) is not None

    def __iter__(self) -> Iterator[Concept]:
        return iter(self.concepts)

    def __len__(self) -> int:
        return len(self.concepts)


@cache
def vocabulary(name: str) -> Vocabulary:
    """The vocabulary called `name` (one of `NAMES`)."""
    if name not in NAMES:
        raise KeyError(f"no vocabulary called {name!r}; known: {', '.join(NAMES)}")
    text = (
        resources.files("obert.catalog")
        .joinpath("vocabularies")
        .joinpath(f"{name}.json")
        .read_text(encoding="utf-8")
    )
    data = json.loads(text)
    concepts = tuple(
        Concept(
            code=item["code"],
            uri=item["uri"],
            label=dict(item["label"]),
            extra={k: v for k, v in item.items() if k not in ("code", "uri", "label")},
        )
        for item in data["concepts"]
    )
    return Vocabulary(name=name, scheme=data["scheme"], title=dict(data["title"]), concepts=concepts)


@cache
def _file_type_index() -> dict[str, Concept]:
    file_types = vocabulary("file-type")
    current = [c for c in file_types if not c.extra.get("deprecated")]
    index: dict[str, Concept] = {}
    # Several formats share a media type or an extension (TMX and XML are both application/xml, GeoJSON and
    # JSON both use .json): the format named like the extension, then the one marked as the media type's
    # primary format, wins.
    for concept in current:
        if concept.extra.get("media_type_primary"):
            index.setdefault(str(concept.extra["media_type"]).casefold(), concept)
        for alias in concept.extra.get("media_type_aliases") or ():
            index.setdefault(str(alias).casefold(), concept)
    for concept in current:
        if concept.extra.get("media_type"):
            index.setdefault(str(concept.extra["media_type"]).casefold(), concept)
    for concept in current:
        if concept.code.casefold() in (concept.extra.get("extensions") or ()):
            index.setdefault("." + concept.code.casefold(), concept)
    for concept in sorted(current, key=lambda c: not c.extra.get("media_type_primary")):
        for extension in concept.extra.get("extensions") or ():
            index.setdefault("." + extension, concept)
    return index


def file_type_for(format_or_media_type_or_extension: str) -> Concept | None:
    """The EU file type for a format code or label ("CSV", "JSON-LD", "Esri Shape"), a media type
    ("text/csv", "application/vnd.apache.parquet; charset=binary"), a file extension ("xlsx", ".csv") or a
    file-type IRI."""
    value = format_or_media_type_or_extension.strip().casefold()
    if not value:
        return None
    if "://" in value:
        return vocabulary("file-type").get(format_or_media_type_or_extension)
    if "/" in value:
        return _file_type_index().get(value.split(";", 1)[0].strip())
    if value.startswith("."):
        return _file_type_index().get(value)
    return (
        vocabulary("file-type").get(value)
        or vocabulary("file-type").get(value.replace("-", "_"))
        or _file_type_index().get("." + value)
    )
