"""Benchmark the personal-data scanner on a synthetic table shaped like Barcelona's open data.

    PYTHONPATH=$PWD .venv/bin/python bench/privacy.py [--rows 1000000]

The table has 20 columns: five with personal data (DNI, e-mail, phone, full name, IBAN), all distinct
per row as in a real register, among fifteen ordinary ones (expedient numbers, district and street
codes and names, dates, UTM and WGS84 coordinates, amounts). It prints the time to scan with the
default sample, to scan every row, and to run the suggested transform plan.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from typing import TypeVar

import pyarrow as pa
import pyarrow.compute as pc

from obert.privacy import apply_transforms, scan_table, suggest_plan

T = TypeVar("T")
LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
GIVEN = "Jordi Montserrat Josep Maria Núria Joan Carmen Marc Laia Antonio Pere Anna Francesc Mercè David"
SURNAMES = "Garcia Martínez López Puig Vila Ferrer Fernández Sánchez Serra Pujol Rodríguez Soler Font Roca"
DISTRICTS = ["Ciutat Vella", "Eixample", "Sants-Montjuïc", "Les Corts", "Sarrià-Sant Gervasi", "Gràcia",
             "Horta-Guinardó", "Nou Barris", "Sant Andreu", "Sant Martí"]  # fmt: skip


def timed(label: str, action: Callable[[], T]) -> T:
    # CPU time next to wall time: on a shared machine the wall clock also measures the neighbours.
    start, cpu = time.perf_counter(), time.process_time()
    result = action()
    wall, used = time.perf_counter() - start, time.process_time() - cpu
    print(f"{label:<48} {wall:7.2f} s wall {used:7.2f} s cpu")
    return result


def dnis(numbers: pa.Array) -> pa.Array:
    # Vectorised check letters: number mod 23 picks the letter.
    remainder = pc.subtract(numbers, pc.multiply(pc.divide(numbers, 23), 23))
    letters = pc.take(pa.array(list(LETTERS)), remainder)
    digits = pc.utf8_lpad(pc.cast(numbers, pa.string()), width=8, padding="0")
    return pc.binary_join_element_wise(digits, letters, "")


def iban(rng: random.Random) -> str:
    bban = f"{rng.randrange(10**20):020d}"
    check = 98 - int(bban + "142800") % 97  # "ES" is 14 28; then "00"
    return f"ES{check:02d}{bban}"


def build(rows: int, seed: int = 1) -> pa.Table:
    rng = random.Random(seed)
    given, surnames = GIVEN.split(), SURNAMES.split()
    numbers = pa.array(rng.sample(range(10**8), rows), pa.int64())
    streets = [f"Carrer {i}" for i in range(1200)]
    return pa.table(
        {
            "Numero_expedient": [f"2018S{i:06d}" for i in range(rows)],
            "Codi_districte": [rng.randrange(1, 11) for _ in range(rows)],
            "Nom_districte": [rng.choice(DISTRICTS) for _ in range(rows)],
            "Codi_barri": [f"{rng.randrange(1, 74):02d}" for _ in range(rows)],
            "Codi_carrer": [rng.randrange(100000, 999999) for _ in range(rows)],
            "Nom_carrer": [rng.choice(streets) for _ in range(rows)],
            "Num_postal": [f"{rng.randrange(1, 400):04d} {rng.randrange(1, 400):04d}" for _ in range(rows)],
            "Data": [f"2018-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}" for _ in range(rows)],
            "Hora_dia": [rng.randrange(24) for _ in range(rows)],
            "Coordenada_UTM_X": [rng.uniform(420000, 440000) for _ in range(rows)],
            "Coordenada_UTM_Y": [f"{rng.uniform(4574000, 4590000):.2f}" for _ in range(rows)],
            "Longitud": [rng.uniform(2.05, 2.23) for _ in range(rows)],
            "Latitud": [rng.uniform(41.32, 41.47) for _ in range(rows)],
            "Import_Euros": [round(rng.uniform(5000, 40000), 2) for _ in range(rows)],
            "Descripcio_causa": [
                rng.choice(["Desconegut", "No és causa del vianant", "Creuar per fora"]) for _ in range(rows)
            ],
            "dni": dnis(numbers),
            "correu": [f"{rng.choice(given).lower()}.{i}@example.cat" for i in range(rows)],
            "telefon": [f"+34 6{rng.randrange(10**8):08d}" for _ in range(rows)],
            "nom_complet": [
                f"{rng.choice(given)} {rng.choice(surnames)} {rng.choice(surnames)}" for _ in range(rows)
            ],
            "iban": [iban(rng) for _ in range(rows)],
        }
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    table = timed(f"generate {args.rows:,} rows x 20 columns", lambda: build(args.rows))
    sampled = timed("scan, default sample (10,000 rows)", lambda: scan_table(table))
    full = timed("scan, every row (sample_rows=None)", lambda: scan_table(table, sample_rows=None))
    plan = suggest_plan(full)
    salt = b"benchmark-salt-0123456789"
    published = timed(
        f"apply suggested plan ({len(plan)} steps)", lambda: apply_transforms(table, plan, salt=salt)
    )
    rescan = timed("re-scan the published table, every row", lambda: scan_table(published, sample_rows=None))
    print(f"findings (sampled): {sorted(f.column + ':' + f.kind for f in sampled.findings)}")
    print(f"findings (full):    {[(f.column, f.kind, f.matched) for f in full.findings]}")
    print(f"published table clean on re-scan: {rescan.clean}")


if __name__ == "__main__":
    main()
