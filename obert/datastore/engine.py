"""DuckDB connections, SQL quoting and the translation of DuckDB errors into obert's.

This is the only module of the datastore that knows DuckDB's exception types: every call into
DuckDB from the package goes through :func:`translated`, so nothing above sees them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import duckdb

from obert.datastore.schema import METADATA_KEY, Field, TableSchema, decode_metadata, type_from_storage
from obert.errors import FieldError, Invalid, NotFound, ObertError, TooLarge, Unavailable


def quote_ident(name: str) -> str:
    """A DuckDB identifier for any column name, however odd (quotes doubled)."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    """A SQL string literal; only for values obert itself produces (paths, metadata), never user input."""
    return "'" + value.replace("'", "''") + "'"


def connect(*, threads: int | None = None, memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    """A fresh in-memory DuckDB connection that never downloads or auto-loads extensions."""
    config: dict[str, str | bool | int | float | list[str]] = {
        "autoinstall_known_extensions": "false",
        "autoload_known_extensions": "false",
    }
    if threads is not None:
        config["threads"] = str(threads)
    if memory_limit is not None:
        config["memory_limit"] = memory_limit
    try:
        return duckdb.connect(":memory:", config=config)
    except duckdb.Error as exc:
        raise Unavailable(f"cannot start the table engine: {exc}") from exc


def lock_down(con: duckdb.DuckDBPyConnection, *, allowed_files: Sequence[Path], spill: bool = True) -> None:
    """Forbid file, network and configuration access except reading `allowed_files`.

    Views must be created before this: afterwards a query can read nothing but the files listed,
    cannot ATTACH, COPY, INSTALL or LOAD, and cannot undo these settings. Without `spill`, nothing is
    written to a temporary directory either: the memory limit is the bound (for untrusted queries,
    which could otherwise fill the disk).
    """
    if not spill:
        con.execute("SET temp_directory = ''")
        con.execute("SET max_temp_directory_size = '0B'")
    paths = ", ".join(quote_literal(str(p.resolve())) for p in allowed_files)
    con.execute(f"SET allowed_paths = [{paths}]")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")


def parquet_source(path: Path) -> str:
    """SQL table expression reading one Parquet version, with its row number as a stable tiebreaker."""
    return f"read_parquet({quote_literal(str(path.resolve()))}, file_row_number = true)"


def read_schema(con: duckdb.DuckDBPyConnection, path: Path) -> TableSchema:
    """The typed schema of a Parquet version: obert's metadata if present, else physical types."""
    if not path.is_file():
        raise NotFound(f"table file {path.name} does not exist")
    lit = quote_literal(str(path.resolve()))
    with translated():
        meta = con.execute(
            f"SELECT value FROM parquet_kv_metadata({lit}) WHERE key = ?", [METADATA_KEY.encode()]
        ).fetchall()
        described = con.execute(f"DESCRIBE SELECT * FROM read_parquet({lit})").fetchall()
    if meta:
        raw = meta[0][0]
        schema = decode_metadata(raw.decode() if isinstance(raw, bytes) else str(raw))
        # Trust the metadata only if it agrees with the file's real columns.
        if schema.names() == [str(r[0]) for r in described]:
            return schema
    return TableSchema(fields=[Field(str(r[0]), type_from_storage(str(r[1]))) for r in described])


def file_key(path: Path) -> tuple[str, int, int]:
    """Cache key that changes if the file at `path` is replaced."""
    st = path.stat()
    # absolute(), not resolve(): no system call per path component on every request (a name reached
    # through a symbolic link is merely cached twice).
    return (str(path.absolute()), st.st_mtime_ns, st.st_size)


@contextmanager
def translated(*, field: str = "query", timed_out: list[bool] | None = None) -> Iterator[None]:
    """Turn DuckDB exceptions raised inside the block into obert errors naming `field`."""
    try:
        yield
    except ObertError:
        raise
    except duckdb.InterruptException as exc:
        if timed_out and timed_out[0]:
            raise Invalid(
                "the query took too long and was stopped",
                errors=[FieldError(field, "time limit exceeded; add filters or a LIMIT")],
            ) from exc
        raise Unavailable("the query was interrupted") from exc
    except duckdb.OutOfMemoryException as exc:
        raise TooLarge(
            "the query needs more memory than allowed",
            errors=[FieldError(field, "out of memory; add filters or aggregate")],
        ) from exc
    except duckdb.PermissionException as exc:
        raise Invalid(
            "the query tried to reach outside the published tables",
            errors=[FieldError(field, _first_line(exc))],
        ) from exc
    except duckdb.IOException as exc:
        raise NotFound(f"table file cannot be read: {_first_line(exc)}") from exc
    except (
        duckdb.ParserException,
        duckdb.BinderException,
        duckdb.CatalogException,
        duckdb.ConversionException,
        duckdb.InvalidInputException,
        duckdb.OutOfRangeException,
        duckdb.NotImplementedException,
        duckdb.InvalidTypeException,
    ) as exc:
        raise Invalid("the query is not valid", errors=[FieldError(field, _first_line(exc))]) from exc
    except duckdb.Error as exc:
        raise Unavailable(f"the table engine failed: {_first_line(exc)}") from exc


# An absolute path of two or more parts, as DuckDB quotes files in its messages.
_PATH = re.compile(r"(?<![\w.~-])/(?:[^/\s'\"]+/)+[^/\s'\"]*")


def _first_line(exc: BaseException) -> str:
    """The first line of a DuckDB message, with no server path in it (they are nobody's business)."""
    text = str(exc).strip()
    return _PATH.sub("<file>", text.splitlines()[0]) if text else type(exc).__name__
