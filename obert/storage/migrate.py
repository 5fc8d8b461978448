"""Schema migrations with Alembic, driven from code (no alembic.ini to find)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from obert.storage.db import Store

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def _config(store: Store) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["store"] = store
    return cfg


def upgrade(store: Store, revision: str = "head") -> None:
    """Bring the database to `revision`; a no-op when it is already there."""
    if revision == "head" and _stored_revisions(store) == {newest_file_revision()}:
        # Already at head: Alembic, which a command would import and which reads every revision file
        # to know the head (a tenth of a second of CPU for `obert ingest`), is not needed.
        return
    from alembic import command

    cfg = _config(store)
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def downgrade(store: Store, revision: str) -> None:
    from alembic import command

    cfg = _config(store)
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def current_revision(store: Store) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with store.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def newest_file_revision() -> str | None:
    """The head as the revision files name it: each file is named after its revision, numbered in order
    (``0025_pg1m3.py`` holds revision ``0025_pg1m3``); a test holds this to :func:`head_revision`."""
    stems = sorted(p.stem for p in (MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))
    return stems[-1] if stems else None


def _stored_revisions(store: Store) -> set[str] | None:
    """The revisions Alembic recorded in the database, or None before its first migration."""
    with store.engine.connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return None
        return {str(r) for r in conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars()}


def autogenerate(store: Store, message: str) -> None:
    """Write a new revision from the difference between the database and `schema.metadata` (developers)."""
    from alembic import command

    cfg = _config(store)
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.revision(cfg, message=message, autogenerate=True)
