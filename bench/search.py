"""Search benchmark: synthetic trilingual catalogues of 10k and 100k datasets (1M with --million).

    PYTHONPATH=. python bench/search.py                       # SQLite, 10k and 100k
    PYTHONPATH=. python bench/search.py --postgres postgresql+psycopg://root@127.0.0.1:5432/postgres
    PYTHONPATH=. python bench/search.py --sizes 1000 --queries 20   # a quick smoke run
    PYTHONPATH=. python bench/search.py --url sqlite:////tmp/obert.db  # queries only, on a built index

Rows are bulk-loaded straight into the catalogue tables (fast), then the index is built with the real
indexer (obert.catalog.indexing.rebuild_index), and queries go through the same service the API and the
pages call (obert.catalog.discovery.search_datasets), as an anonymous visitor.
"""

from __future__ import annotations

import argparse
import itertools
import math
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from obert.auth import ANONYMOUS
from obert.catalog.discovery import search_datasets
from obert.catalog.indexing import rebuild_index
from obert.search import SearchQuery, indexed_count
from obert.search import cache as search_cache
from obert.settings import Settings
from obert.storage import Store, migrate
from obert.storage.tables.catalog import datasets, organizations, resources

# (ca, es, en) subjects of a city's open data, the words residents search with.
SUBJECTS = [
    ("Accidents de trànsit", "Accidentes de tráfico", "Traffic accidents"),
    ("Qualitat de l'aire", "Calidad del aire", "Air quality"),
    ("Soroll ambiental", "Ruido ambiental", "Environmental noise"),
    ("Arbrat viari", "Arbolado viario", "Street trees"),
    ("Població empadronada", "Población empadronada", "Registered population"),
    ("Renda familiar disponible", "Renta familiar disponible", "Household disposable income"),
    ("Equipaments culturals", "Equipamientos culturales", "Cultural facilities"),
    ("Aparcaments públics", "Aparcamientos públicos", "Public car parks"),
    ("Estacions de bicicletes", "Estaciones de bicicletas", "Bicycle stations"),
    ("Mercats municipals", "Mercados municipales", "Municipal markets"),
    ("Recollida de residus", "Recogida de residuos", "Waste collection"),
    ("Consum d'aigua", "Consumo de agua", "Water consumption"),
    ("Preu de l'habitatge", "Precio de la vivienda", "Housing prices"),
    ("Atur registrat", "Paro registrado", "Registered unemployment"),
    ("Allotjaments turístics", "Alojamientos turísticos", "Tourist accommodation"),
    ("Centres educatius", "Centros educativos", "Schools"),
    ("Préstecs de biblioteques", "Préstamos de bibliotecas", "Library loans"),
    ("Llicències d'obres", "Licencias de obras", "Building permits"),
    ("Pressupost municipal", "Presupuesto municipal", "Municipal budget"),
    ("Incidències a la via pública", "Incidencias en la vía pública", "Street incidents"),
    ("Intensitat del trànsit", "Intensidad del tráfico", "Traffic volume"),
    ("Parades d'autobús", "Paradas de autobús", "Bus stops"),
    ("Fonts d'aigua potable", "Fuentes de agua potable", "Drinking fountains"),
    ("Consum elèctric", "Consumo eléctrico", "Electricity consumption"),
    ("Defuncions", "Defunciones", "Deaths"),
    ("Naixements", "Nacimientos", "Births"),
    ("Activitats econòmiques", "Actividades económicas", "Business activity"),
    ("Queixes i suggeriments", "Quejas y sugerencias", "Complaints and suggestions"),
    ("Zones verdes", "Zonas verdes", "Green spaces"),
    ("Càmeres de velocitat", "Cámaras de velocidad", "Speed cameras"),
]
UNITS = [
    ("per barri", "por barrio", "by neighbourhood"),
    ("per districte", "por distrito", "by district"),
    ("per secció censal", "por sección censal", "by census tract"),
    ("mensual", "mensual", "monthly"),
    ("per hores", "por horas", "hourly"),
]
PLACES = [
    "Gràcia",
    "Sants",
    "Horta",
    "Sarrià",
    "Les Corts",
    "el Raval",
    "el Poblenou",
    "la Sagrera",
    "el Clot",
    "Sant Andreu",
    "Nou Barris",
    "el Carmel",
    "Pedralbes",
    "la Barceloneta",
    "el Born",
    "Poble-sec",
    "la Verneda",
    "el Guinardó",
    "Vallcarca",
    "Sant Gervasi",
    "la Marina",
    "Hostafrancs",
    "el Coll",
    "Trinitat Vella",
    "Vallvidrera",
    "el Besòs",
    "Diagonal Mar",
    "la Salut",
    "Can Baró",
    "Porta",
]
FILLER = {
    "ca": [
        "Les dades s'actualitzen periòdicament a partir dels registres municipals.",
        "Inclou la ubicació georeferenciada de cada registre.",
        "Els valors es calculen seguint la metodologia oficial.",
        "Es publica en format obert per facilitar-ne la reutilització.",
        "Cada fila correspon a una observació.",
    ],
    "es": [
        "Los datos se actualizan periódicamente a partir de los registros municipales.",
        "Incluye la ubicación georreferenciada de cada registro.",
        "Los valores se calculan siguiendo la metodología oficial.",
        "Se publica en formato abierto para facilitar su reutilización.",
        "Cada fila corresponde a una observación.",
    ],
    "en": [
        "The data is updated regularly from the city's records.",
        "Includes the georeferenced location of each record.",
        "Values are computed following the official methodology.",
        "Published in an open format to make reuse easy.",
        "Each row is one observation.",
    ],
}
KEYWORDS = [w for s in SUBJECTS for w in s[0].lower().replace("'", " ").split() if len(w) > 3] + [
    p.lower() for p in PLACES
]
KEYWORDS += [f"{a} {b}" for a in KEYWORDS[:60] for b in KEYWORDS[60:]]  # a long tail of phrases
random.Random(0).shuffle(KEYWORDS)  # which keywords are common is chance, as in a real catalogue
# Zipf-Mandelbrot: a few keywords are common (the first in ~3% of draws), most are rare.
ZIPF = [1 / (rank + 8) ** 1.1 for rank in range(len(KEYWORDS))]
THEMES = ["TRAN", "ENVI", "SOCI", "ECON", "EDUC", "HEAL", "GOVE", "REGI", "JUST", "ENER", "TECH"]
SECTORS = ["transporte", "medio-ambiente", "sociedad-bienestar", "economia", "educacion", "salud"]
FORMATS = ["CSV", "JSON", "XLSX", "GEOJSON", "PDF", "XML", "ZIP", "PARQUET"]
LICENCES = ["CC_BY_4_0", "CC0", "CC_BYSA_4_0"]
DEPARTMENTS = [
    ("Institut Municipal de", "Instituto Municipal de", "Municipal Institute of"),
    ("Àrea de", "Área de", "Department of"),
    ("Oficina de", "Oficina de", "Office of"),
    ("Agència de", "Agencia de", "Agency of"),
]
FIELDS = [
    ("Mobilitat", "Movilidad", "Mobility"),
    ("Medi Ambient", "Medio Ambiente", "Environment"),
    ("Estadística", "Estadística", "Statistics"),
    ("Salut", "Salud", "Health"),
    ("Habitatge", "Vivienda", "Housing"),
    ("Cultura", "Cultura", "Culture"),
    ("Educació", "Educación", "Education"),
    ("Hisenda", "Hacienda", "Finance"),
]


