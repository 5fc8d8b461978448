"""What a column's values mean, read from its name, its type, its profile and the publisher's word: an
amount that adds up (a quantity), or a number that only labels (a year, a month, a code, an identifier,
a coordinate). Pages write cells by it (years as "2018", never "2.018") and charts offer sums and means
of quantities only: a sum of district codes or of years is a number nobody can read."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, Literal

Meaning = Literal["quantity", "year", "month", "period", "code", "identifier", "coordinate", "date", "text"]
NUMERIC = {"integer", "bigint", "double", "float", "decimal", "number"}
DATES = {"date", "datetime", "timestamp"}
LABELS: frozenset[Meaning] = frozenset({"year", "month", "period", "code", "identifier"})
TIME: frozenset[Meaning] = frozenset({"year", "date"})  # what a line chart runs along

# Words of a column's name (ca, es, en; accents folded) that say its numbers are labels, not amounts.
_YEAR_WORDS = {"any", "anys", "year", "years", "ano", "anos", "anyo", "exercici", "ejercicio"}
_MONTH_WORDS = {"mes", "month", "mesos", "meses"}
_PERIOD_WORDS = {
    "dia", "day", "hora", "hour", "setmana", "semana", "week", "weekday", "trimestre", "quarter",
    "minut", "minuto", "minute", "torn", "turno",
}  # fmt: skip
_CODE_WORDS = {
    "codi", "codis", "codigo", "code", "cod", "postal", "cp", "zip", "ine", "nif", "cif", "telefon",
    "telefono", "phone", "sexe", "sexo", "sex", "genere", "genero", "gender", "districte", "barri",
    "seccio", "seccion", "tipus", "tipo", "type", "categoria", "category", "estacio", "estacion", "station",
}  # fmt: skip
_ID_WORDS = {"id", "ids", "identificador", "identifier", "expedient", "expediente", "nk", "uuid", "ref"}
_COORDINATE_WORDS = {
    "lat", "latitud", "latitude", "lon", "long", "longitud", "longitude", "lng", "x", "y", "utm",
    "coordenada", "coordenadas", "coordinate", "coord", "etrs89", "wgs84",
}  # fmt: skip
# Words that make a name a count or an amount whatever else it says ("Número de vehicles", "Import").
_AMOUNT_WORDS = {
    "numero", "nombre", "number", "num", "total", "quantitat", "cantidad", "amount", "import", "importe",
    "suma", "valor", "value", "poblacio", "poblacion", "population", "habitants", "habitantes",
}  # fmt: skip
# A column whose every value differs is an identifier when it holds at least this many rows.
_UNIQUE_FROM = 20


def words(name: str) -> list[str]:
    """The words of a column's name, lower-case and without accents, camelCase split: "Número de
    víctimes" and "Numero_victimes" give [numero, de, victimes] and [numero, victimes]."""
    return list(_words(name))


@lru_cache(maxsize=8192)
def _words(name: str) -> tuple[str, ...]:
    # Pages ask for the same columns' words at every view (chart choices compare every pair of names).
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", name)
    folded = unicodedata.normalize("NFKD", spaced).encode("ascii", "ignore").decode().lower()
    return tuple(w for w in re.split(r"[^a-z0-9]+", folded) if w)


def meaning_of(
    name: str,
    type_: str,
    *,
    profile: Mapping[str, Any] | None = None,
    rows: int | None = None,
    role: str | None = None,
) -> Meaning:
    """What the values of a column called `name` of type `type_` mean. `profile` is the column's
    profile measured at ingest (distinct, min, max) of a table of `rows` rows; `role` is the publisher's
    word ("count": a count of people the portal protects, so an amount)."""
    if type_ in DATES:
        return "date"
    if type_ not in NUMERIC:
        return "text"
    if role == "count":
        return "quantity"
    found = set(words(name))
    if found & _COORDINATE_WORDS:
        return "coordinate"
    amount = bool(found & _AMOUNT_WORDS) and not found & (_ID_WORDS | {"expedient", "codi", "code"})
    if not amount:
        # "Mes de any" is a month, not a year; "Hora de dia" an hour.
        if found & _MONTH_WORDS:
            return "month"
        if found & _PERIOD_WORDS:
            return "period"
        if found & _YEAR_WORDS:
            return "year"
        if found & _ID_WORDS:
            return "identifier"
        if found & _CODE_WORDS:
            return "code"
    if type_ != "decimal" and not amount and profile and rows and _numbers_rows(profile, rows):
        return "identifier"
    return "quantity"


def _numbers_rows(profile: Mapping[str, Any], rows: int) -> bool:
    """Whether the column gives every row its own number from a run about as long as the table (1..n,
    an ingest's serial numbers): a key. Amounts that all differ (a population per neighbourhood) spread
    far wider than the number of rows."""
    distinct, lo, hi = profile.get("distinct"), profile.get("min"), profile.get("max")
    if (
        rows < _UNIQUE_FROM
        or not isinstance(distinct, int)
        or not isinstance(lo, int)
        or not isinstance(hi, int)
    ):
        return False
    # The profile's distinct count is approximate (a few percent either way).
    return distinct >= 0.95 * rows and hi - lo + 1 <= 2 * rows
