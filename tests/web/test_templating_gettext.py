"""Remembered translations answer exactly what Jinja's own gettext answers."""

from __future__ import annotations

import pytest
from jinja2 import Environment, select_autoescape

from obert.i18n import translations
from obert.types import Lang
from obert.web.templating import environment

TEXTS = [
    '{{ _("Datasets") }}',
    '{{ _("Datasets") }}|{{ _("Datasets") }}',
    '{{ _("100%% of <b>") }}',
    '{{ _("100%% of <b>") | e }}',
    '{{ gettext("Search") }}',
    '{{ _("%(n)s rows", n=3) }}|{{ _("%(n)s rows", n="<i>") }}|{{ _("%(n)s rows", n=4) }}',
    "{% trans %}Home{% endtrans %}",
    "{% trans n=2 %}{{ n }} files{% endtrans %}",
]


def _reference(lang: Lang) -> Environment:
    env = Environment(autoescape=select_autoescape(["html", "xml"]), extensions=["jinja2.ext.i18n"])
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    return env


@pytest.mark.parametrize("lang", ["ca", "es", "en"])
@pytest.mark.parametrize("source", TEXTS)
def test_remembered_gettext_matches_jinja(lang: Lang, source: str) -> None:
    # The same text in a block that does not escape: remembered apart from the escaped one.
    for text in (source, f"{{% autoescape false %}}{source}{{% endautoescape %}}", source):
        reference = _reference(lang).from_string(text)
        mine = environment(lang).from_string(text)
        for _ in range(2):  # the second answer comes from what was remembered
            assert mine.render() == reference.render(), text


def test_a_text_with_placeholders_is_formatted_each_time() -> None:
    template = environment("en").from_string('{{ _("%(n)s rows", n=n) }}')
    assert [template.render(n=n) for n in (1, 2, "<x>")] == ["1 rows", "2 rows", "&lt;x&gt; rows"]
