"""Languages of the site (ca, es, en): gettext catalogues, negotiation, and picking metadata text."""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from obert.errors import Message
from obert.types import LANGS, Lang

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGE_NAMES: dict[Lang, str] = {"ca": "Català", "es": "Castellano", "en": "English"}


@cache
def _catalog(lang: Lang) -> Catalog | None:
    po = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return None
    with po.open("rb") as f:
        return read_po(f, locale=lang)


@cache
def translations(lang: Lang) -> Translations:
    """The gettext catalogue of `lang`, compiled in memory from its .po file (no build step needed)."""
    catalog = _catalog(lang)
    if catalog is None:
        return Translations()
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(buf)


def as_lang(value: str | None) -> Lang | None:
    if value is None:
        return None
    code = value.strip().lower()[:2]
    for lang in LANGS:
        if lang == code:
            return lang
    return None


def negotiate(accept_language: str | None, default: Lang) -> Lang:
    """The best of ca/es/en for an Accept-Language header, by its q-values."""
    if not accept_language:
        return default
    ranked: list[tuple[float, int, Lang]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        lang = as_lang(tag)
        if lang is None:
            continue
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        ranked.append((-q, position, lang))
    ranked = [r for r in ranked if r[0] < 0]
    return min(ranked)[2] if ranked else default


def pick(text: dict[str, str] | None, lang: str) -> tuple[str, str | None]:
    """The text in `lang`, else a fallback; returns (text, language of the text) so a page can mark it."""
    if not text:
        return "", None
    if text.get(lang):
        return text[lang], lang
    for other in (*LANGS, *sorted(text)):
        if text.get(other):
            return text[other], other
    return "", None


def localize(text: str, lang: Lang) -> str:
    """`text` in `lang` when it is a translatable `Message` whose template the catalogue knows; else as is."""
    return localized(text, lang)[0]


def localized(text: str, lang: Lang) -> tuple[str, Lang]:
    """`text` in `lang` and the language it came out in (English when the catalogue has no translation)."""
    if not isinstance(text, Message):
        return str(text), "en"
    catalogue = translations(lang)
    template = catalogue.gettext(text.template)
    if template == text.template and lang != "en" and not _knows(lang, text.template):
        return str(text), "en"
    # A message quoted inside another ("step 2 failed: …") is given in the same language.
    params = {k: localize(v, lang) if isinstance(v, Message) else v for k, v in text.params.items()}
    try:
        return (template.format(**params) if params else template), lang
    except (KeyError, IndexError, ValueError):  # a translation that lost a placeholder: say it in English
        return str(text), "en"


@cache
def _catalogue_ids(lang: Lang) -> frozenset[str]:
    catalog = _catalog(lang)
    return frozenset(str(m.id) for m in catalog or () if m.id and m.string)


def _knows(lang: Lang, template: str) -> bool:
    return template in _catalogue_ids(lang)
