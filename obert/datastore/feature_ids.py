"""Which column gives a table's features their ids, so that a feature keeps its id from version to version.

A feature's id is the value of the table's identifier column when it has one: its recorded primary key
(one column: from a data package's schema or CKAN's datastore_create), else a column whose name says it
is an identifier (`id`, `register_id`, `codi_expedient`…) and whose values are all present and distinct
in this version (checked once per version, exactly). Text ids are trimmed (Barcelona's files pad them).
Without one, the id is the row's number in the version (1, 2, 3…), stable for the version's life only.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Sequence

from obert.datastore.engine import quote_ident, translated
from obert.datastore.schema import TableSchema
from obert.datastore.tables import OpenTable

_ID_WORDS = {"id", "identificador", "identifier", "identificacion", "identificacio", "uuid", "expedient",
             "expediente", "register", "registre", "registro"}  # fmt: skip
_ID_TYPES = {"integer", "text"}
_KNOWN: dict[tuple[object, ...], str | None] = {}
_LOCK = threading.Lock()


def id_sql(schema: TableSchema, column: str) -> str:
    """The SQL of a feature's id from `column` (text trimmed, whole numbers as they are)."""
    col = quote_ident(column)
    return col if schema.type_of(column) == "integer" else f"trim(CAST({col} AS VARCHAR))"


def feature_key(table: OpenTable, *, declared: Sequence[str] = ()) -> str | None:
    """The identifier column of `table` (see the module docstring), or None: ids are row numbers."""
    key = (*table.key, tuple(declared))
    with _LOCK:
        if key in _KNOWN:
            return _KNOWN[key]
    found = _find(table, declared)
    with _LOCK:
        if len(_KNOWN) > 4096:
            _KNOWN.clear()
        _KNOWN[key] = found
    return found


def _find(table: OpenTable, declared: Sequence[str]) -> str | None:
    schema = table.schema
    names = schema.names()
    if len(declared) == 1 and declared[0] in names and schema.type_of(declared[0]) in _ID_TYPES:
        return declared[0]
    for f in schema.fields:
        if f.type in _ID_TYPES and _words(f.name) & _ID_WORDS and _unique(table, f.name):
            return f.name
    return None


def _unique(table: OpenTable, column: str) -> bool:
    ident = id_sql(table.schema, column)
    test = f"count(*) = count(DISTINCT {ident}) AND count({ident}) = count(*)"
    if table.schema.type_of(column) == "text":  # an id is a path segment: neither empty nor with a slash
        test += f" AND count_if({ident} = '' OR contains({ident}, '/')) = 0"
    sql = f"SELECT {test}, count(*) FROM t"
    with translated():
        row = table.cursor().execute(sql).fetchone()
    return bool(row and row[0] and row[1])


def _words(name: str) -> set[str]:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", folded).lower()  # registerId, codiID
    return {w for w in re.split(r"[^a-z0-9]+", spaced) if w}


__all__ = ["feature_key", "id_sql"]
