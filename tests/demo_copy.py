"""Catalogues made once per test process and configuration, then copied into each test that needs one of
its own: the demo (tests marked `demo`) and the security tests' world of accounts (tests/security/world.py).

Loading the demo ingests a dozen files and takes seconds (more on PostgreSQL); a copy of its files, and on
PostgreSQL a database made with `CREATE DATABASE … TEMPLATE`, takes a fraction of one. Nothing either
stores depends on where its data directory is or on the site's address, so a copy is the same catalogue.
Tests that change it change only their copy.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

from obert.demo import load_demo
from obert.portal import Portal, build_portal
from obert.settings import Settings

# Where a copy goes is the test's own business; every other setting may change what the demo stores.
_PLACE = {"data_dir", "database_url", "base_url"}


# Fills a new portal and returns what tests need to know of it (ids, secrets), the same for every copy.
Recipe = Callable[[Portal], Any]


class DemoTemplates:
    """Catalogues already made, one per recipe, database kind and settings, kept under `root`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._built: dict[str, tuple[Path, Any]] = {}
        self._template_databases: list[str] = []

    def install(self, settings: Settings, recipe: Recipe = load_demo) -> Any:
        """Give `settings` (an empty data directory, and an empty or absent database) what `recipe` makes
        (the loaded demo by default), and return what the recipe returned when it made it."""
        key = f"{recipe.__module__}.{recipe.__qualname__} {_key(settings)}"
        if key not in self._built:
            self._built[key] = self._build(settings, key, recipe)
        template, made = self._built[key]
        shutil.copytree(template / "data", settings.data_dir, dirs_exist_ok=True)
        url = settings.database_url
        if url is None:
            return made
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            target = Path(str(parsed.database))
            for part in (template / "sqlite").glob("obert.db*"):
                if not part.name.endswith("-shm"):
                    shutil.copyfile(part, target.with_name(target.name + part.name.removeprefix("obert.db")))
            return made
        source = (template / "postgres").read_text()
        with _server(url) as conn:
            _disconnect(conn, source)
            conn.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{parsed.database}" TEMPLATE "{source}"')
        return made

    def close(self) -> None:
        for url in self._template_databases:
            with _server(url) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')

    def _build(self, settings: Settings, key: str, recipe: Recipe) -> tuple[Path, Any]:
        home = self.root / f"demo-{len(self._built)}"
        home.mkdir(parents=True)
        url = settings.database_url
        backend = None if url is None else make_url(url).get_backend_name()
        if backend is None:
            template_url = None
        elif backend == "sqlite":
            (home / "sqlite").mkdir()
            template_url = f"sqlite:///{home / 'sqlite' / 'obert.db'}"
        else:
            name = f"obert_demo_{uuid.uuid4().hex[:12]}"
            template_url = make_url(url).set(database=name).render_as_string(hide_password=False)
            with _server(url) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            self._template_databases.append(template_url)
            (home / "postgres").write_text(name)
        portal: Portal = build_portal(
            settings.model_copy(update={"data_dir": home / "data", "database_url": template_url})
        )
        try:
            made = recipe(portal)
        finally:
            portal.close()
        (home / "key.txt").write_text(key)
        return home, made


def has_demo(portal: Portal) -> bool:
    """Whether the portal's catalogue is the demo already (its settings were given a copy)."""
    from obert.auth import SYSTEM
    from obert.catalog import datasets

    return datasets.list_datasets(store=portal.store, actor=SYSTEM, limit=1).count > 0


def ensure_demo(portal: Portal) -> Portal:
    """The portal with the demo catalogue: copied in already for tests marked `demo`, loaded otherwise."""
    if not has_demo(portal):
        load_demo(portal)
    return portal


def _key(settings: Settings) -> str:
    url = settings.database_url
    kind = "inside" if url is None else make_url(url).get_backend_name()
    fields = settings.model_dump(mode="json", exclude=_PLACE)
    return json.dumps({"database": kind, "settings": fields}, sort_keys=True, default=str)


@contextmanager
def _server(url: str) -> Iterator[psycopg.Connection]:
    libpq = make_url(url).set(drivername="postgresql", database="postgres")
    with psycopg.connect(libpq.render_as_string(hide_password=False), autocommit=True) as conn:
        yield conn


def _disconnect(conn: psycopg.Connection, database: str) -> None:
    # A template database must have no sessions while it is copied; the demo's portal is closed, but a
    # pool's connection may linger a moment.
    conn.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE datname = %s AND pid <> pg_backend_pid()",
        (database,),
    )
