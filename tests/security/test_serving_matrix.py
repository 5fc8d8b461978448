"""Every surface that serves bytes of a table or file × every kind of caller × every state a table can be
in: a caller gets a state's secret only where the table service's rules give it to them.

One catalogue is built per database and shared by all the cases (read-only), so the whole matrix runs on
SQLite and a sample of it on PostgreSQL within a few seconds each.

States (each a dataset with one resource whose file carries a secret: real DNIs, or a marker word):
  held_pd      public; its only file is full of DNIs, so its only version is held for personal data
  held_schema  public; a clean version published, then a file that drops a column (and carries the
               marker) held for the changed columns
  transformed  public; held for personal data, then a transformed copy without the DNIs published
  overridden   public; held for personal data, then published as it is under a justified override
  private      private to organisation A; a clean file with the marker
  draft        a draft of organisation A; a clean file with the marker
Callers: anonymous, a member of A, an editor of A, an editor of B, a site administrator.
"""

from __future__ import annotations

import io
import os
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import psycopg
import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from obert.app import create_app
from obert.auth import Role, passwords
from obert.auth.users import create_token, create_user, set_membership
from obert.portal import Portal, build_portal
from obert.settings import Settings
from tests.conftest import bearer, dataset_payload, organization_payload

DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
DNIS = [f"{n:08d}{DNI_LETTERS[n % 23]}" for n in range(23456781, 23456781 + 30 * 7919, 7919)]
CALLERS = ("anonymous", "member_a", "editor_a", "editor_b", "site_admin")
STATES = ("held_pd", "held_schema", "transformed", "overridden", "private", "draft")
ORG_A_SEES = {"member_a", "editor_a", "site_admin"}
EDITORS = {"editor_a", "site_admin"}
WHY = "Synthetic identifiers generated for a public training exercise; no real person is named."


def _csv(rows: list[tuple[Any, ...]], header: str) -> bytes:
    return (header + "\n" + "\n".join(",".join(map(str, r)) for r in rows) + "\n").encode()


def _people() -> bytes:
    return _csv(
        [(i % 10 + 1, dni, "res", i * 3.5) for i, dni in enumerate(DNIS)], "districte,dni,nota,import"
    )


def _marked(marker: str, *, drop_import: bool = False) -> bytes:
    if drop_import:
        return _csv([(i % 10 + 1, "cap", marker) for i in range(30)], "districte,dni,nota")
    return _csv([(i % 10 + 1, "cap", marker, i) for i in range(30)], "districte,dni,nota,import")


@dataclass
class Catalogue:
    client: TestClient
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    originals: dict[str, str] = field(default_factory=dict)  # state → the original's download path
    resources: dict[str, str] = field(default_factory=dict)  # state → resource id
    secrets: dict[str, str] = field(default_factory=dict)  # state → a string only its held bytes carry


