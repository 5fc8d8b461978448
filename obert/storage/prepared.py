"""A SELECT compiled once for a store's backend and run straight on the driver.

SQLAlchemy's execution path (the compiled cache's lookup, the parameters built again, an execution
context, the result's metadata matched column by column) costs several times what a short indexed
SELECT costs SQLite itself: on a path that runs after every catalogue write (the SPARQL graph's
catch-up), about 0.1-0.2 ms a statement, a third of the work. A `Prepared` statement does that work
once: its text and parameter order are compiled for the dialect, and each column's result processor (a
JSON column decoded, a date-time made timezone-aware) is taken from SQLAlchemy itself, so its rows hold
the same values as `conn.execute(statement)`'s. The driver's errors are wrapped as SQLAlchemy's, so
`Store` translates them as it does every other.

Only statements without expanding (`IN`) parameters (their text depends on the values), and without
parameters whose type converts them on the way in (they would reach the driver unconverted).
"""

from __future__ import annotations

import json
from collections import namedtuple
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError


class Prepared:
    """`statement` compiled for `dialect`; `rows(conn, name=value, ...)` runs it in `conn`'s transaction."""

    def __init__(self, dialect: Dialect, statement: sa.Select[Any]) -> None:
        compiled = statement.compile(dialect=dialect)
        binds = compiled.binds
        if any(bind.expanding for bind in binds.values()):
            raise ValueError("a prepared statement takes no expanding parameters")
        # Values are handed to the driver as given: a type that converts them on the way in (a date-time
        # made naive UTC, JSON encoded) would be skipped, so such parameters are refused.
        if any(bind.type._cached_bind_processor(dialect) is not None for bind in binds.values()):
            raise ValueError("a prepared statement takes no parameters its type converts")
        self._sql = compiled.string
        self._defaults: dict[str, Any] = {name: bind.effective_value for name, bind in binds.items()}
        self._required = frozenset(name for name, bind in binds.items() if bind.required)
        self._order = tuple(compiled.positiontup or ()) if compiled.positional else None
        columns = list(statement.selected_columns)
        self._processors: list[Callable[[Any], Any] | None] = [
            _lighter(column.type, dialect, column.type._cached_result_processor(dialect, None))
            for column in columns
        ]
        self._plain = all(p is None for p in self._processors)
        self._row: Any = namedtuple("_Row", [column.key for column in columns])  # type: ignore[misc]
        self._error: type[Exception] = dialect.loaded_dbapi.Error

    def rows(self, conn: Connection, **params: Any) -> list[Any]:
        """The rows (named tuples, by column key) with these bound parameters."""
        missing = self._required - params.keys()
        if missing:
            raise ValueError(f"missing parameters: {', '.join(sorted(missing))}")
        values = self._defaults | params
        args: Any = tuple(values[name] for name in self._order) if self._order is not None else values
        driver: Any = conn.connection.driver_connection
        try:
            cursor = driver.cursor()
            try:
                cursor.execute(self._sql, args)
                found = cursor.fetchall()
            finally:
                cursor.close()
        except self._error as exc:
            raise DBAPIError.instance(self._sql, args, exc, self._error) from exc
        make = self._row._make
        if self._plain:
            return [make(row) for row in found]
        processors = self._processors
        return [
            make([v if p is None else p(v) for p, v in zip(processors, row, strict=True)]) for row in found
        ]


def _lighter(
    kind: sa.types.TypeEngine[Any], dialect: Dialect, processor: Callable[[Any], Any] | None
) -> Callable[[Any], Any] | None:
    """`processor`, or one that gives the same values for less: SQLite's JSON columns are decoded through
    three nested functions (SQLAlchemy's SQLite JSON, its JSON, `json.loads`) for text, the only kind a
    JSON value written by SQLAlchemy comes back as; anything else still goes through them."""
    if (
        processor is None
        or dialect.name != "sqlite"
        or getattr(dialect, "_json_deserializer", None) is not None
        or not isinstance(kind.dialect_impl(dialect), sa.JSON)
    ):
        return processor
    loads = json.loads
    general = processor

    def decode(value: Any) -> Any:
        return loads(value) if type(value) is str else general(value)

    return decode
