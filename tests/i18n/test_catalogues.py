from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from obert.i18n import LOCALE_DIR, negotiate, pick, translations

ROOT = Path(__file__).parents[2]
METHODS = [("obert/**.py", "python"), ("obert/web/templates/**.html", "jinja2")]
OPTIONS = {"obert/web/templates/**.html": {"extensions": "jinja2.ext.i18n"}}


def _source_messages() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _ctx in extract_from_dir(
        ROOT, METHODS, OPTIONS, keywords={"_": None, "ngettext": (1, 2), "msg": None}
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


@pytest.mark.parametrize("lang", ["ca", "es", "en"])
def test_every_interface_string_is_translated(lang: str) -> None:
    with (LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f, locale=lang)
    translated = {
        (m.id[0] if isinstance(m.id, tuple) else m.id)
        for m in catalog
        if m.id and (all(m.string) if isinstance(m.string, tuple) else m.string)
    }
    missing = _source_messages() - translated
    assert not missing, f"untranslated in {lang} (run `make messages` and fill them in): {sorted(missing)}"


def test_plural_forms_follow_the_language() -> None:
    assert translations("ca").ngettext("%(num)s dataset", "%(num)s datasets", 1) == "%(num)s conjunt de dades"
    assert (
        translations("es").ngettext("%(num)s dataset", "%(num)s datasets", 7) == "%(num)s conjuntos de datos"
    )


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("es-ES,es;q=0.9", "es"),
        ("fr-FR, en;q=0.5, ca;q=0.7", "ca"),
        ("de", "ca"),
        ("", "ca"),
        ("en;q=0, es", "es"),
        ("ca;q=abc, en", "en"),
    ],
)
def test_negotiation(header: str, expected: str) -> None:
    assert negotiate(header, "ca") == expected


def test_pick_falls_back_and_says_which_language() -> None:
    assert pick({"ca": "Hola", "en": "Hello"}, "en") == ("Hello", "en")
    assert pick({"es": "Hola"}, "en") == ("Hola", "es")
    assert pick({"eu": "Kaixo"}, "ca") == ("Kaixo", "eu")
    assert pick({}, "ca") == ("", None)