def _build(client: TestClient, portal: Portal) -> Catalogue:
    world = Catalogue(client)
    store = portal.store
    admin = create_user(store=store, name="site-admin", password="correct horse battery", sysadmin=True)
    world.headers["site_admin"] = bearer(create_token(store=store, user_ref=admin.id, name="t").secret)
    world.headers["anonymous"] = {}
    h = world.headers["site_admin"]
    orgs = {}
    for key, payload in (
        ("a", organization_payload()),
        ("b", organization_payload(name="medi-ambient", title={"ca": "Medi Ambient"})),
    ):
        response = client.post("/api/v1/organizations", json=payload, headers=h)
        assert response.status_code == 201, response.text
        orgs[key] = response.json()["id"]
    for name, org, role in (
        ("member_a", "a", Role.MEMBER),
        ("editor_a", "a", Role.EDITOR),
        ("editor_b", "b", Role.EDITOR),
    ):
        user = create_user(store=store, name=name.replace("_", "-"), password="correct horse battery")
        set_membership(store=store, user_id=user.id, organization_id=orgs[org], role=role)
        world.headers[name] = bearer(create_token(store=store, user_ref=user.id, name="t").secret)

    def dataset(key: str, **overrides: Any) -> str:
        name = f"ds-{key.replace('_', '-')}"
        payload = dataset_payload(
            name=name, resources=[{"name": f"res-{key.replace('_', '-')}"}], **overrides
        )
        response = client.post("/api/v1/datasets", json=payload, headers=h)
        assert response.status_code == 201, response.text
        world.resources[key] = response.json()["resources"][0]["id"]
        return world.resources[key]

    def put(state: str, content: bytes) -> None:
        response = client.post(
            f"/api/v1/resources/{world.resources[state]}/upload",
            files={"file": (f"{state}.csv", io.BytesIO(content), "text/csv")},
            headers=h,
        )
        assert response.status_code == 200, response.text
        world.originals[state] = response.json()["url"].removeprefix("http://testserver")
        runner = portal.job_runner(1)
        while runner.run_once():
            pass

    for state in ("held_pd", "transformed", "overridden"):
        dataset(state)
        put(state, _people())
        world.secrets[state] = DNIS[7]
    base = "/api/v1/datastore/res-{}/versions/1/"
    drop = {"plan": [{"op": "drop", "column": "dni"}]}
    assert client.post(base.format("transformed") + "transform", json=drop, headers=h).status_code == 200
    given = {"overrides": [{"column": "dni", "kind": "dni", "justification": WHY}]}
    assert client.post(base.format("overridden") + "override", json=given, headers=h).status_code == 200
    dataset("held_schema")
    put("held_schema", _marked("primera"))
    put("held_schema", _marked("MARCA-ESQUEMA", drop_import=True))
    world.secrets["held_schema"] = "MARCA-ESQUEMA"
    for state, overrides in (("private", {"visibility": "private"}), ("draft", {"state": "draft"})):
        dataset(state, **overrides)
        put(state, _marked(f"MARCA-{state.upper()}"))
        world.secrets[state] = f"MARCA-{state.upper()}"
    return world


def sees_dataset(caller: str, state: str) -> bool:
    return state not in ("private", "draft") or caller in ORG_A_SEES


def may_have_original(caller: str, state: str) -> bool:
    if not sees_dataset(caller, state):
        return False
    return state not in ("held_pd", "held_schema", "transformed") or caller in EDITORS


def table_shows_secret(caller: str, state: str) -> bool:
    """Held bytes are nobody's through a table; what is published is theirs who see the dataset."""
    return sees_dataset(caller, state) and state in ("overridden", "private", "draft")


Probe = Callable[[Catalogue, str, dict[str, str]], str]


def _get(world: Catalogue, path: str, headers: dict[str, str]) -> str:
    return world.client.get(path, headers=headers).text


def _column(state: str) -> str:
    return "dni" if state in ("held_pd", "transformed", "overridden") else "nota"


SURFACES: dict[str, tuple[str, Probe]] = {
    # (what decides the answer, how to ask): "original" surfaces print or serve the original file.
    "download": ("original", lambda w, s, h: _get(w, w.originals[s], h)),
    "native resource url": ("link", lambda w, s, h: _get(w, f"/api/v1/resources/{w.resources[s]}", h)),
    "native dataset": ("link", lambda w, s, h: _get(w, f"/api/v1/datasets/ds-{s.replace('_', '-')}", h)),
    "ckan resource_show": (
        "link",
        lambda w, s, h: _get(w, f"/api/3/action/resource_show?id={w.resources[s]}", h),
    ),
    "ckan package_show": (
        "link",
        lambda w, s, h: _get(w, f"/api/3/action/package_show?id=ds-{s.replace('_', '-')}", h),
    ),
    "dcat dataset": ("link", lambda w, s, h: _get(w, f"/dataset/ds-{s.replace('_', '-')}.ttl", h)),
    "dataset page": ("link", lambda w, s, h: _get(w, f"/en/dataset/ds-{s.replace('_', '-')}", h)),
    "rows": ("table", lambda w, s, h: _get(w, f"/api/v1/datastore/{w.resources[s]}/rows?limit=1000", h)),
    "export csv": ("table", lambda w, s, h: _get(w, f"/api/v1/datastore/{w.resources[s]}/export.csv", h)),
    "export json": ("table", lambda w, s, h: _get(w, f"/api/v1/datastore/{w.resources[s]}/export.json", h)),
    "aggregate": (
        "table",
        lambda w, s, h: _get(w, f"/api/v1/datastore/{w.resources[s]}/aggregate?group_by={_column(s)}", h),
    ),
    "sql": (
        "table",
        lambda w, s, h: _get(
            w, "/api/v1/datastore/sql?" + urllib.parse.urlencode({"sql": f"SELECT * FROM res_{s}"}), h
        ),
    ),
    "ckan datastore_search": (
        "table",
        lambda w, s, h: _get(w, f"/api/3/action/datastore_search?resource_id={w.resources[s]}&limit=1000", h),
    ),
    "ckan datastore_search_sql": (
        "table",
        lambda w, s, h: _get(
            w,
            "/api/3/action/datastore_search_sql?"
            + urllib.parse.urlencode({"sql": f'SELECT * FROM "{w.resources[s]}"'}),
            h,
        ),
    ),
    "resource page": (
        "table",
        lambda w, s, h: _get(w, f"/en/dataset/ds-{s.replace('_', '-')}/resource/{w.resources[s]}", h),
    ),
    # A summary (profile, report, findings) may leave a published value out, never show a held one.
    "datastore info": ("summary", lambda w, s, h: _get(w, f"/api/v1/datastore/{w.resources[s]}", h)),
}


