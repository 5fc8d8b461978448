"""The load harness's request mix, its client-side balancer, and the ledger of accepted writes.

70% pages and search, 20% datastore queries and exports, 10% writes (metadata patches, new datasets, small
CSV ingests through the API). Every write answered 2xx goes into the ledger; `verify` then checks that each
is present, that each ingest produced exactly its rows (never a half-written version) and that its job ran.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

SEARCH_TERMS = ["accidents", "aire", "bicing", "renda", "mercats", "barris", "padró", "trànsit", "estacions"]
DATASETS = {  # bench/cluster.py's light load holds these too
    "accidents-gu-bcn": "accidents-gu-bcn-2018",
    "qualitat-aire-detall-bcn": "qualitat-aire-contaminants",
    "qualitat-aire-estacions-bcn": "qualitat-aire-estacions",
    "renda-disponible-llars-bcn": "renda-disponible-llars-2021-mostra",
    "bicing-estacions": "bicing-estacions-geojson",
    "pad-dimensions": "taula-dimensions-padro",
}
DISTRICTS = ["Gràcia", "Eixample", "Sants-Montjuïc", "Sant Martí", "Horta-Guinardó", "Les Corts"]
BARRIS = ["el Raval", "la Sagrada Família", "el Poblenou", "Sarrià", "el Carmel", "la Barceloneta"]


@dataclass
class Sample:
    at: float  # monotonic time the request started
    op: str
    base: str
    seconds: float
    status: int  # 0: no answer (connection broken after sending)
    error: str | None = None  # set when the answer was not what the operation expects


@dataclass
class Lane:
    """One client's own dataset, patched only by that client, so the last accepted value is known."""

    dataset: str | None = None
    accepted: str | None = None
    unknown: list[str] = field(default_factory=list)  # patches whose answer never came: either may win


@dataclass
class Ledger:
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:6])
    datasets: set[str] = field(default_factory=set)
    ingests: dict[str, int] = field(default_factory=dict)  # resource name → rows of the accepted upload
    lanes: dict[int, Lane] = field(default_factory=dict)
    seq: int = 0

    def name(self, kind: str) -> str:
        self.seq += 1
        return f"load-{self.run}-{kind}-{self.seq}"


class Balancer:
    """Round robin over the web processes. A refused connection sent nothing, so it is tried on the next
    process, as a load balancer does; a process that refused is skipped for a second."""

    def __init__(self, bases: list[str]) -> None:
        self.bases = bases
        self._next = 0
        self._down: dict[str, float] = {}

    def order(self) -> list[str]:
        self._next = (self._next + 1) % len(self.bases)
        ring = self.bases[self._next :] + self.bases[: self._next]
        now = time.monotonic()
        return sorted(ring, key=lambda b: self._down.get(b, 0) > now)

    def mark_down(self, base: str) -> None:
        self._down[base] = time.monotonic() + 1.0


