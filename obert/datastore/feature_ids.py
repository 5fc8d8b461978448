"""Which column gives a table's features their ids, so that a feature keeps its id from version to version.

A feature's id is the value of the table's identifier column when it has one: its recorded primary key
(from a data package's schema or CKAN's datastore_create), else a column whose name says it is an
identifier (`id`, `register_id`, `codi_expedient`…) and whose values are all present and distinct in this
version (checked once per version, exactly). Text ids are trimmed (Barcelona's files pad them).

A primary key of several columns (present and distinct in the version) gives text ids: each value's text,
trimmed, with ``%``, ``~`` and ``/`` written as ``%25``, ``%7E`` and ``%2F``, joined by ``~`` in the key's
order (``08019~2018~3``); so two different rows never share an id and an id is one path segment.
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
_KNOWN: dict[tuple[object, ...], tuple[str, ...]] = {}
SEPARATOR = "~"  # between the values of a key of several columns (unreserved in a URL)
_ESCAPES = (("%", "%25"), (SEPARATOR, "%7E"), ("/", "%2F"))  # "%" first: the others write a "%"
_LOCK = threading.Lock()


def id_sql(schema: TableSchema, columns: Sequence[str]) -> str:
    """The SQL of a feature's id from its identifier `columns` (see the module docstring): one text column
    trimmed, one whole-number column as it is, several columns' texts escaped and joined by ``~``."""
    if len(columns) == 1:
        col = quote_ident(columns[0])
        return col if schema.type_of(columns[0]) == "integer" else f"trim(CAST({col} AS VARCHAR))"
    parts = []
    for column in columns:
        text = f"trim(CAST({quote_ident(column)} AS VARCHAR))"
        for plain, escaped in _ESCAPES:
            text = f"replace({text}, '{plain}', '{escaped}')"
        parts.append(text)
    return f"concat_ws('{SEPARATOR}', {', '.join(parts)})"


def feature_key(table: OpenTable, *, declared: Sequence[str] = ()) -> tuple[str, ...]:
    """The identifier columns of `table` (see the module docstring); none: ids are row numbers."""
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


def _find(table: OpenTable, declared: Sequence[str]) -> tuple[str, ...]:
    schema = table.schema
    names = schema.names()
    if len(declared) == 1 and declared[0] in names and schema.type_of(declared[0]) in _ID_TYPES:
        return (declared[0],)
    if len(declared) > 1 and set(declared) <= set(names) and _unique(table, declared):
        return tuple(declared)
    for f in schema.fields:
        if f.type in _ID_TYPES and _words(f.name) & _ID_WORDS and _unique(table, [f.name]):
            return (f.name,)
    return ()


def _unique(table: OpenTable, columns: Sequence[str]) -> bool:
    ident = id_sql(table.schema, columns)
    present = " OR ".join(f"{quote_ident(c)} IS NULL" for c in columns)
    test = f"count(*) = count(DISTINCT {ident}) AND count_if({present}) = 0"
    if len(columns) == 1 and table.schema.type_of(columns[0]) == "text":
        # an id is a path segment: neither empty nor with a slash
        test += f" AND count_if({ident} = '' OR contains({ident}, '/')) = 0"
    sql = f"SELECT {test}, count(*) FROM t"
    with translated():
        row = table.cursor().execute(sql).fetchone()
    return bool(row and row[0] and row[1])


def _words(name: str) -> set[str]:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", folded).lower()  # registerId, codiID
    return {w for w in re.split(r"[^a-z0-9]+", spaced) if w}


__all__ = ["SEPARATOR", "feature_key", "id_sql"]