def _check(world: Catalogue, surface: str, state: str, caller: str) -> None:
    kind, probe = SURFACES[surface]
    body = probe(world, state, world.headers[caller])
    if kind == "original":
        expected = may_have_original(caller, state)
        assert (world.secrets[state] in body) is expected, f"{surface} {state} {caller}: {body[:300]}"
    elif kind == "link":
        expected = may_have_original(caller, state)
        assert (world.originals[state] in body) is expected, f"{surface} {state} {caller}"
        if not expected:
            assert world.secrets[state] not in body
    elif kind == "summary":
        if not table_shows_secret(caller, state):
            assert world.secrets[state] not in body, f"{surface} {state} {caller}"
    else:
        expected = table_shows_secret(caller, state)
        assert (world.secrets[state] in body) is expected, f"{surface} {state} {caller}: {body[:300]}"


def _portal(settings: Settings) -> Iterator[tuple[Catalogue, Portal]]:
    portal = build_portal(settings)
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(passwords, "_hasher", cheap)
            client = TestClient(create_app(settings, portal=portal))
            world = _build(client, portal)
        yield world, portal
    finally:
        portal.close()


@pytest.fixture(scope="module")
def sqlite_catalogue(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Catalogue]:
    folder = tmp_path_factory.mktemp("serving-sqlite")
    settings = Settings(
        mode="test",
        data_dir=folder / "data",
        database_url=f"sqlite:///{folder / 'obert.db'}",
        base_url="http://testserver",
        rate_limits_enabled=False,
    )
    for world, _ in _portal(settings):
        yield world


@pytest.fixture(scope="module")
def postgres_catalogue(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Catalogue]:
    server = os.environ.get("OBERT_TEST_POSTGRES_URL")
    if not server:
        pytest.skip("OBERT_TEST_POSTGRES_URL is not set")
    name = f"obert_test_{uuid.uuid4().hex[:12]}"
    libpq = make_url(server).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(libpq, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        folder = tmp_path_factory.mktemp("serving-postgres")
        settings = Settings(
            mode="test",
            data_dir=folder / "data",
            base_url="http://testserver",
            rate_limits_enabled=False,
            database_url=make_url(server).set(database=name).render_as_string(hide_password=False),
        )
        for world, _ in _portal(settings):
            yield world
    finally:
        with psycopg.connect(libpq, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("surface", list(SURFACES))
def test_sqlite(sqlite_catalogue: Catalogue, surface: str, state: str) -> None:
    for caller in CALLERS:
        _check(sqlite_catalogue, surface, state, caller)


# A sample on PostgreSQL: the states that hold something back, through each kind of surface.
SAMPLE = [
    (surface, state)
    for surface in ("download", "ckan resource_show", "dcat dataset", "rows", "sql", "ckan datastore_search")
    for state in ("held_pd", "transformed", "private")
]


@pytest.mark.postgres
@pytest.mark.parametrize(("surface", "state"), SAMPLE)
def test_postgres_sample(postgres_catalogue: Catalogue, surface: str, state: str) -> None:
    for caller in CALLERS:
        _check(postgres_catalogue, surface, state, caller)
