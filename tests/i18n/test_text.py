from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from obert.i18n.text import fold, index_terms, index_text, query_terms, words

PLAIN = re.compile(r"^[^\W_]+$")


def test_fold_drops_case_and_accents() -> None:
    assert fold("Gràcia") == fold("GRACIA") == "gracia"
    assert fold("Col·lecció d’Àvila") == "colleccio d'avila"
    assert fold("Straße") == "strasse"


def test_words_drop_stop_words_and_elided_articles() -> None:
    assert words("Qualitat de l'aire a Barcelona") == ["qualitat", "aire", "barcelona"]
    assert words("the number of accidents") == ["number", "accidents"]
    assert words("2018_accidents-gu") == ["2018", "accidents", "gu"]


def test_each_language_stems_its_own_plurals() -> None:
    def stem(word: str, lang: str) -> str:
        return index_terms(word, lang)[0]

    assert stem("accidents", "ca") == stem("accident", "ca")
    assert stem("mercats", "ca") == stem("mercat", "ca")
    assert stem("bicicletas", "es") == stem("bicicleta", "es")
    assert stem("accidents", "en") == stem("accident", "en")
    assert index_terms("2018", "ca") == ("2018",)
    assert index_terms("bicicletes", "ca") == ("biciclet", "bicicletes")  # the word too, for prefixes


def test_a_query_word_matches_the_stem_of_every_language() -> None:
    [term] = query_terms("Bicicletes ")
    for lang in ("ca", "es", "en"):
        assert index_terms("bicicletes", lang)[0] in term.alternatives
    assert term.prefix is None  # a finished word (followed by a space) is not a prefix


def test_the_word_being_typed_is_a_prefix() -> None:
    terms = query_terms("qualitat ai")
    assert [t.prefix for t in terms] == [None, "ai"]
    [half_typed] = query_terms("accid")
    assert "acc" not in half_typed.alternatives  # the Catalan stemmer's guess at a half word


@given(st.text(max_size=300))
def test_nothing_typed_becomes_query_syntax(text: str) -> None:
    for term in query_terms(text):
        for piece in (*term.alternatives, term.prefix or "x"):
            assert PLAIN.match(piece), piece


def test_query_syntax_characters_are_only_separators() -> None:
    terms = query_terms("\"aire\" OR (renda* NEAR: -llars) AND 'x'")
    assert [t.word for t in terms] == ["aire", "renda", "near", "llars"]


# Text mixing words, marks, combining accents and every kind of whitespace, where analysing chunk by chunk
# could go wrong if any step made or removed whitespace.
TRICKY = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("aàeèiíoòuú ·’ʼ'\u0301\u0327\u00a0\u2000\u2001\u2028\u3000\x1c\x1f\x85\t\nß½Ǆ")),
        st.characters(),
    ),
    max_size=200,
)


@given(TRICKY, st.sampled_from(["ca", "es", "en", None, "de"]))
def test_index_text_gives_the_terms_of_index_terms(text: str, lang: str | None) -> None:
    # index_text analyses each whitespace-separated chunk once and remembers it; the result must be the
    # terms of the whole text, whether the chunks were seen before or not.
    expected = " ".join(index_terms(text, lang))
    assert index_text([(lang, text)]) == expected
    assert index_text([(lang, text)]) == expected
    both = [*index_terms(text, lang), *index_terms("Gràcia", "ca")]
    assert index_text([(lang, text), ("ca", "Gràcia")]) == " ".join(both)