@dataclass
class Client:
    http: httpx.AsyncClient
    balancer: Balancer
    token: str
    ledger: Ledger
    samples: list[Sample]
    lane: int
    rng: random.Random

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def call(
        self, op: str, method: str, path: str, *, expect: tuple[int, ...] = (200,), **kwargs: Any
    ) -> httpx.Response | None:
        started = time.monotonic()
        for base in self.balancer.order():
            try:
                answer = await self.http.request(method, base + path, **kwargs)
            except httpx.ConnectError:
                self.balancer.mark_down(base)
                continue
            except httpx.HTTPError as exc:
                self.samples.append(
                    Sample(started, op, base, time.monotonic() - started, 0, type(exc).__name__)
                )
                return None
            bad = None if answer.status_code in expect else f"{answer.status_code} {answer.text[:120]}"
            self.samples.append(
                Sample(started, op, base, time.monotonic() - started, answer.status_code, bad)
            )
            return answer
        # Every process refused: a load balancer would answer 502 at once; pause so the outage is not
        # counted a thousand times a second.
        await asyncio.sleep(0.2)
        self.samples.append(Sample(started, op, "", time.monotonic() - started, 0, "no process accepted"))
        return None

    # 70%: pages and search
    async def home(self) -> None:
        await self.call("page", "GET", "/")

    async def search(self) -> None:
        await self.call("search", "GET", "/datasets", params={"q": self.rng.choice(SEARCH_TERMS)})

    async def dataset_page(self) -> None:
        await self.call("page", "GET", f"/dataset/{self.rng.choice(list(DATASETS))}")

    async def resource_page(self) -> None:
        dataset, resource = self.rng.choice(list(DATASETS.items()))
        await self.call("page", "GET", f"/dataset/{dataset}/resource/{resource}")

    # 20%: datastore
    async def rows(self) -> None:
        params = {"Nom_districte": self.rng.choice(DISTRICTS), "limit": "50"}
        await self.call("datastore", "GET", "/api/v1/datastore/accidents-gu-bcn-2018/rows", params=params)

    async def aggregate(self) -> None:
        params = [("group_by", "Nom_barri"), ("metrics", "count"), ("metrics", "sum:Numero_victimes")]
        params.append(("Nom_districte", self.rng.choice(DISTRICTS)))
        await self.call(
            "datastore", "GET", "/api/v1/datastore/accidents-gu-bcn-2018/aggregate", params=params
        )

    async def export(self) -> None:
        params = {"Nom_districte": self.rng.choice(DISTRICTS)}
        await self.call("export", "GET", "/api/v1/datastore/accidents-gu-bcn-2018/export.csv", params=params)

    async def ckan_search(self) -> None:
        params = {"resource_id": "qualitat-aire-estacions", "limit": "20", "q": self.rng.choice(BARRIS)}
        await self.call("ckan", "GET", "/api/3/action/datastore_search", params=params)

    async def ingested_rows(self) -> None:
        """A table the run ingested: either not there yet, or all of its rows, never part of them."""
        if not self.ledger.ingests:
            await self.rows()
            return
        resource, expected = self.rng.choice(list(self.ledger.ingests.items()))
        answer = await self.call(
            "datastore", "GET", f"/api/v1/datastore/{resource}/rows", expect=(200, 404, 409)
        )
        if answer is not None and answer.status_code == 200 and answer.json()["count"] != expected:
            self.samples[-1].error = f"torn version: {answer.json()['count']} rows of {expected}"

    # 10%: writes
    def _dataset(self, name: str, **extra: Any) -> dict[str, Any]:
        title = {"ca": f"Prova de càrrega {name}", "es": f"Prueba {name}", "en": f"Load test {name}"}
        return {"name": name, "title": title, "organization": "estadistica", **extra}

    async def patch(self) -> None:
        lane = self.ledger.lanes.setdefault(self.lane, Lane())
        if lane.dataset is None:
            name = self.ledger.name(f"lane{self.lane}")
            answer = await self.call(
                "write",
                "POST",
                "/api/v1/datasets",
                json=self._dataset(name),
                headers=self.auth,
                expect=(201,),
            )
            if answer is not None and answer.status_code == 201:
                lane.dataset = name
                self.ledger.datasets.add(name)
            return
        value = f"v{self.ledger.name('patch')}"
        answer = await self.call(
            "write",
            "PATCH",
            f"/api/v1/datasets/{lane.dataset}",
            json={"description": {"en": value}},
            headers={**self.auth, "Content-Type": "application/merge-patch+json"},
        )
        if answer is None:
            lane.unknown.append(value)
        elif answer.status_code == 200:
            lane.accepted, lane.unknown = value, []

    async def create(self) -> None:
        name = self.ledger.name("ds")
        answer = await self.call(
            "write", "POST", "/api/v1/datasets", json=self._dataset(name), headers=self.auth, expect=(201,)
        )
        if answer is not None and answer.status_code == 201:
            self.ledger.datasets.add(name)

    async def ingest(self) -> None:
        name = self.ledger.name("ingest")
        resource = f"{name}-t"
        body = self._dataset(name, resources=[{"name": resource, "format": "CSV"}])
        made = await self.call(
            "write", "POST", "/api/v1/datasets", json=body, headers=self.auth, expect=(201,)
        )
        if made is None or made.status_code != 201:
            return
        self.ledger.datasets.add(name)
        rows = self.rng.randint(5, 60)
        lines = ["id,barri,valor"] + [
            f"{i},{self.rng.choice(BARRIS)},{self.rng.random():.4f}" for i in range(rows)
        ]
        files = {"file": (f"{resource}.csv", ("\n".join(lines) + "\n").encode(), "text/csv")}
        answer = await self.call(
            "ingest", "POST", f"/api/v1/resources/{resource}/upload", files=files, headers=self.auth
        )
        if answer is not None and answer.status_code == 200:
            self.ledger.ingests[resource] = rows


Op = Callable[[Client], Awaitable[None]]
MIX: list[tuple[Op, float]] = [
    (Client.home, 0.15),
    (Client.search, 0.25),
    (Client.dataset_page, 0.18),
    (Client.resource_page, 0.12),
    (Client.rows, 0.05),
    (Client.ingested_rows, 0.04),
    (Client.aggregate, 0.04),
    (Client.export, 0.03),
    (Client.ckan_search, 0.04),
    (Client.patch, 0.04),
    (Client.create, 0.03),
    (Client.ingest, 0.03),
]


WRITES = {Client.patch, Client.create, Client.ingest}
READS = [(op, weight) for op, weight in MIX if op not in WRITES]


async def drive(client: Client, until: float, mix: list[tuple[Op, float]] = MIX) -> None:
    ops, weights = zip(*mix, strict=True)
    while time.monotonic() < until:
        await client.rng.choices(ops, weights)[0](client)


async def verify(bases: list[str], token: str, ledger: Ledger, *, jobs_timeout: float) -> list[str]:
    """Problems found: accepted writes missing, torn versions, ingests whose job never finished."""
    problems: list[str] = []
    auth = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(timeout=30, headers=auth) as http:

        async def get(path: str) -> httpx.Response:
            for attempt in range(20):
                try:
                    return await http.get(bases[attempt % len(bases)] + path)
                except httpx.HTTPError:
                    await asyncio.sleep(0.5)
            raise RuntimeError(f"no web process answers {path}")

        for name in sorted(ledger.datasets):
            if (answer := await get(f"/api/v1/datasets/{name}")).status_code != 200:
                problems.append(f"accepted dataset {name} is missing ({answer.status_code})")
        for lane in ledger.lanes.values():
            if lane.dataset is None or lane.accepted is None:
                continue
            found = (await get(f"/api/v1/datasets/{lane.dataset}")).json()["description"].get("en")
            if found not in {lane.accepted, *lane.unknown}:
                problems.append(f"{lane.dataset}: last accepted patch {lane.accepted}, found {found}")
        pending = dict(ledger.ingests)
        deadline = time.monotonic() + jobs_timeout
        while pending:
            for resource, expected in list(pending.items()):
                answer = await get(f"/api/v1/datastore/{resource}/rows?limit=1")
                if answer.status_code == 200:
                    del pending[resource]
                    if (count := answer.json()["count"]) != expected:
                        problems.append(f"{resource}: {count} rows, the upload had {expected}")
            if pending and time.monotonic() > deadline:
                problems.append(f"{len(pending)} accepted ingests never finished: {sorted(pending)[:5]}")
                break
            if pending:
                await asyncio.sleep(1)
    return problems
