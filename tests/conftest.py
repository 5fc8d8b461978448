"""Shared fixtures. Every store-backed test runs on SQLite and, when OBERT_TEST_POSTGRES_URL is set, on
PostgreSQL too, each in a database of its own that is dropped afterwards."""

from __future__ import annotations

import copy
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from obert.app import create_app
from obert.auth.users import create_token, create_user
from obert.portal import Portal, build_portal
from obert.settings import Settings
from tests.demo_copy import DemoTemplates

if TYPE_CHECKING:
    from tests.security.world import World

# What the world of accounts copied into a test's settings is made of (see the `world` fixture).
WORLD_FACTS = pytest.StashKey[dict[str, Any]]()

POSTGRES_URL = os.environ.get("OBERT_TEST_POSTGRES_URL")


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_server() -> str:
    if not POSTGRES_URL:
        pytest.skip("OBERT_TEST_POSTGRES_URL is not set")
    return POSTGRES_URL


@pytest.fixture
def postgres_database(postgres_server: str) -> Iterator[str]:
    """A fresh, uniquely named PostgreSQL database, dropped after the test."""
    name = f"obert_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_libpq(postgres_server), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(postgres_server).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_libpq(postgres_server), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'obert.db'}"
    url: str = request.getfixturevalue("postgres_database")
    return url


@pytest.fixture(scope="session")
def demo_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoTemplates]:
    templates = DemoTemplates(tmp_path_factory.mktemp("demo-templates"))
    yield templates
    templates.close()


@pytest.fixture
def settings(request: pytest.FixtureRequest, tmp_path: Path, database_url: str) -> Settings:
    """Test settings; a module or test changes some with `pytest.mark.settings(name=value, ...)`, and gets
    the demo catalogue already loaded with `pytest.mark.demo` (a copy: see tests/demo_copy.py)."""
    overrides: dict[str, Any] = {}
    for marker in reversed(list(request.node.iter_markers("settings"))):
        overrides.update(marker.kwargs)
    made = Settings(
        mode="test",
        data_dir=tmp_path / "data",
        database_url=database_url,
        base_url="http://testserver",
        **overrides,
    )
    if request.node.get_closest_marker("demo"):
        request.getfixturevalue("demo_templates").install(made)
    elif "world" in request.fixturenames:
        from tests.security.world import world_facts

        request.node.stash[WORLD_FACTS] = request.getfixturevalue("demo_templates").install(made, world_facts)
    return made


@pytest.fixture
def world(request: pytest.FixtureRequest, client: TestClient, portal: Portal) -> World:
    """One account per role over a small catalogue (tests/security/world.py), copied in by `settings`."""
    from tests.security.world import World

    facts = request.node.stash[WORLD_FACTS]
    return World(client, portal, **copy.deepcopy(facts))


@pytest.fixture
def portal(settings: Settings) -> Iterator[Portal]:
    built = build_portal(settings)
    yield built
    built.close()


@pytest.fixture
def client(settings: Settings, portal: Portal) -> TestClient:
    return TestClient(create_app(settings, portal=portal))


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def admin(portal: Portal) -> dict[str, str]:
    """Headers of a site administrator."""
    create_user(store=portal.store, name="admin", password="correct horse battery", sysadmin=True)
    return bearer(create_token(store=portal.store, user_ref="admin", name="tests").secret)


@pytest.fixture
def org(client: TestClient, admin: dict[str, str]) -> dict[str, Any]:
    response = client.post("/api/v1/organizations", json=organization_payload(), headers=admin)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def organization_payload(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "guardia-urbana",
        "title": {"ca": "Guàrdia Urbana", "es": "Guardia Urbana", "en": "City Police"},
        "description": {"ca": "Policia local de Barcelona.", "en": "Barcelona's local police."},
        "homepage": "https://ajuntament.barcelona.cat/guardiaurbana/ca",
        "email": "dades@bcn.cat",
        "identifier": "http://datos.gob.es/recurso/sector-publico/org/Organismo/L01080193",
        **overrides,
    }


def dataset_payload(**overrides: Any) -> dict[str, Any]:
    """A dataset with every catalogue field filled in."""
    return {
        "name": "accidents-2018",
        "title": {
            "ca": "Accidents de trànsit 2018",
            "es": "Accidentes de tráfico 2018",
            "en": "Traffic accidents 2018",
        },
        "description": {
            "ca": "Accidents gestionats per la Guàrdia Urbana.",
            "es": "Accidentes gestionados.",
            "en": "Accidents handled by the City Police.",
        },
        "organization": "guardia-urbana",
        "state": "published",
        "visibility": "public",
        "keywords": {"ca": ["accidents", "trànsit"], "es": ["accidentes"], "en": ["accidents", "traffic"]},
        "themes": ["TRAN", "JUST"],
        "sectors": ["transporte"],
        "license": "CC_BY_4_0",
        "access_rights": "PUBLIC",
        "frequency": "ANNUAL",
        "temporal": {"start": "2018-01-01", "end": "2018-12-31"},
        "spatial": {
            "uri": "http://datos.gob.es/recurso/sector-publico/territorio/Provincia/Barcelona",
            "label": {"ca": "Barcelona"},
            "bbox": [2.05, 41.32, 2.23, 41.47],
        },
        "languages": ["CAT", "SPA", "ENG"],
        "issued": "2019-03-01",
        "modified": "2019-03-15T10:00:00+00:00",
        "landing_page": "https://opendata-ajuntament.barcelona.cat/data/ca/dataset/accidents-gu-bcn",
        "contact_point": {
            "name": "Oficina de dades",
            "email": "opendata@bcn.cat",
            "url": "https://opendata-ajuntament.barcelona.cat",
        },
        "conforms_to": ["https://www.w3.org/TR/tabular-data-primer/"],
        "version": "2018.1",
        "version_notes": {"en": "First release."},
        "provenance": {"ca": "Registre d'accidents de la Guàrdia Urbana."},
        "extras": {"codi": "accidents-gu-bcn"},
        **overrides,
    }
