"""Catalan and Spanish grammar of phrases built around names: d'Accidents, de Barris, del, y/e."""

from __future__ import annotations

import pytest

from obert.i18n.grammar import and_join, elides, of_phrase


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Accidents", "d'Accidents"),
        ("Inspeccions", "d'Inspeccions"),
        ("habitatges", "d'habitatges"),
        ("Equipaments", "d'Equipaments"),
        ("Ús del sòl", "d'Ús del sòl"),
        ("Barris", "de Barris"),
        ("Codi_districte", "de Codi_districte"),
        ("iogurts", "de iogurts"),  # i before a vowel is a consonant
        ("Huelva", "de Huelva"),
        ("1", "d'1"),
        ("11", "d'11"),
        ("8", "de 8"),
        ("10", "de 10"),
        ("1.000", "de 1.000"),  # mil
        ("11.500", "d'11.500"),  # onze mil cinc-cents
        ("1.250.000", "d'1.250.000"),  # un milió
        ("1,5", "d'1,5"),
        ("9.936", "de 9.936"),
        ("Numero_victimes", "de Numero_victimes"),
        ("", "de "),
    ],
)
def test_catalan_de_takes_an_apostrophe_before_a_vowel_sound(text: str, expected: str) -> None:
    assert of_phrase(text, "ca") == expected


def test_spanish_and_english_of() -> None:
    assert of_phrase("Accidentes", "es") == "de Accidentes"
    assert of_phrase("el Raval", "es") == "del Raval"
    assert of_phrase("El Prat", "es") == "de El Prat"  # a name keeps its article
    assert of_phrase("Accidents", "en") == "of Accidents"


def test_lists_join_with_the_language_conjunction() -> None:
    assert and_join(["a"], "ca") == "a"
    assert and_join(["a", "b", "c"], "ca") == "a, b i c"
    assert and_join(["Any", "Barri"], "es") == "Any y Barri"
    assert and_join(["Any", "Inspecciones"], "es") == "Any e Inspecciones"
    assert and_join(["Any", "hijos"], "es") == "Any e hijos"
    assert and_join(["Any", "hielo"], "es") == "Any y hielo"
    assert and_join(["a", "b"], "en") == "a and b"
    assert not elides("whisky")
