"""The SQL store (SQLAlchemy 2 + Alembic): the single source of truth."""

from obert.storage.db import Store

__all__ = ["Store"]
