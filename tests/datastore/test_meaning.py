"""A column's meaning decides what a chart may add up: counts of things and amounts, never codes, years,
months, identifiers or coordinates (Open Data BCN's accident and census headers)."""

from __future__ import annotations

import pytest

from obert.datastore.meaning import meaning_of
from obert.i18n.grammar import counted, lower_first
from obert.tableservice.charts import fold


@pytest.mark.parametrize(
    ("name", "type_", "meaning"),
    [
        ("Codi_districte", "integer", "code"),
        ("Codi districte", "integer", "code"),
        ("SEXE", "integer", "code"),
        ("Any", "integer", "year"),
        ("NK Any", "integer", "year"),
        ("Mes_any", "integer", "month"),
        ("Mes de any", "integer", "month"),
        ("Hora_dia", "integer", "period"),
        ("Dia de setmana", "integer", "period"),
        ("Coordenada_UTM_X", "decimal", "coordinate"),
        ("Coordenada UTM (Y)", "decimal", "coordinate"),
        ("Longitud", "decimal", "coordinate"),
        ("Id", "integer", "identifier"),
        ("Numero_victimes", "integer", "quantity"),
        ("Número de víctimes", "integer", "quantity"),
        ("Numero_vehicles_implicats", "integer", "quantity"),
        ("Import", "decimal", "quantity"),
        ("Data", "date", "date"),
        ("Nom_barri", "text", "text"),
    ],
)
def test_a_column_means_what_its_name_and_type_say(name: str, type_: str, meaning: str) -> None:
    assert meaning_of(name, type_) == meaning


def test_the_profile_and_the_publisher_have_their_say() -> None:
    # A serial number from 1 to n is a key; amounts that all differ spread far wider.
    serial = {"distinct": 500, "min": 1, "max": 500}
    assert meaning_of("registre", "integer", profile=serial, rows=500) == "identifier"
    spread = {"distinct": 73, "min": 1_203, "max": 58_310}
    assert meaning_of("habitatges", "integer", profile=spread, rows=73) == "quantity"
    # A column the publisher declares a count of people is a quantity whatever its name.
    assert meaning_of("SEXE", "integer", role="count") == "quantity"


def test_headers_of_different_years_fold_to_one_name() -> None:
    assert (
        fold("Número de víctimes") == fold("Numero_victimes") == fold("NUMERO VICTIMES") == "numero victimes"
    )
    assert fold("Codi districte") == fold("Codi_districte")
    assert fold("NK Any") != fold("Any")  # those are matched by meaning (one year column per table)


def test_titles_name_what_a_count_column_counts() -> None:
    assert counted("Número de víctimes") == "víctimes"
    assert counted("Numero_morts") == "morts"
    assert counted("Number of vehicles") == "vehicles"
    assert counted("Import") is None
    assert lower_first("Any") == "any" and lower_first("NK Any") == "NK Any" and lower_first("SEXE") == "SEXE"
