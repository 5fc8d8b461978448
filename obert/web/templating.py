"""Jinja2 environments, one per language, with gettext and the helpers templates use."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date as babel_format_date
from babel.dates import format_time, format_timedelta
from babel.numbers import format_decimal
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup, escape

from obert.catalog.vocabulary import vocabulary
from obert.errors import Message
from obert.i18n import LANGUAGE_NAMES, localize, pick, translations
from obert.i18n.grammar import and_join, column_words, counted, lower_first, of_phrase, upper_first
from obert.types import LANGS, Lang
from obert.web.cells import write_cell
from obert.web.schema_org import json_ld_script_body

TEMPLATES = Path(__file__).parent / "templates"
CITY_ZONE = "Europe/Madrid"  # the default of Settings.timezone


@cache
def environment(lang: Lang, zone: str = CITY_ZONE) -> Environment:
    """The templates of `lang`, writing dates and times in the time zone `zone` (the city's)."""
    tz = ZoneInfo(zone)
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n", "jinja2.ext.do"],
        # The templates ship with obert and change only with a new release (a new process): no stat of
        # each template file at each use.
        auto_reload=False,
        trim_blocks=True,
        lstrip_blocks=True,
        # Every message a template prints (errors from services, pydantic's included) in the page's language.
        finalize=lambda value: localize(value, lang) if isinstance(value, Message) else value,
    )
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.globals["gettext"] = env.globals["_"] = _remembered(env.globals["gettext"])  # type: ignore[arg-type]
    env.globals.update(
        lang=lang,
        langs=LANGS,
        language_names=LANGUAGE_NAMES,
        href=lambda path: f"/{lang}{path}",
        vocabulary=vocabulary,
        kept_fragment=_kept_fragment(env, lang, zone),
    )
    env.filters["pick"] = lambda text: pick(text, lang)[0]
    env.filters["pick_lang"] = lambda text: pick(text, lang)[1]
    env.filters["date"] = lambda value: _date(value, lang, tz)
    env.filters["datetime"] = lambda value: _datetime(value, lang, tz)
    env.filters["number"] = lambda value: _number(value, lang) if value is not None else ""
    env.filters["cell"] = lambda value, display: write_cell(value, display, lang)
    env.filters["filesize"] = lambda value: _filesize(value, lang)
    env.filters["schema_org"] = lambda dataset, base_url, links: json_ld_script_body(
        dataset, base_url=base_url, lang=lang, links=links
    )
    env.filters["ago"] = lambda delta: format_timedelta(-delta, add_direction=True, locale=lang)
    env.filters["isodate"] = lambda value: (
        _local(value, tz).isoformat() if isinstance(value, datetime) else value
    )
    env.filters["since"] = lambda value: _ago(value, lang)
    # "of <name>" and "a, b and c" with the language's grammar (d'Accidents, "y"/"e"); see i18n.grammar.
    env.filters["of"] = lambda text: of_phrase(str(text), lang)
    env.filters["and_join"] = lambda items: Markup(and_join([str(escape(i)) for i in items], lang))
    # Column names in generated titles: "Numero_victimes" → "victimes" counted, "Any" → "per any".
    env.filters["words"] = column_words
    env.filters["counted"] = counted
    env.filters["lower_first"] = lower_first
    env.filters["upper_first"] = upper_first
    return env


# Texts without placeholders whose translation is kept per language (the templates' own, a few hundred).
GETTEXT_KEPT = 4096


def _remembered(gettext: Callable[..., str]) -> Callable[..., str]:
    """Jinja's gettext, remembering the answer for a text without placeholders: a page asks for a
    hundred such texts and Jinja makes each a Markup and formats it every time."""
    kept: dict[tuple[str, bool], str] = {}

    @pass_context
    def remembered(context: Context, text: str, /, **variables: Any) -> str:
        if variables:
            return gettext(context, text, **variables)
        key = (text, context.eval_ctx.autoescape)
        answer = kept.get(key)
        if answer is None:
            answer = gettext(context, text)
            if len(kept) < GETTEXT_KEPT:
                kept[key] = answer
        return answer

    return remembered


# Rendered fragments kept by the process (a table preview is ~40 kB of HTML; a hundred cost a few MB).
FRAGMENTS_KEPT = 128
_fragments: OrderedDict[tuple[Any, ...], Markup] = OrderedDict()
_fragments_lock = threading.Lock()


def _kept_fragment(env: Environment, lang: Lang, zone: str) -> Callable[..., Markup]:
    """`kept_fragment(template, key, **context)`: `template` rendered with `context`, kept under `key`,
    the language and the time zone, and rendered again only when that combination is new. `key` must
    determine everything the fragment shows from `context` (a table version's id, never a name that could
    point at another version later); an empty key keeps nothing. The page decides who may see the
    content before it asks for the fragment."""

    def kept_fragment(template: str, key: tuple[Any, ...], /, **context: Any) -> Markup:
        if not key:
            return Markup(env.get_template(template).render(**context))
        full = (lang, zone, template, key)
        with _fragments_lock:
            found = _fragments.get(full)
            if found is not None:
                _fragments.move_to_end(full)
                return found
        # Rendered outside the lock: two threads may render the same fragment once each, never wait.
        html = Markup(env.get_template(template).render(**context))
        with _fragments_lock:
            _fragments[full] = html
            while len(_fragments) > FRAGMENTS_KEPT:
                _fragments.popitem(last=False)
        return html

    return kept_fragment


def render(lang: Lang, template: str, *, timezone: str = CITY_ZONE, **context: Any) -> str:
    return environment(lang, timezone).get_template(template).render(**context)


@lru_cache(maxsize=4096, typed=True)
def _number(value: Any, lang: Lang) -> str:
    """A quantity as the reader writes it ("1.234"): remembered, as a page writes the same few counts
    again and again (a search page has a hundred facet counts, which Babel would format one by one)."""
    return format_decimal(value, locale=lang)


def _local(value: datetime, tz: ZoneInfo) -> datetime:
    """`value` in the city's time zone; obert stores times in UTC, and a time without a zone is UTC."""
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(tz)


def _date(value: datetime | date | str | None, lang: Lang, tz: ZoneInfo) -> str:
    if value is None or value == "":
        return ""
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    if isinstance(when, datetime):
        when = _local(when, tz)
    return babel_format_date(when, format="long", locale=lang)


def _datetime(value: datetime | None, lang: Lang, tz: ZoneInfo) -> str:
    """A moment as the reader writes it, in the city's time: "6 de desembre de 2026, 18:55"."""
    if value is None:
        return ""
    when = _local(value, tz)
    day = babel_format_date(when, format="long", locale=lang)
    return f"{day}, {format_time(when, format='HH:mm', locale=lang)}"


def _ago(value: datetime, lang: Lang) -> str:
    """How long ago, in words ("3 months ago", "fa 3 mesos", "hace 3 meses")."""
    return format_timedelta(value - datetime.now(UTC), add_direction=True, locale=lang)


def _filesize(value: int | None, lang: Lang) -> str:
    if value is None:
        return ""
    size = float(value)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{format_decimal(round(size, 1), locale=lang)} {unit}"
        size /= 1000
    return str(value)
