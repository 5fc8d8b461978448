"""Generators of realistic personal data with correct check digits, and of look-alikes whose check digits
are wrong. Used by the tests and by bench/privacy.py."""

from __future__ import annotations

import random

import pyarrow as pa

LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
GIVEN = [
    "Jordi",
    "Montserrat",
    "Josep",
    "Maria",
    "Núria",
    "Joan",
    "Carmen",
    "Marc",
    "Laia",
    "Antonio",
    "Pere",
    "Anna",
    "Francesc",
    "Mercè",
    "David",
    "Laura",
    "Xavier",
    "Marta",
    "Javier",
    "Cristina",
]
SURNAMES = [
    "Garcia",
    "Martínez",
    "López",
    "Puig",
    "Vila",
    "Ferrer",
    "Fernández",
    "Sánchez",
    "Serra",
    "Pujol",
    "Rodríguez",
    "Soler",
    "Font",
    "Roca",
    "Pérez",
    "Casas",
    "Bosch",
    "Gómez",
]
STREETS = ["C/ Mallorca", "Carrer de Sants", "Av. Diagonal", "Pg. de Gràcia", "C/ Aragó", "Rda. Sant Pau"]


def dni(rng: random.Random, *, valid: bool = True) -> str:
    n = rng.randrange(10**8)
    letter = LETTERS[n % 23] if valid else LETTERS[(n + rng.randrange(1, 23)) % 23]
    style = rng.randrange(3)
    if style == 0:
        return f"{n:08d}{letter}"
    if style == 1:
        return f"{n:08d}-{letter}"
    s = f"{n:08d}"
    return f"{s[:2]}.{s[2:5]}.{s[5:]}-{letter}"


def nie(rng: random.Random, *, valid: bool = True) -> str:
    prefix = rng.randrange(3)
    n = rng.randrange(10**7)
    number = int(f"{prefix}{n:07d}")
    letter = LETTERS[number % 23] if valid else LETTERS[(number + rng.randrange(1, 23)) % 23]
    return f"{'XYZ'[prefix]}{n:07d}{letter}"


def _mod97(text: str) -> int:
    return int("".join(str(int(c, 36)) for c in text)) % 97


def iban(rng: random.Random, *, valid: bool = True, country: str = "ES") -> str:
    length = {"ES": 20, "FR": 23, "DE": 18}[country]
    bban = "".join(rng.choice("0123456789") for _ in range(length))
    check = 98 - _mod97(bban + country + "00")
    if not valid:
        check = (check + rng.randrange(1, 97)) % 97 or 1
    compact = f"{country}{check:02d}{bban}"
    if rng.random() < 0.5:
        return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))
    return compact


def luhn_digit(partial: str) -> str:
    total = 0
    for i, c in enumerate(reversed(partial)):
        n = int(c)
        if i % 2 == 0:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return str((10 - total % 10) % 10)


def card(rng: random.Random, *, valid: bool = True) -> str:
    prefix, length = rng.choice([("4", 16), ("51", 16), ("55", 16), ("37", 15), ("6011", 16)])
    partial = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
    digit = luhn_digit(partial)
    if not valid:
        digit = str((int(digit) + rng.randrange(1, 10)) % 10)
    number = partial + digit
    if rng.random() < 0.5 and length == 16:
        return " ".join(number[i : i + 4] for i in range(0, 16, 4))
    return number


def phone(rng: random.Random) -> str:
    if rng.random() < 0.5:
        digits = "6" + "".join(rng.choice("0123456789") for _ in range(8))
    else:
        digits = "93" + "".join(rng.choice("0123456789") for _ in range(7))
    style = rng.randrange(3)
    if style == 0:
        return f"+34 {digits[:3]} {digits[3:6]} {digits[6:]}"
    if style == 1:
        return f"{digits[:3]} {digits[3:5]} {digits[5:7]} {digits[7:]}"
    return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"


def full_name(rng: random.Random) -> str:
    return f"{rng.choice(GIVEN)} {rng.choice(SURNAMES)} {rng.choice(SURNAMES)}"


def email(rng: random.Random) -> str:
    user = f"{rng.choice(GIVEN)}.{rng.choice(SURNAMES)}{rng.randrange(100)}".lower()
    return f"{user}@{rng.choice(['gmail.com', 'bcn.cat', 'hotmail.es', 'xtec.cat'])}"


def address(rng: random.Random) -> str:
    return f"{rng.choice(STREETS)} {rng.randrange(1, 400)}, {rng.randrange(1, 8)}r {rng.randrange(1, 5)}a"


def birth_date(rng: random.Random) -> str:
    return f"{rng.randrange(1930, 2020)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"


def expedient(rng: random.Random, i: int) -> str:
    return f"2018S{i:06d}"


def open_data_columns(rng: random.Random, rows: int) -> dict[str, list[object]]:
    """Realistic non-personal columns of a Barcelona table: codes, names of places, years, UTM metres."""
    districts = [
        "Ciutat Vella",
        "Eixample",
        "Sants-Montjuïc",
        "Les Corts",
        "Sarrià-Sant Gervasi",
        "Gràcia",
        "Horta-Guinardó",
        "Nou Barris",
        "Sant Andreu",
        "Sant Martí",
    ]
    return {
        "Numero_expedient": [expedient(rng, i) for i in range(rows)],
        "Codi_districte": [rng.randrange(1, 11) for _ in range(rows)],
        "Nom_districte": [rng.choice(districts) for _ in range(rows)],
        "Codi_barri": [f"{rng.randrange(1, 74):02d}" for _ in range(rows)],
        "Nom_carrer": [
            rng.choice(["Pau Claris", "Roger de Flor", "Josep Tarradellas", "Meridiana"]) for _ in range(rows)
        ],
        "Any": [rng.choice([2018, 2019, 2020]) for _ in range(rows)],
        "Coordenada_UTM_X": [f"{rng.uniform(420000, 440000):.2f}" for _ in range(rows)],
        "Coordenada_UTM_Y": [f"{rng.uniform(4574000, 4590000):.2f}".replace(".", ",") for _ in range(rows)],
        "Longitud": [round(rng.uniform(2.05, 2.23), 6) for _ in range(rows)],
        "Seccio_Censal": [f"{rng.randrange(1, 11)}{rng.randrange(1, 200):03d}" for _ in range(rows)],
        "Import_Euros": [round(rng.uniform(5000, 40000), 2) for _ in range(rows)],
        "Codi_postal": [f"080{rng.randrange(1, 43):02d}" for _ in range(rows)],
        "Registre": [str(rng.randrange(10**10, 10**11)) for _ in range(rows)],
    }


def as_table(columns: dict[str, list[object]]) -> pa.Table:
    return pa.table(columns)