BLOCK = 100_000  # larger catalogues are this many generated datasets, copied in SQL (see _replicate)


def generate(store: Store, size: int, rng: random.Random) -> None:
    """Bulk-load `size` datasets from 200 publishers, with 1 to 3 resources each.

    Beyond BLOCK datasets, the first BLOCK are copied with new ids and names: the same mix of words,
    keywords and facets, in a fraction of the time that generating a million in Python takes."""
    copies, size = (size // BLOCK, BLOCK) if size > BLOCK and size % BLOCK == 0 else (1, size)
    stamp = datetime(2024, 6, 1, tzinfo=UTC)
    orgs = []
    for n in range(200):
        dept, field = DEPARTMENTS[n % len(DEPARTMENTS)], FIELDS[n % len(FIELDS)]
        place = PLACES[n % len(PLACES)]
        title = {lang: f"{dept[i]} {field[i]} {place} {n}" for i, lang in enumerate(("ca", "es", "en"))}
        orgs.append(
            {
                "id": str(uuid.uuid4()),
                "name": f"publisher-{n:03d}",
                "state": "active",
                "title": title,
                "description": {},
                "created_at": stamp,
                "updated_at": stamp,
            }
        )
    with store.begin() as conn:
        conn.execute(organizations.insert(), orgs)
    for start in range(0, size, 5000):
        rows, res_rows = [], []
        for n in range(start, min(size, start + 5000)):
            row, res = _dataset(n, rng, orgs, stamp)
            rows.append(row)
            res_rows += res
        with store.begin() as conn:
            conn.execute(datasets.insert(), rows)
            conn.execute(resources.insert(), res_rows)
    for copy in range(1, copies):
        _replicate(store, copy)


def _replicate(store: Store, copy: int) -> None:
    """Copy the generated datasets and resources once more. An id's first dash becomes a letter (never in
    a generated UUID, so ids stay unique) and names gain a digit ("dataset-0000001" → "dataset-30000001")."""
    if not 1 <= copy <= 9:
        raise ValueError("at most ten copies")
    mark, digit = sa.literal(chr(ord("f") + copy)), sa.literal(str(copy))

    def new_id(column: Any) -> Any:
        return sa.func.substr(column, 1, 8).op("||")(mark).op("||")(sa.func.substr(column, 10))

    def new_name(column: Any) -> Any:
        return sa.literal("dataset-").op("||")(digit).op("||")(sa.func.substr(column, 9))

    with store.begin() as conn:
        for table, refs in ((datasets, ("id",)), (resources, ("id", "dataset_id"))):
            columns = [
                new_id(c) if c.name in refs else new_name(c) if c.name == "name" else c for c in table.columns
            ]
            original = sa.func.substr(table.c.id, 9, 1) == "-"
            conn.execute(
                table.insert().from_select(
                    [c.name for c in table.columns], sa.select(*columns).where(original)
                )
            )


def _dataset(
    n: int, rng: random.Random, orgs: list[dict[str, Any]], stamp: datetime
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    subject, unit, place = rng.choice(SUBJECTS), rng.choice(UNITS), rng.choice(PLACES)
    year = rng.randint(2005, 2024)
    langs = ("ca", "es", "en")
    title = {lang: f"{subject[i]} {unit[i]} a {place} {year}" for i, lang in enumerate(langs)}
    description = {
        lang: f"{subject[i]} {unit[i]} ({place}, {year}). " + " ".join(rng.sample(FILLER[lang], 3))
        for i, lang in enumerate(langs)
    }
    keywords = {lang: sorted(set(rng.choices(KEYWORDS, ZIPF, k=3))) for lang in langs}
    dataset_id = str(uuid.uuid4())
    state = "draft" if rng.random() < 0.03 else "published"
    modified = (stamp - timedelta(days=rng.randint(0, 3000))).date().isoformat()
    row = {
        "id": dataset_id,
        "name": f"dataset-{n:07d}",
        "state": state,
        "visibility": "private" if rng.random() < 0.05 else "public",
        "organization_id": rng.choice(orgs)["id"],
        "title": title,
        "description": description,
        "keywords": keywords,
        "themes": rng.sample(THEMES, rng.choice((1, 1, 2))),
        "sectors": [rng.choice(SECTORS)],
        "license": rng.choice(LICENCES),
        "languages": ["CAT", "SPA", "ENG"],
        "modified": modified,
        "conforms_to": [],
        "version_notes": {},
        "provenance": {},
        "extras": {},
        "created_at": stamp,
        "updated_at": stamp,
    }
    res = []
    for position in range(rng.randint(1, 3)):
        fmt = rng.choice(FORMATS)
        res.append(
            {
                "id": str(uuid.uuid4()),
                "name": f"dataset-{n:07d}-{position + 1}",
                "dataset_id": dataset_id,
                "position": position,
                "state": "active",
                "title": {"ca": f"{subject[0]} {year} ({fmt})"},
                "description": {},
                "format": fmt,
                "upload": f"data.{fmt.lower()}" if rng.random() < 0.5 else None,
                "language": [],
                "conforms_to": [],
                "created_at": stamp,
                "updated_at": stamp,
            }
        )
    return row, res


CLOCK = time.perf_counter


def percentiles(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


def measure(store: Store, rng: random.Random, queries: int) -> dict[str, tuple[float, float]]:
    facets = ("publisher", "theme", "format", "licence")

    def text_query() -> SearchQuery:
        subject, place = rng.choice(SUBJECTS), rng.choice(PLACES)
        lang = rng.randrange(3)
        word = rng.choice([w for w in subject[lang].replace("'", " ").split() if len(w) > 3])
        return SearchQuery(q=f"{word} {place.split()[-1]}", facets=facets)

    def browse() -> SearchQuery:
        return SearchQuery(filters={"theme": (rng.choice(THEMES),)}, facets=facets)

    out = {}
    for label, make, forget in (
        ("two words + 4 facets", text_query, False),
        ("facet-only browse", browse, False),
        # The counts of a browse are cached until the index changes: this is what the first visitor
        # after a change waits for.
        ("browse, uncached", browse, True),
    ):
        out[label] = percentiles(_timed(store, make, queries // 4 if forget else queries, forget=forget))
    return out


def _timed(store: Store, make: Callable[[], SearchQuery], queries: int, *, forget: bool) -> list[float]:
    for _ in range(3):  # warm the caches a real server would have warm
        search_datasets(store=store, actor=ANONYMOUS, query=make())
    times = []
    for _ in range(queries):
        query = make()
        if forget:
            search_cache.forget(store.engine)
        started = CLOCK()
        search_datasets(store=store, actor=ANONYMOUS, query=query)
        times.append(CLOCK() - started)
    return times


@contextmanager
def database(postgres: str | None, workdir: Path, size: int, *, keep: bool = False) -> Iterator[str]:
    if not postgres:
        yield f"sqlite:///{workdir / f'bench-{size}.db'}"
        return
    name = f"obert_bench_{size}_{uuid.uuid4().hex[:8]}"
    server = make_url(postgres)
    libpq = server.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(libpq, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        if keep:
            print(f"kept: {server.set(database=name).render_as_string(hide_password=True)}")
        else:
            with psycopg.connect(libpq, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def vacuum(store: Store) -> None:
    """What autovacuum would do after a bulk load, done now: statistics for the planner, and the
    visibility map that lets index-only scans skip the table. Outside a transaction: statistics from a
    rolled-back ANALYZE vanish, and VACUUM refuses to run in one."""
    if store.backend == "postgresql":
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (a process pool's workers)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def server_cpu_seconds(url: str) -> float:
    """CPU time so far of the PostgreSQL server processes connected to `url`'s database, when the server
    runs on this machine and /proc shows it (else 0): the build's other half, which this process's clock
    does not see. Read while the pool's connections are open (a closed backend takes its figure with it)."""
    database = make_url(url).database
    if not database or not url.startswith("postgresql"):
        return 0.0
    total = 0
    for proc in Path("/proc").iterdir():
        try:
            command = (proc / "cmdline").read_bytes().decode(errors="replace")
            if command.startswith("postgres:") and f" {database} " in command:
                fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            continue
    return total / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--million", action="store_true", help="add a 1,000,000-dataset run (slow)")
    parser.add_argument("--postgres", help="PostgreSQL server URL (a database is created and dropped)")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument(
        "--url",
        action="append",
        default=[],
        help="measure the queries on an existing, indexed obert database instead (repeatable)",
    )
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="time queries by this process's CPU time, not the wall clock: fairer on a shared machine "
        "(SQLite only; PostgreSQL works in another process)",
    )
    parser.add_argument(
        "--index-workers",
        type=int,
        default=Settings.model_fields["index_workers"].default,
        help="processes analysing documents while the index is written (OBERT_INDEX_WORKERS)",
    )
    parser.add_argument(
        "--build-only", action="store_true", help="generate and index, skip the queries (build figures only)"
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        help="build the SQLite databases in this folder and keep them, and keep the PostgreSQL "
        "databases, for later runs with --url",
    )
    args = parser.parse_args()
    global CLOCK
    if args.cpu:
        CLOCK = time.process_time
    sizes = [*args.sizes, *([1_000_000] if args.million else [])]
    backend = "postgresql" if args.postgres else "sqlite"
    rows = []
    for url in args.url:
        store = Store(url)
        migrate.upgrade(store)
        vacuum(store)
        with store.read() as conn:
            indexed = indexed_count(conn)
        backend = store.backend
        rows.append(
            (indexed, indexed, math.nan, math.nan, measure(store, random.Random(indexed), args.queries))
        )
        store.dispose()
    with tempfile.TemporaryDirectory() as tmp:
        if args.workdir:
            args.workdir.mkdir(parents=True, exist_ok=True)
        for size in sizes if not args.url else []:
            rng = random.Random(size)
            workdir = args.workdir or Path(tmp)
            with database(args.postgres, workdir, size, keep=bool(args.workdir)) as url:
                store = Store(url)
                migrate.upgrade(store)
                started = time.perf_counter()
                generate(store, size, rng)
                loaded = time.perf_counter() - started
                vacuum(store)  # the freshly loaded catalogue's statistics, as autovacuum would gather them
                with store.read() as conn:  # open a pooled connection, whose server process is measured
                    conn.execute(sa.select(1))
                started, cpu, server = time.perf_counter(), cpu_seconds(), server_cpu_seconds(url)
                indexed = rebuild_index(store=store, workers=args.index_workers)
                build = time.perf_counter() - started
                cpu, server = cpu_seconds() - cpu, server_cpu_seconds(url) - server
                figures = {}
                if not args.build_only:
                    vacuum(store)
                    figures = measure(store, rng, args.queries)
                store.dispose()
            rows.append((size, indexed, loaded, build, figures))
            print(
                f"{backend} {size:>9,}: loaded in {loaded:.1f} s, indexed {indexed:,} in {build:.1f} s wall, "
                f"{cpu:.1f} s CPU here"
                + (f" + {server:.1f} s CPU in the server" if args.postgres else "")
                + f" ({indexed / build:,.0f} datasets/s wall)"
            )
    if args.build_only:
        return
    print(f"\nquery times by {'CPU time' if args.cpu else 'wall clock'}, {args.queries} queries each")
    labels = list(rows[0][4])
    header = f"| {'backend':<10} | {'datasets':>9} | {'index build':>11} | "
    header += " | ".join(f"{label} p50 / p95 (ms)" for label in labels) + " |"
    print(header)
    print("|" + "|".join("-" * (len(part) + 2) for part in header.strip("|").split("|")[:-1]) + "|")
    for size, _indexed, _loaded, build, figures in rows:
        cells = " | ".join(f"{figures[label][0]:>10.1f} / {figures[label][1]:>6.1f}" for label in labels)
        print(f"| {backend:<10} | {size:>9,} | {build:>9.1f} s | {cells} |")
    for (small, *_, fs), (large, *_, fl) in itertools.pairwise(rows):
        growth = ", ".join(f"{label} p50 ×{fl[label][0] / fs[label][0]:.1f}" for label in labels)
        print(f"{small:,} → {large:,} datasets (×{large / small:.0f}): {growth}")


if __name__ == "__main__":
    main()
